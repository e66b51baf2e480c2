package awsconf

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// markedCredentials is a side's credentials provider whose failures are
// marked as such (*s3err.CredentialsError): the SDK could not load or
// refresh the credentials. Credentials that expire mid-run mostly fail so,
// not with an answer from S3: an SSO session or a role session ends, and
// the SDK's refresh fails before any request is sent. Unmarked, the error
// has no type or code ("get identity: get credentials: ..."), counts as
// one object's failure, and a run whose credentials expired would fail
// every object left, fast, instead of stopping. A retrieval given up
// because the request was cancelled is not marked: it is the
// cancellation. (A failure that comes back after the request was
// cancelled is still marked: it is what the provider said.)
type markedCredentials struct {
	aws.CredentialsProvider
}

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return c, &s3err.CredentialsError{Err: err}
	}
	return c, err
}
