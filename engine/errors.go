package engine

import (
	"github.com/backfill-dev/backfill/internal/s3err"
)

// ErrorCode names an error the way reports count it (see s3err.Code).
func ErrorCode(err error) string { return s3err.Code(err) }

// RunError is a failure of the run as a whole. The run stops at once.
type RunError = s3err.RunError

// AsRunError returns a RunError when err is about the whole run, or nil
// when it concerns only the request it came from (see s3err.AsRunError).
func AsRunError(what string, err error) *RunError { return s3err.AsRunError(what, err) }

// isDenied reports an access-denied answer.
func isDenied(code string) bool { return s3err.IsDenied(code) }

// transient reports failures whose cause usually passes by itself:
// throttling, server errors, timeouts, the network, a cancelled request.
// They are worth trying again on the next run without being asked.
func transient(code string) bool {
	switch code {
	case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
		"InternalError", "ServiceUnavailable", "RequestTimeout", "RequestTimeoutException", "OperationAborted",
		"NetworkError", "Canceled", "Error", "HTTP500", "HTTP502", "HTTP503", "HTTP504":
		return true
	}
	return false
}

// IsArchiveCode reports S3's refusal to copy an object that is in an
// archive tier and not restored (GLACIER, DEEP_ARCHIVE, or an archive
// tier of INTELLIGENT_TIERING, which a listing cannot see).
func IsArchiveCode(code string) bool {
	return code == "InvalidObjectState" || code == "ObjectNotInActiveTierError"
}
