package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// lostFake is a destination whose CreateMultipartUpload answer is lost
// (after S3 made the upload) and which lists the key's uploads.
type lostFake struct {
	*fakeCopier
	uploads []types.MultipartUpload
	aborted []string
}

func (f *lostFake) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	f.uploads = append(f.uploads, types.MultipartUpload{Key: aws.String("q/movie.mov"), UploadId: aws.String("lost"), Initiated: aws.Time(time.Now())})
	return nil, errors.New("read tcp: unexpected EOF")
}

func (f *lostFake) AbortMultipartUpload(_ context.Context, in *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	f.aborted = append(f.aborted, aws.ToString(in.UploadId))
	return &s3.AbortMultipartUploadOutput{}, nil
}

func (f *lostFake) ListParts(context.Context, *s3.ListPartsInput, ...func(*s3.Options)) (*s3.ListPartsOutput, error) {
	return nil, apiErr("NoSuchUpload")
}

func (f *lostFake) ListMultipartUploads(_ context.Context, in *s3.ListMultipartUploadsInput, _ ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	var out []types.MultipartUpload
	for _, u := range f.uploads {
		if strings.HasPrefix(aws.ToString(u.Key), aws.ToString(in.Prefix)) {
			out = append(out, u)
		}
	}
	return &s3.ListMultipartUploadsOutput{Uploads: out}, nil
}

// TestLostCreateAnswerLeavesNoUpload: a CreateMultipartUpload whose answer
// never came may have made an upload; it is found and aborted, and only
// it: not an older upload of the key, nor one of another key.
func TestLostCreateAnswerLeavesNoUpload(t *testing.T) {
	now := time.Now()
	f := &lostFake{fakeCopier: &fakeCopier{}, uploads: []types.MultipartUpload{
		{Key: aws.String("q/movie.mov"), UploadId: aws.String("older"), Initiated: aws.Time(now.Add(-time.Hour))},
		{Key: aws.String("q/movie.mov.bak"), UploadId: aws.String("other-key"), Initiated: aws.Time(now)},
	}}
	e, err := New(f, bigSource(), mpOpts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"src-etag"`, time.Hour)})
	if err != nil || sum.FailedTotal() != 1 {
		t.Fatalf("run: %+v %v; want the object failed", sum, err)
	}
	if !slices.Equal(f.aborted, []string{"lost"}) {
		t.Errorf("aborted %v; want only the upload the lost answer made", f.aborted)
	}
}
