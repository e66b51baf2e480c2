package s3err

import (
	"context"
	"errors"
	"fmt"
	"net"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Code names an error the way reports count it: the S3 error code when S3
// answered with one, "HTTP<status>" when it answered without a body (HEAD),
// "NetworkError" when no answer came, "Canceled" for a cancelled request,
// "CredentialsError" when the request could not be signed (no credentials,
// or a *CredentialsError), and "Error" otherwise.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		return ae.ErrorCode()
	}
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return "CredentialsError"
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP%d", re.HTTPStatusCode())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "Canceled"
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) {
		return "NetworkError"
	}
	var se *v4.SigningError
	if errors.As(err, &se) {
		return "CredentialsError"
	}
	return "Error"
}

// renew is what to do about credentials that expired.
const renew = ": renew them (for example `aws sso login`, or a new session token) and run the same command again; with its checkpoint it resumes where it stopped"

// CredentialsError is a failure to get the credentials a request is to be
// signed with: the SDK's provider could not load or refresh them (an
// expired SSO session, a role that can no longer be assumed, a credential
// process that fails). The SDK gives such a failure no type of its own
// ("get identity: get credentials: failed to refresh cached credentials,
// ..."); awsconf's clients wrap it in this, so that it is the run's
// failure, not each object's.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string { return e.Err.Error() }
func (e *CredentialsError) Unwrap() error { return e.Err }

// fatalCodes are answers that are about the whole run, not one object:
// the bucket is gone, or the credentials are wrong or expired.
var fatalCodes = map[string]string{
	"NoSuchBucket":                 "the bucket does not exist",
	"InvalidAccessKeyId":           "the access key id is not known to S3 (wrong credentials?)",
	"SignatureDoesNotMatch":        "the secret key does not match the access key (wrong credentials?)",
	"ExpiredToken":                 "the credentials have expired" + renew,
	"TokenRefreshRequired":         "the credentials have expired" + renew,
	"InvalidToken":                 "the session token is not valid" + renew,
	"AccountProblem":               "the AWS account has a problem that prevents the operation",
	"AllAccessDisabled":            "all access to this bucket has been disabled",
	"PermanentRedirect":            "the bucket is in another region (set --source-region/--dest-region)",
	"AuthorizationHeaderMalformed": "the request was signed for the wrong region (set --source-region/--dest-region)",
	"CredentialsError":             "no usable AWS credentials: they could not be loaded or refreshed" + renew,
	"XAdminUserNotFound":           "the access key id is not known to S3 (wrong credentials?)", // versitygw's InvalidAccessKeyId
	"HTTP301":                      "the bucket is in another region (set --source-region/--dest-region)",
	"InvalidStorageClass":          "the storage class is not valid here (--storage-class)",
}

// RunError is a failure of the run as a whole. The run stops at once.
type RunError struct {
	What string // what was being done, e.g. "list s3://media/"
	Code string
	Hint string
	Err  error
}

func (e *RunError) Error() string {
	msg := e.What
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.Err }

// AsRunError returns a RunError when err is about the whole run (see
// fatalCodes), or nil when it concerns only the request it came from.
func AsRunError(what string, err error) *RunError {
	code := Code(err)
	hint, ok := fatalCodes[code]
	if !ok {
		return nil
	}
	return &RunError{What: what, Code: code, Hint: hint, Err: err}
}

// IsRunCode reports a code that is about the whole run (see fatalCodes).
func IsRunCode(code string) bool {
	_, ok := fatalCodes[code]
	return ok
}

// Unexplained reports an error answer without a body (a HEAD's): the SDK
// names it after its status, 400 "BadRequest" or 403 "Forbidden", which
// may be about the object (an SSE-C object, a KMS key denied) or about the
// run (an expired session token, a revoked key). Only a request whose
// error answer has a body can tell.
func Unexplained(code string) bool {
	switch code {
	case "BadRequest", "Forbidden", "HTTP400", "HTTP403":
		return true
	}
	return false
}

// IsDenied reports an access-denied answer.
func IsDenied(code string) bool {
	return code == "AccessDenied" || code == "HTTP403"
}

// IsNotFound reports an answer that says the object (or version) is not
// there: a HEAD's bare 404, or a GET's NoSuchKey/NoSuchVersion.
func IsNotFound(code string) bool {
	switch code {
	case "NotFound", "HTTP404", "NoSuchKey", "NoSuchVersion":
		return true
	}
	return false
}
