package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

func main() {
	tuneGC()
	stop := startProfile()
	code := runCLI(context.Background(), os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runCLI runs the CLI and returns the process exit code; errors not yet
// explained to the user are printed on stderr.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var debug bool
	err := newApp(stdout, stderr, &debug).RunContext(ctx, args)
	// The flag library's own errors ("help nosuch") are usage errors. Only
	// its own, returned as they are: an error that merely wraps an exit
	// status (a failed credential_process's) is the run's.
	if _, ok := err.(cli.ExitCoder); ok && run.ExitCode(err) == exitcode.Failed {
		err = &run.ExitError{Code: exitcode.Usage, Err: err}
	}
	if err != nil && !run.Explained(err) {
		brief := report.ErrorText(err, false)
		fmt.Fprintf(stderr, "backfill: %s\n", brief)
		if full := err.Error(); debug && full != brief {
			fmt.Fprintf(stderr, "backfill: debug: in full: %s\n", full)
		}
	}
	return run.ExitCode(err)
}

// newApp is the CLI; *debug is set when --debug is given (before or after
// the command's name).
func newApp(stdout, stderr io.Writer, debug *bool) *cli.App {
	app := &cli.App{
		Name:                      "backfill",
		Usage:                     "copy a bucket's pre-existing objects to its replica, server-side, resumably",
		Version:                   version(),
		Writer:                    stdout,
		ErrWriter:                 stderr,
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError:              onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return run.Usagef("no command %q (see backfill --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			copyCommand(),
			planCommand(),
			verifyCommand(),
			statusCommand(),
			cleanupCommand(),
			batchopsCommand(),
			setupCommand(),
		},
		Flags:  []cli.Flag{debugFlag()},
		Before: func(c *cli.Context) error { *debug = c.Bool("debug"); return nil },
	}
	withDebug(app.Commands, debug)
	return app
}

// withDebug gives every command and subcommand --debug (after its name
// too: `backfill batchops wait --debug JOB`).
func withDebug(cmds []*cli.Command, debug *bool) {
	for _, cmd := range cmds {
		cmd.Flags = append(cmd.Flags, debugFlag())
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			*debug = *debug || c.Bool("debug")
			if before != nil {
				return before(c)
			}
			return nil
		}
		withDebug(cmd.Subcommands, debug)
	}
}

func debugFlag() cli.Flag {
	return &cli.BoolFlag{Name: "debug", Usage: "show errors in full (with the SDK's request and host ids) and log every S3 request and retry on stderr (signatures and session tokens redacted)"}
}

// debugOn reports --debug, given before or after the command's name.
func debugOn(c *cli.Context) bool {
	for _, l := range c.Lineage() {
		if l.Bool("debug") {
			return true
		}
	}
	return false
}

// onUsageError makes flag parsing errors exit with status 2.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &run.ExitError{Code: exitcode.Usage, Err: err}
}

// noArgs refuses positional arguments: locations are flags.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return run.Usagef("unexpected argument %q", c.Args().First())
	}
	return nil
}
