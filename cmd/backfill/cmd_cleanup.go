package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

func cleanupCommand() *cli.Command {
	return &cli.Command{
		Name:  "cleanup",
		Usage: "abort incomplete multipart uploads: the ones a checkpoint recorded, or orphans found in a bucket",
		UsageText: `backfill cleanup [--checkpoint PATH]
   backfill cleanup --orphans s3://BUCKET[/PREFIX] [--older-than DURATION] [--abort]`,
		Description: `Incomplete multipart uploads cost storage until they are aborted. A large
copy that failed or was interrupted is aborted by backfill itself; one whose
abort failed, or whose run was killed, stays recorded in the checkpoint, and
"backfill cleanup" aborts those (and forgets them). A checkpoint that does
not exist is an error (exit 1); nothing is created.

With --orphans, it lists the incomplete multipart uploads of a bucket (under
a prefix) started more than --older-than ago, whoever started them, and with
--abort aborts them.

` + exitcode.Help,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Value: run.DefaultCheckpoint, Usage: "abort the uploads recorded in the checkpoint `PATH`"},
			&cli.StringFlag{Name: "orphans", Usage: "list incomplete uploads in `s3://BUCKET[/PREFIX]` instead"},
			&cli.DurationFlag{Name: "older-than", Value: 24 * time.Hour, Usage: "with --orphans: only uploads started more than `DURATION` ago"},
			&cli.BoolFlag{Name: "abort", Usage: "with --orphans: abort them (default: only list)"},
			&cli.BoolFlag{Name: "json", Usage: "JSON lines instead of text"},
		}, awsFlags()...),
		Action:       runCleanup,
		OnUsageError: onUsageError,
	}
}

func runCleanup(c *cli.Context) error {
	spec, err := cleanupSpec(c)
	if err != nil {
		return err
	}
	w, asJSON := c.App.Writer, c.Bool("json")
	show := func(l run.UploadLine) {
		if asJSON {
			report.JSONLine(w, l) //nolint:errcheck // stdout
		} else {
			fmt.Fprintln(w, l)
		}
	}
	say := func(line string) {
		if asJSON {
			fmt.Fprintln(c.App.ErrWriter, line) // stdout holds JSON lines only
		} else {
			fmt.Fprintln(w, line)
		}
	}
	return run.Cleanup(c.Context, spec, show, say)
}

// cleanupSpec reads cleanup's flags; its errors are usage errors.
func cleanupSpec(c *cli.Context) (run.CleanupSpec, error) {
	if err := noArgs(c); err != nil {
		return run.CleanupSpec{}, err
	}
	spec := run.CleanupSpec{Checkpoint: c.String("checkpoint"), OlderThan: c.Duration("older-than"), Abort: c.Bool("abort")}
	if spec.OlderThan < 0 {
		// A typo, not a request: "started more than -1h ago" selects what
		// 0 does (every upload). Refused, as copy refuses --min-age -1h.
		return run.CleanupSpec{}, run.Usagef("--older-than must not be negative")
	}
	spec.AWS, _, spec.DstSide = awsOptions(c)
	if debugOn(c) {
		spec.AWS.DebugLog, spec.Debug = c.App.ErrWriter, true
	}
	if o := c.String("orphans"); o != "" {
		u, err := s3url.Parse(o)
		if err != nil {
			return run.CleanupSpec{}, run.Usagef("--orphans: %w", err)
		}
		spec.Orphans = &u
	}
	return spec, nil
}
