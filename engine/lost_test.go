package engine

import (
	"context"
	"errors"
	"fmt"
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

func TestMultipartETagOf(t *testing.T) {
	one := []types.CompletedPart{{ETag: aws.String(`"3349dc700140d7f86a078484278075a9"`)}} // 6 MiB of 'x'
	if got := multipartETagOf(one); got != `"f5c4f25dcc4f74057a674939fa8dcbd4-1"` {        // what versitygw and MinIO answer
		t.Errorf("multipartETagOf = %s", got)
	}
	if got := multipartETagOf([]types.CompletedPart{{ETag: aws.String(`"p1"`)}}); got != "" {
		t.Errorf("an ETag that is not an MD5: %s", got)
	}
}

// completeLostFake is a destination whose completion answers NoSuchUpload:
// an earlier attempt, whose answer was lost, completed the upload (MinIO's
// answer to a repeated completion).
type completeLostFake struct {
	*fakeCopier
	replicaETag string
}

func (f *completeLostFake) UploadPartCopy(_ context.Context, in *s3.UploadPartCopyInput, _ ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	return &s3.UploadPartCopyOutput{CopyPartResult: &types.CopyPartResult{ETag: aws.String(fmt.Sprintf(`"%032x"`, aws.ToInt32(in.PartNumber)))}}, nil
}

func (f *completeLostFake) CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return nil, apiErr("NoSuchUpload")
}

// TestLostCompleteAnswer: a completion answered NoSuchUpload is a copy when
// the replica holds the object those parts make, and a failure otherwise.
func TestLostCompleteAnswer(t *testing.T) {
	var parts []types.CompletedPart
	for n := range int32(5) {
		parts = append(parts, types.CompletedPart{ETag: aws.String(fmt.Sprintf(`"%032x"`, n+1))})
	}
	for _, tc := range []struct {
		etag string
		want int64 // copied
	}{{multipartETagOf(parts), 1}, {`"0123456789abcdef0123456789abcdef-5"`, 0}} {
		f := &completeLostFake{fakeCopier: &fakeCopier{}}
		f.head = func(*s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
			return &s3.HeadObjectOutput{ContentLength: aws.Int64(23 << 20), ETag: aws.String(tc.etag)}, nil
		}
		e, _ := New(f, bigSource(), mpOpts(), nil)
		sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"src-etag"`, time.Hour)})
		if err != nil || sum.Copied != tc.want || sum.FailedTotal() != 1-tc.want {
			t.Errorf("replica ETag %s: copied %d, failed %v, err %v", tc.etag, sum.Copied, sum.Failed, err)
		}
	}
}
