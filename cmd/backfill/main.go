package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
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
	err := newApp(stdout, stderr).RunContext(ctx, args)
	if err != nil && !run.Explained(err) {
		fmt.Fprintf(stderr, "backfill: %v\n", err)
	}
	return run.ExitCode(err)
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:                      "backfill",
		Usage:                     "copy a bucket's pre-existing objects to its replica, server-side, resumably",
		Writer:                    stdout,
		ErrWriter:                 stderr,
		DisableSliceFlagSeparator: true,
		HideHelpCommand:           true,
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
			statusCommand(),
			cleanupCommand(),
			setupCommand(),
		},
	}
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
