package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The multipart half of fakeCopier: records the calls in order, answers
// like S3, and tracks how many requests are in flight at once.
type mpFake struct {
	mu       sync.Mutex
	ops      []string
	partFn   func(n int32) error
	listed   []types.Part // what ListParts answers
	listErr  error        // or this
	abortErr error
	created  *s3.CreateMultipartUploadInput   // the last one
	creates  []*s3.CreateMultipartUploadInput // all, in order: the uploads are upload-1, upload-2, ...
	aborted  []string                         // upload ids, in order
	done     *s3.CompleteMultipartUploadInput
	inflight atomic.Int32
	maxIn    atomic.Int32
}

func (f *mpFake) op(name string) {
	f.mu.Lock()
	f.ops = append(f.ops, name)
	f.mu.Unlock()
}

func (f *mpFake) enter() func() {
	n := f.inflight.Add(1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	return func() { f.inflight.Add(-1) }
}

func (f *fakeCopier) CreateMultipartUpload(_ context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	f.mp.op("CreateMultipartUpload")
	f.mp.mu.Lock()
	f.mp.created = in
	f.mp.creates = append(f.mp.creates, in)
	id := fmt.Sprintf("upload-%d", len(f.mp.creates))
	f.mp.mu.Unlock()
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String(id)}, nil
}

func (f *fakeCopier) UploadPartCopy(_ context.Context, in *s3.UploadPartCopyInput, _ ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	defer f.mp.enter()()
	f.mp.op(fmt.Sprintf("UploadPartCopy %d %s", aws.ToInt32(in.PartNumber), aws.ToString(in.CopySourceRange)))
	time.Sleep(time.Millisecond)
	if f.mp.partFn != nil {
		if err := f.mp.partFn(aws.ToInt32(in.PartNumber)); err != nil {
			return nil, err
		}
	}
	return &s3.UploadPartCopyOutput{CopyPartResult: &types.CopyPartResult{ETag: aws.String(fmt.Sprintf(`"p%d"`, aws.ToInt32(in.PartNumber)))}}, nil
}

func (f *fakeCopier) CompleteMultipartUpload(_ context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	f.mp.op("CompleteMultipartUpload")
	f.mp.mu.Lock()
	f.mp.done = in
	f.mp.mu.Unlock()
	return &s3.CompleteMultipartUploadOutput{}, nil
}

func (f *fakeCopier) AbortMultipartUpload(_ context.Context, in *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	f.mp.op("AbortMultipartUpload")
	f.mp.mu.Lock()
	f.mp.aborted = append(f.mp.aborted, aws.ToString(in.UploadId))
	f.mp.mu.Unlock()
	if f.mp.abortErr != nil {
		return nil, f.mp.abortErr
	}
	return &s3.AbortMultipartUploadOutput{}, nil
}

func (f *fakeCopier) ListParts(context.Context, *s3.ListPartsInput, ...func(*s3.Options)) (*s3.ListPartsOutput, error) {
	f.mp.op("ListParts")
	f.mp.mu.Lock()
	aborted := len(f.mp.ops) > 1 && f.mp.ops[len(f.mp.ops)-2] == "AbortMultipartUpload" && f.mp.abortErr == nil
	f.mp.mu.Unlock()
	if aborted {
		return nil, apiErr("NoSuchUpload")
	}
	if f.mp.listErr != nil {
		return nil, f.mp.listErr
	}
	return &s3.ListPartsOutput{Parts: f.mp.listed}, nil
}

// fakeSource answers the source-side reads of a multipart copy.
type fakeSource struct {
	head *s3.HeadObjectOutput
	tags []types.Tag
	err  error
}

func (f *fakeSource) HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return f.head, nil
}

func (f *fakeSource) GetObjectTagging(context.Context, *s3.GetObjectTaggingInput, ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	return &s3.GetObjectTaggingOutput{TagSet: f.tags}, nil
}
