package s3err

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Brief is err's message with every SDK operation error in it shortened
// to what a user acts on:
//
//	operation error S3: ListObjectsV2, https response error StatusCode: 403,
//	RequestID: 1A2B..., HostID: x9Y..., api error AccessDenied: Access Denied
//
// becomes "ListObjectsV2 answered 403 AccessDenied: Access Denied". The
// request and host ids (for AWS support) stay in err.Error(), which
// --debug prints.
func Brief(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, oe := range operationErrors(err, nil) {
		msg = strings.Replace(msg, oe.Error(), briefOperation(oe), 1)
	}
	// An SDK error formatted with %v is no longer in the chain: its
	// request details go by their words.
	return requestDetails.ReplaceAllString(msg, "")
}

var (
	requestDetails = regexp.MustCompile(`https? response error StatusCode: \d+, (RequestID: [^,]*, )?(HostID: [^,]*, )?`)
	maxAttempts    = regexp.MustCompile(`exceeded maximum number of attempts, \d+, `)
)

// operationErrors are the SDK operation errors in err's tree, outermost
// first; it does not look inside them.
func operationErrors(err error, found []*smithy.OperationError) []*smithy.OperationError {
	if oe, ok := err.(*smithy.OperationError); ok {
		return append(found, oe)
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if next := u.Unwrap(); next != nil {
			return operationErrors(next, found)
		}
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			found = operationErrors(e, found)
		}
	}
	return found
}

func briefOperation(oe *smithy.OperationError) string {
	var (
		ae     smithy.APIError
		re     *smithyhttp.ResponseError
		me     *retry.MaxAttemptsError
		status int
	)
	if errors.As(oe.Err, &re) {
		status = re.HTTPStatusCode()
	}
	var s string
	switch {
	case errors.As(oe.Err, &ae) && ae.ErrorCode() != "":
		s = oe.Operation() + " answered "
		if status != 0 {
			s += fmt.Sprint(status, " ")
		}
		s += ae.ErrorCode()
		if m := ae.ErrorMessage(); m != "" && m != ae.ErrorCode() {
			s += ": " + m
		}
	default:
		inner := maxAttempts.ReplaceAllString(oe.Err.Error(), "")
		s = oe.Operation() + ": " + requestDetails.ReplaceAllString(inner, "")
		if status != 0 {
			s += fmt.Sprintf(" (HTTP %d)", status)
		}
	}
	if errors.As(oe.Err, &me) {
		s += fmt.Sprintf(" (after %d attempts)", me.Attempt)
	}
	return s
}
