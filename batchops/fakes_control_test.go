package batchops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/run"
)

// fakeControl is a recording fake of S3 Control: jobs in memory, every
// call's name in calls; describeErrs are answered to DescribeJob first,
// one per call.
type fakeControl struct {
	mu           sync.Mutex
	jobs         map[string]*types.JobDescriptor
	order        []string
	describeErrs []error
	calls        []string
}

func newFakeControl() *fakeControl { return &fakeControl{jobs: map[string]*types.JobDescriptor{}} }

func (f *fakeControl) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *fakeControl) callList() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}

// add puts a job in the fake as if CreateJob had made it.
func (f *fakeControl) add(id string, status types.JobStatus, description string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[id] = &types.JobDescriptor{JobId: aws.String(id), Status: status, Description: aws.String(description)}
	f.order = append(f.order, id)
}

func (f *fakeControl) CreateJob(_ context.Context, in *s3control.CreateJobInput, _ ...func(*s3control.Options)) (*s3control.CreateJobOutput, error) {
	f.call("CreateJob")
	id := fmt.Sprintf("job-%d", len(f.jobs)+1)
	f.add(id, types.JobStatusSuspended, aws.ToString(in.Description))
	return &s3control.CreateJobOutput{JobId: aws.String(id)}, nil
}

func (f *fakeControl) DescribeJob(_ context.Context, in *s3control.DescribeJobInput, _ ...func(*s3control.Options)) (*s3control.DescribeJobOutput, error) {
	f.call("DescribeJob")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.describeErrs) > 0 {
		err := f.describeErrs[0]
		f.describeErrs = f.describeErrs[1:]
		return nil, err
	}
	j, ok := f.jobs[aws.ToString(in.JobId)]
	if !ok {
		return nil, &types.NotFoundException{Message: aws.String("no such job")}
	}
	c := *j
	return &s3control.DescribeJobOutput{Job: &c}, nil
}

func (f *fakeControl) ListJobs(context.Context, *s3control.ListJobsInput, ...func(*s3control.Options)) (*s3control.ListJobsOutput, error) {
	f.call("ListJobs")
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &s3control.ListJobsOutput{}
	for _, id := range f.order {
		j := f.jobs[id]
		out.Jobs = append(out.Jobs, types.JobListDescriptor{JobId: j.JobId, Status: j.Status, Description: j.Description})
	}
	return out, nil
}

func (f *fakeControl) UpdateJobStatus(_ context.Context, in *s3control.UpdateJobStatusInput, _ ...func(*s3control.Options)) (*s3control.UpdateJobStatusOutput, error) {
	f.call("UpdateJobStatus " + string(in.RequestedJobStatus))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs[aws.ToString(in.JobId)].Status = types.JobStatus(in.RequestedJobStatus)
	return &s3control.UpdateJobStatusOutput{}, nil
}

// serverError is a 5xx answer as the SDK returns it.
func serverError(code string, status int) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
		Err: &smithy.GenericAPIError{Code: code, Message: "try again"}}
}

// useControl makes every S3 Control connection of the test return a
// client of f, recording the regions asked for.
func useControl(t interface{ Cleanup(func()) }, f *fakeControl) *[]string {
	var regions []string
	old := dialControl
	dialControl = func(_ context.Context, a Account) (*control, error) {
		regions = append(regions, a.Region)
		return &control{api: f, account: "123456789012", region: a.Region}, nil
	}
	t.Cleanup(func() { dialControl = old })
	return &regions
}

// fakeSide is one side's S3 client: the bucket calls of fakeS3, and
// HeadBucket answering as AWS does, with the bucket's region in
// x-amz-bucket-region, and a redirect when the client's region is not
// the bucket's. The calls of run.API it does not fake panic.
type fakeSide struct {
	run.API
	s3      *fakeS3
	region  string            // the client's
	buckets map[string]string // bucket -> its region
}

func (f *fakeSide) HeadBucket(_ context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	f.s3.call("HeadBucket " + f.region)
	r, ok := f.buckets[aws.ToString(in.Bucket)]
	if !ok {
		return nil, notFound("NotFound")
	}
	if r != f.region {
		h := http.Header{}
		h.Set("X-Amz-Bucket-Region", r)
		return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 301, Header: h}},
			Err: errors.New("301 Moved Permanently")}
	}
	return &s3.HeadBucketOutput{BucketRegion: aws.String(r)}, nil
}

func (f *fakeSide) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return f.s3.HeadObject(ctx, in, o...)
}

func (f *fakeSide) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return f.s3.GetObject(ctx, in, o...)
}

func (f *fakeSide) PutObject(ctx context.Context, in *s3.PutObjectInput, o ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return f.s3.PutObject(ctx, in, o...)
}

func (f *fakeSide) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, o ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return f.s3.CreateMultipartUpload(ctx, in, o...)
}

func (f *fakeSide) UploadPart(ctx context.Context, in *s3.UploadPartInput, o ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	return f.s3.UploadPart(ctx, in, o...)
}

func (f *fakeSide) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, o ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return f.s3.CompleteMultipartUpload(ctx, in, o...)
}

func (f *fakeSide) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, o ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return f.s3.AbortMultipartUpload(ctx, in, o...)
}

func (f *fakeSide) GetBucketReplication(ctx context.Context, in *s3.GetBucketReplicationInput, o ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error) {
	return f.s3.GetBucketReplication(ctx, in, o...)
}

func (f *fakeSide) GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, o ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	return f.s3.GetBucketVersioning(ctx, in, o...)
}

func (f *fakeSide) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, o ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	return f.s3.ListObjectVersions(ctx, in, o...)
}

// useSides makes every S3 connection of the test return fake sides over
// f: each client in the region its side was given (its own region, else
// the shared one), else in ambient (as AWS_REGION would). It records the
// (source, destination) regions of each connection.
func useSides(t interface{ Cleanup(func()) }, f *fakeS3, ambient string, buckets map[string]string) *[][2]string {
	var made [][2]string
	old := connectSides
	connectSides = func(_ context.Context, s *run.Spec) (*run.Sides, error) {
		src := firstOf(s.SrcSide.Region, s.AWS.Region, ambient)
		dst := firstOf(s.DstSide.Region, s.AWS.Region, ambient)
		made = append(made, [2]string{src, dst})
		return &run.Sides{Source: &fakeSide{s3: f, region: src, buckets: buckets}, Dest: &fakeSide{s3: f, region: dst, buckets: buckets},
			SourceRegion: src, DestRegion: dst}, nil
	}
	t.Cleanup(func() { connectSides = old })
	return &made
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
