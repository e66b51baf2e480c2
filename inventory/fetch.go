package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// getObjectAPI is the one call downloadTemp makes.
type getObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// maxResumes is how many times a download cut short is taken up again.
const maxResumes = 5

// downloadTemp copies s3://bucket/key into a new private temp file (mode
// 0600) and returns its path; the caller removes it. The bytes also go to
// each of also as they arrive (a hash, say).
func downloadTemp(ctx context.Context, c getObjectAPI, bucket, key, pattern string, also ...io.Writer) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	err = getBody(ctx, c, bucket, key, io.MultiWriter(append([]io.Writer{f}, also...)...))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return f.Name(), nil
}

// getAll reads s3://bucket/key whole into memory (small files).
func getAll(ctx context.Context, c getObjectAPI, bucket, key string) ([]byte, error) {
	var b bytes.Buffer
	if err := getBody(ctx, c, bucket, key, &b); err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return b.Bytes(), nil
}

// getBody writes an object's bytes to w. The SDK retries a GetObject that
// fails before its body, but it hands the body over as it arrives: a
// connection dropped partway through (a days-long run meets it) ends the
// read with an error no retryer sees. The rest is then asked for again
// (at most maxResumes times), from the first byte not received, and only
// of the version the first answer was (If-Match its ETag), so w gets one
// version's bytes, each once.
func getBody(ctx context.Context, c getObjectAPI, bucket, key string, w io.Writer) error {
	var got int64
	var ifMatch, from *string // the version and the first byte of the rest
	for resumes := 0; ; resumes++ {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: ifMatch, Range: from})
		if err != nil {
			return err
		}
		n, err := io.Copy(markWrites{w}, out.Body)
		out.Body.Close()
		got += n
		var we *writeError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &we), ctx.Err() != nil, resumes == maxResumes:
			return err
		}
		if ifMatch == nil {
			if aws.ToString(out.ETag) == "" {
				return err // nothing to hold the rest to
			}
			ifMatch = out.ETag
		}
		from = aws.String(fmt.Sprintf("bytes=%d-", got))
	}
}

// writeError marks an error of the writer getBody copies to: it is not the
// connection's, and a resume would not help.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

type markWrites struct{ w io.Writer }

func (m markWrites) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}
