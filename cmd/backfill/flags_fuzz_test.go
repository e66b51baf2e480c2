package main

import (
	"io"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/run"
)

// parseFlags runs the app on args with the command's action replaced by
// what reads and checks its flags without S3 (copySpec and Spec.Validate,
// as run.Run starts; cleanupSpec), and returns what it read.
func parseFlags(t *testing.T, args ...string) (*run.Spec, *run.CleanupSpec, error) {
	t.Helper()
	app := newApp(io.Discard, io.Discard, new(bool))
	var spec *run.Spec
	var cleanup *run.CleanupSpec
	app.Command("copy").Action = func(c *cli.Context) error {
		s, err := copySpec(c)
		if err == nil {
			err = s.Validate()
		}
		spec = s
		return err
	}
	app.Command("cleanup").Action = func(c *cli.Context) error {
		s, err := cleanupSpec(c)
		cleanup = &s
		return err
	}
	err := app.Run(append([]string{"backfill"}, args...))
	return spec, cleanup, err
}

// FuzzDurationFlags fuzzes the duration flags through the CLI's own flag
// set: `copy --min-age=S` (urfave/cli's DurationFlag, then copySpec and
// Spec.Validate, which calls engine.Options.Validate) and `cleanup
// --orphans s3://... --older-than=S` (then cleanupSpec). Each is accepted
// exactly when time.ParseDuration accepts S and the duration is not
// negative, and then holds that duration; anything else is a usage error
// (exit 2), never a panic.
func FuzzDurationFlags(f *testing.F) {
	for _, s := range []string{"1h", "0", "0s", "-1h", "90m", "1h30m", "", "1.5h", "1e3s", "300", "5d", "+1h", " 1h", "1µs", "1us",
		"-0", "9223372036854775807ns", "2562047h47m16.854775807s", "2562048h", ".5s", "1h-1m", "--1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := time.ParseDuration(s)
		ok := err == nil && want >= 0
		spec, _, err := parseFlags(t, "copy", "--from", "s3://source-bucket", "--to", "s3://replica-bucket", "--no-checkpoint", "--min-age="+s)
		if (err == nil) != ok || err == nil && spec.Engine.MinAge != want || err != nil && run.ExitCode(err) != exitcode.Usage {
			t.Fatalf("--min-age=%q: %v (exit %d); time.ParseDuration: %v", s, err, run.ExitCode(err), want)
		}
		_, cleanup, err := parseFlags(t, "cleanup", "--orphans", "s3://replica-bucket", "--older-than="+s)
		if (err == nil) != ok || err == nil && cleanup.OlderThan != want || err != nil && run.ExitCode(err) != exitcode.Usage {
			t.Fatalf("--older-than=%q: %v (exit %d); time.ParseDuration: %v", s, err, run.ExitCode(err), want)
		}
	})
}
