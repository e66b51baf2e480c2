package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
)

// Exit codes (documented in the README and in each command's help).
const (
	exitOK          = 0
	exitFailed      = 1   // the run failed
	exitUsage       = 2   // usage error
	exitPartial     = 3   // finished, but some objects failed
	exitLocked      = 4   // the checkpoint is held by another run
	exitInterrupted = 130 // interrupted (Ctrl-C)
)

const exitStatusHelp = `EXIT STATUS:
   0    every object was copied or skipped for a stated reason
   1    the run failed (credentials, missing bucket, access denied, ...)
   2    usage error (bad flag, bad URL, source overlapping destination)
   3    the run finished but some objects failed (see --report / --failures)
   4    the checkpoint is held by another run
   130  interrupted (Ctrl-C): in-flight copies finished, the report written`

func main() {
	tuneGC()
	stop := startProfile()
	code := run(context.Background(), os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries an exit code for an error already explained (or about
// to be) to the user.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// run runs the CLI and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitFailed
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if ee == nil || ee.err != nil {
		fmt.Fprintf(stderr, "backfill: %v\n", err)
	}
	return code
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
				return usageErrorf("no command %q (see backfill --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			copyCommand(),
			planCommand(),
			statusCommand(),
			cleanupCommand(),
		},
	}
}

// onUsageError makes flag parsing errors exit with exitUsage.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &exitError{code: exitUsage, err: err}
}
