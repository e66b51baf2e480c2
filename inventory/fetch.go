package inventory

import (
	"context"
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

// downloadTemp copies s3://bucket/key into a new private temp file (mode
// 0600) and returns its path; the caller removes it. The bytes also go to
// each of also as they arrive (a hash, say).
func downloadTemp(ctx context.Context, c getObjectAPI, bucket, key, pattern string, also ...io.Writer) (string, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(io.MultiWriter(append([]io.Writer{f}, also...)...), out.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return f.Name(), nil
}
