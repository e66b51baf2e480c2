package batchops

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// fakeS3 is a recording fake of the S3 calls batchops makes: objects in
// memory, versions by key, every call's name in calls.
type fakeS3 struct {
	bucketAPI // calls not faked panic
	mu        sync.Mutex
	objects   map[string][]byte // bucket/key -> body
	versions  map[string]string // bucket/key -> version id ("" none)
	failPart  int32             // UploadPart of this number fails
	calls     []string
}

func newFakeS3() *fakeS3 { return &fakeS3{objects: map[string][]byte{}, versions: map[string]string{}} }

func (f *fakeS3) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func notFound(code string) error { return &smithy.GenericAPIError{Code: code, Message: "not found"} }

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.call("HeadObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	k := aws.ToString(in.Bucket) + "/" + aws.ToString(in.Key)
	if _, ok := f.objects[k]; !ok {
		return nil, notFound("NotFound")
	}
	out := &s3.HeadObjectOutput{}
	if v := f.versions[k]; v != "" {
		out.VersionId = aws.String(v)
	}
	return out, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.call("GetObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, notFound("NoSuchKey")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ETag: aws.String(`"etag"`)}, nil
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.call("PutObject:" + string(in.ServerSideEncryption))
	b, _ := io.ReadAll(in.Body)
	f.mu.Lock()
	f.objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)] = b
	f.mu.Unlock()
	return &s3.PutObjectOutput{ETag: aws.String(fmt.Sprintf(`"put-%d"`, len(b)))}, nil
}

func (f *fakeS3) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	f.call("CreateMultipartUpload:" + string(in.ServerSideEncryption))
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("up-1")}, nil
}

func (f *fakeS3) UploadPart(_ context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	f.call(fmt.Sprintf("UploadPart %d", aws.ToInt32(in.PartNumber)))
	if aws.ToInt32(in.PartNumber) == f.failPart {
		return nil, &smithy.GenericAPIError{Code: "InternalError"}
	}
	n, _ := io.Copy(io.Discard, in.Body)
	return &s3.UploadPartOutput{ETag: aws.String(fmt.Sprintf(`"part-%d"`, n))}, nil
}

func (f *fakeS3) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	f.call(fmt.Sprintf("CompleteMultipartUpload %d", len(in.MultipartUpload.Parts)))
	return &s3.CompleteMultipartUploadOutput{ETag: aws.String(`"mp-2"`)}, nil
}

func (f *fakeS3) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	f.call("AbortMultipartUpload")
	return &s3.AbortMultipartUploadOutput{}, nil
}

func (f *fakeS3) callList() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}
