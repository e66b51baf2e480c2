package run

import (
	"errors"
	"fmt"

	"github.com/backfill-dev/backfill/internal/exitcode"
)

// ExitError carries the exit status of a run that ended with something
// other than success. Err is nil when the outcome was already explained to
// the user (in the summary); otherwise the caller prints it.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Usagef is a usage error (exit status 2): a bad flag, a bad location,
// options that do not go together.
func Usagef(format string, a ...any) error {
	return &ExitError{Code: exitcode.Usage, Err: fmt.Errorf(format, a...)}
}

// usage marks err as a usage error.
func usage(err error) error {
	return &ExitError{Code: exitcode.Usage, Err: err}
}

// ExitCode is the exit status for an error a run returned: 0 for nil, the
// code an *ExitError carries, 1 otherwise.
func ExitCode(err error) int {
	if err == nil {
		return exitcode.OK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return exitcode.Failed
}

// Explained reports whether err needs no message: the run has already
// said everything about it (its summary).
func Explained(err error) bool {
	var ee *ExitError
	return errors.As(err, &ee) && ee.Err == nil
}
