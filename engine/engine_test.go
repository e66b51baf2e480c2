package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

// fakeCopier records CopyObject calls; fn decides each answer.
type fakeCopier struct {
	mu    sync.Mutex
	calls []*s3.CopyObjectInput
	heads []string
	fn    func(ctx context.Context, in *s3.CopyObjectInput) error
	head  func(in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error)
	mp    mpFake
}

func (f *fakeCopier) CopyObject(ctx context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, in)
	f.mu.Unlock()
	if f.fn != nil {
		if err := f.fn(ctx, in); err != nil {
			return nil, err
		}
	}
	return &s3.CopyObjectOutput{}, nil
}

func (f *fakeCopier) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	f.heads = append(f.heads, aws.ToString(in.Key))
	f.mu.Unlock()
	if f.head != nil {
		return f.head(in)
	}
	return nil, apiErr("NotFound")
}

func (f *fakeCopier) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for _, c := range f.calls {
		ks = append(ks, aws.ToString(c.Key))
	}
	sort.Strings(ks)
	return ks
}

type sliceSource []inventory.Entry

func (s sliceSource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	for _, e := range s {
		select {
		case out <- e:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

type collect struct{ rs []*Result }

func (c *collect) Result(r *Result) { c.rs = append(c.rs, r) }

func (c *collect) byKey() map[string]*Result {
	m := map[string]*Result{}
	for _, r := range c.rs {
		m[r.Entry.Rel] = r
	}
	return m
}

var start = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func entry(rel string, size int64, etag string, age time.Duration) inventory.Entry {
	return inventory.Entry{Rel: rel, ReplicaKnown: true, Source: inventory.Object{
		Bucket: "src", Key: "p/" + rel, Size: size, ETag: etag, LastModified: start.Add(-age), StorageClass: "STANDARD_IA"}}
}

func withReplica(e inventory.Entry, size int64, etag string, age time.Duration) inventory.Entry {
	e.Replica = &inventory.Object{Bucket: "dst", Key: "q/" + e.Rel, Size: size, ETag: etag, LastModified: start.Add(-age)}
	return e
}

func opts() Options {
	return Options{Source: s3url.URL{Bucket: "src", Prefix: "p/"}, Dest: s3url.URL{Bucket: "dst", Prefix: "q/"},
		Start: start, Concurrency: 4}
}

func TestDecisions(t *testing.T) {
	f, _ := NewFilter(nil, []string{"*.tmp"})
	o := opts()
	o.Filter = f
	o.MinAge = time.Hour
	src := sliceSource{
		entry("new.exr", 10, `"a"`, 2*time.Hour),
		withReplica(entry("same.exr", 10, `"b"`, 2*time.Hour), 10, `"b"`, time.Hour),
		withReplica(entry("newer.exr", 10, `"c"`, 2*time.Hour), 11, `"other"`, time.Hour),
		withReplica(entry("older.exr", 10, `"d"`, 2*time.Hour), 11, `"other"`, 3*time.Hour),
		entry("fresh.exr", 10, `"e"`, 30*time.Minute),
		entry("future.exr", 10, `"f"`, -time.Minute),
		entry("huge.mov", MaxObjectSize+1, `"g"`, 2*time.Hour),
		entry("exactly5g.mov", MaxCopyObjectSize, `"h"`, 2*time.Hour),
		entry("scratch.tmp", 10, `"i"`, 2*time.Hour),
	}
	fc := &fakeCopier{}
	c := &collect{}
	e, err := New(fc, nil, o, c)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"new.exr": "copied", "same.exr": ReasonExists, "newer.exr": ReasonNewerInReplica, "older.exr": "copied",
		"fresh.exr": ReasonTooNew, "future.exr": ReasonTooNew, "huge.mov": ReasonTooLarge, "exactly5g.mov": "copied",
		"scratch.tmp": ReasonExcluded,
	}
	got := c.byKey()
	for k, w := range want {
		r := got[k]
		if r == nil {
			t.Errorf("%s: no result", k)
			continue
		}
		g := r.Outcome.String()
		if r.Outcome == Skipped {
			g = r.Reason
		}
		if g != w {
			t.Errorf("%s: got %s, want %s", k, g, w)
		}
	}
	if fmt.Sprint(fc.keys()) != "[q/exactly5g.mov q/new.exr q/older.exr]" {
		t.Errorf("copied keys = %v", fc.keys())
	}
	if sum.Copied != 3 || sum.Skipped[ReasonTooNew] != 2 || sum.Listed != int64(len(src)) {
		t.Errorf("summary = %+v", sum)
	}
	for _, in := range fc.calls {
		if in.MetadataDirective != "COPY" || in.TaggingDirective != "COPY" || in.CopySourceIfMatch == nil ||
			in.StorageClass != "STANDARD_IA" || aws.ToString(in.Bucket) != "dst" {
			t.Errorf("copy input %+v", in)
		}
	}
}

func TestCopyInputCarriesOptions(t *testing.T) {
	o := opts()
	o.StorageClass, o.SSE, o.SSEKMSKeyID, o.BucketKey, o.ACL = "GLACIER_IR", "aws:kms", "key-1", true, "bucket-owner-full-control"
	o.ExpectedSourceOwner, o.ExpectedDestOwner = "111111111111", "222222222222"
	fc := &fakeCopier{}
	e, err := New(fc, nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(t.Context(), sliceSource{entry("a b+c%?#ü", 1, `"x"`, time.Hour)}); err != nil {
		t.Fatal(err)
	}
	in := fc.calls[0]
	if aws.ToString(in.CopySource) != "src/p/a%20b%2Bc%25%3F%23%C3%BC" || aws.ToString(in.Key) != "q/a b+c%?#ü" ||
		in.StorageClass != "GLACIER_IR" || in.ServerSideEncryption != "aws:kms" || aws.ToString(in.SSEKMSKeyId) != "key-1" ||
		!aws.ToBool(in.BucketKeyEnabled) || in.ACL != "bucket-owner-full-control" ||
		aws.ToString(in.ExpectedSourceBucketOwner) != "111111111111" || aws.ToString(in.ExpectedBucketOwner) != "222222222222" ||
		aws.ToString(in.CopySourceIfMatch) != `"x"` {
		t.Errorf("copy input = %+v", in)
	}
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func TestFailuresAreRecordedAndRunGoesOn(t *testing.T) {
	fc := &fakeCopier{fn: func(_ context.Context, in *s3.CopyObjectInput) error {
		switch aws.ToString(in.Key) {
		case "q/denied":
			return apiErr("AccessDenied")
		case "q/changed":
			return apiErr("PreconditionFailed")
		}
		return nil
	}}
	c := &collect{}
	e, _ := New(fc, nil, opts(), c)
	sum, err := e.Run(t.Context(), sliceSource{entry("a", 1, `"1"`, time.Hour), entry("denied", 1, `"2"`, time.Hour),
		entry("changed", 1, `"3"`, time.Hour), entry("b", 1, `"4"`, time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copied != 2 || sum.Failed["AccessDenied"] != 1 || sum.Skipped[ReasonChanged] != 1 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestRunLevelErrorStopsRun(t *testing.T) {
	fc := &fakeCopier{fn: func(context.Context, *s3.CopyObjectInput) error { return apiErr("NoSuchBucket") }}
	var src sliceSource
	for i := range 1000 {
		src = append(src, entry(fmt.Sprint(i), 1, `"x"`, time.Hour))
	}
	e, _ := New(fc, nil, opts(), nil)
	_, err := e.Run(t.Context(), src)
	var re *RunError
	if !errors.As(err, &re) || re.Code != "NoSuchBucket" {
		t.Fatalf("err = %v, want a RunError NoSuchBucket", err)
	}
	if n := len(fc.calls); n > 100 {
		t.Errorf("%d copies attempted after the bucket was found missing", n)
	}
}

// Denials stop the run only when a bucket itself is denied (the probe);
// otherwise they are the objects' own: every object is tried and recorded.
func TestAllDeniedStopsRunOnlyWhenTheBucketIsDenied(t *testing.T) {
	for name, probe := range map[string]error{"bucket denied": apiErr("AccessDenied"), "buckets listable": nil} {
		t.Run(name, func(t *testing.T) {
			fc := &fakeCopier{fn: func(context.Context, *s3.CopyObjectInput) error { return apiErr("AccessDenied") }}
			var src sliceSource
			for i := range 3000 {
				src = append(src, entry(fmt.Sprint(i), 1, `"x"`, time.Hour))
			}
			o := opts()
			probes := 0
			o.Probe = func(context.Context) error { probes++; return probe }
			e, _ := New(fc, nil, o, nil)
			sum, err := e.Run(t.Context(), src)
			var re *RunError
			switch {
			case probe != nil && (!errors.As(err, &re) || re.Code != "AccessDenied"):
				t.Fatalf("err = %v, want a RunError AccessDenied", err)
			case probe != nil && len(fc.calls) > 200:
				t.Errorf("%d copies attempted", len(fc.calls))
			case probe == nil && (err != nil || sum.Failed["AccessDenied"] != 3000):
				t.Errorf("run: %v, %+v; want every object failed and the run finished", err, sum)
			case probes < 1:
				t.Error("the buckets were never probed")
			}
		})
	}
}

// 2,000 failures in a row with one code (unrestored archives) are the
// objects' own: the run goes on and copies everything else.
func TestManyFailuresInARowDoNotStopTheRun(t *testing.T) {
	fc := &fakeCopier{fn: func(_ context.Context, in *s3.CopyObjectInput) error {
		if strings.HasPrefix(aws.ToString(in.Key), "q/archive/") {
			return apiErr("InvalidObjectState")
		}
		return nil
	}}
	var src sliceSource
	for i := range 2000 {
		src = append(src, entry(fmt.Sprintf("archive/%04d", i), 1, `"x"`, time.Hour))
	}
	for i := range 50 {
		src = append(src, entry(fmt.Sprintf("live/%02d", i), 1, `"x"`, time.Hour))
	}
	o := opts()
	o.IncludeArchived = true
	e, _ := New(fc, nil, o, nil)
	sum, err := e.Run(t.Context(), src)
	if err != nil || sum.Failed["InvalidObjectState"] != 2000 || sum.Copied != 50 {
		t.Errorf("run: %v, %+v", err, sum)
	}
}

func TestStopFinishesInFlight(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 100)
	fc := &fakeCopier{fn: func(ctx context.Context, _ *s3.CopyObjectInput) error {
		started <- struct{}{}
		<-release
		return nil
	}}
	var src sliceSource
	for i := range 1000 {
		src = append(src, entry(fmt.Sprint(i), 1, `"x"`, time.Hour))
	}
	c := &collect{}
	e, _ := New(fc, nil, opts(), c)
	done := make(chan struct{})
	var sum *Summary
	var err error
	go func() { sum, err = e.Run(t.Context(), src); close(done) }()
	for range 4 {
		<-started
	}
	e.Stop()
	close(release)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted {
		t.Error("summary not marked interrupted")
	}
	if sum.Copied != int64(len(fc.calls)) || sum.Copied < 4 || sum.Copied > 8 {
		t.Errorf("copied %d, calls %d: in-flight copies must finish and be counted, no new ones start", sum.Copied, len(fc.calls))
	}
}

func TestValidate(t *testing.T) {
	o := opts()
	o.Dest = s3url.URL{Bucket: "src", Prefix: "p/sub/"}
	if _, err := New(&fakeCopier{}, nil, o, nil); !errors.Is(err, ErrSameLocation) {
		t.Errorf("overlap: err = %v", err)
	}
	o = opts()
	o.SSE = "rot13"
	if _, err := New(&fakeCopier{}, nil, o, nil); err == nil {
		t.Error("bad --sse accepted")
	}
}
