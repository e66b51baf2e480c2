package awsconf

import (
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// truncatedAnswer makes a request whose answer was cut short retryable:
// the connection closed partway through the body, after the status and
// headers (Go's client reads io.ErrUnexpectedEOF from a body shorter than
// its Content-Length or without its last chunk). The SDK's standard
// retryer retries a connection that breaks before the answer or with a
// reset, but not one that ends early with a FIN: the deserializer's error
// wraps the read error and no retryable check knows it (aws-sdk-go-v2
// issues 1717 and 3494). On a days-long run such an answer is bound to
// come, to a listing page (the run would stop) or to a copy.
//
// Retrying is what the request's own outcome allows: an answer cut short
// says nothing of whether the server did the request, and every request
// backfill makes can be sent again (copies are conditional on the
// source's ETag, a part copied twice is the same part). The two whose
// repetition leaves something behind are handled where they are made:
// a CreateMultipartUpload answer that was lost may leave an upload nobody
// knows of, and a CompleteMultipartUpload sent again after a lost answer
// finds its upload gone (engine/lost.go).
type truncatedAnswer struct{}

func (truncatedAnswer) IsErrorRetryable(err error) aws.Ternary {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}
