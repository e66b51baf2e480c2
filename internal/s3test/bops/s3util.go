package bops

import (
	"context"
	"errors"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// s3Error describes an error from the S3 server as S3 reported it.
type s3Error struct {
	Status        int
	Code, Message string
}

// describeErr extracts the HTTP status, error code and message of an SDK
// error. HEAD answers carry no body: their code is derived from the status.
func describeErr(err error) s3Error {
	e := s3Error{Status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.Code, e.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	switch {
	case e.Code == "NotFound" && e.Status == http.StatusNotFound:
		e.Code, e.Message = "NoSuchKey", "The specified key does not exist."
	case e.Message == "":
		e.Message = http.StatusText(e.Status)
	}
	return e
}

func trimETag(s string) string { return strings.Trim(s, `"`) }

// bucketExists reports whether bucket exists; err is any other failure.
func (s *Server) bucketExists(ctx context.Context, bucket string) (bool, error) {
	_, err := s.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	if err == nil {
		return true, nil
	}
	if describeErr(err).Status == http.StatusNotFound {
		return false, nil
	}
	return false, err
}

// versioning returns the bucket's versioning status ("" if never enabled).
func (s *Server) versioning(ctx context.Context, bucket string) (types.BucketVersioningStatus, error) {
	out, err := s.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil {
		return "", err
	}
	return out.Status, nil
}

// encodeKey percent-encodes a key for a CSV file the emulator writes (report,
// generated manifest): every byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX, so
// a space is %20 and '+' is %2B and the key decodes the same with path or
// form (query) semantics. UNCONFIRMED: the exact encoding AWS writes.
func encodeKey(k string) string { return uriEncode(k, false) }

// copySource builds CopyObjectInput.CopySource: bucket/url-encoded-key[?versionId=].
func copySource(bucket, key, version string) string {
	cs := bucket + "/" + uriEncode(key, false)
	if version != "" {
		cs += "?versionId=" + uriEncode(version, true)
	}
	return cs
}
