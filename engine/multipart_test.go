package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/checkpoint"
)

func TestPartSizeFor(t *testing.T) {
	for _, tc := range []struct {
		size, want, got int64
		ok              bool
	}{
		{23 << 20, 5 << 20, 5 << 20, true},
		{23 << 20, 1 << 20, 5 << 20, true},        // below the minimum
		{6 << 30, 256 << 20, 256 << 20, true},     // 24 parts
		{10 << 40, 256 << 20, 1049 << 20, true},   // 10 TiB needs > 1 GiB parts for 10,000
		{MaxObjectSize, 256 << 20, 5 << 30, true}, // 48.8 TiB: 10,000 parts of 5 GiB
		{MaxObjectSize + 1, 256 << 20, 0, false},  // beyond S3's limit
		{1 << 30, 10 << 30, 5 << 30, true},        // above the maximum
	} {
		got, ok := PartSizeFor(tc.size, tc.want)
		if got != tc.got || ok != tc.ok {
			t.Errorf("PartSizeFor(%d, %d) = %d, %v; want %d, %v", tc.size, tc.want, got, ok, tc.got, tc.ok)
		}
		if ok && (tc.size+got-1)/got > MaxParts {
			t.Errorf("PartSizeFor(%d): %d parts", tc.size, (tc.size+got-1)/got)
		}
	}
}

func mpOpts() Options {
	o := opts()
	o.MultipartThreshold, o.PartSize = 10<<20, 5<<20
	return o
}

func bigSource() *fakeSource {
	return &fakeSource{head: &s3.HeadObjectOutput{ContentType: aws.String("video/quicktime"), CacheControl: aws.String("max-age=9"),
		ContentDisposition: aws.String("attachment"), ContentEncoding: aws.String("identity"), ContentLanguage: aws.String("fr"),
		WebsiteRedirectLocation: aws.String("/elsewhere"), Metadata: map[string]string{"shot": "sh010"},
		ChecksumSHA256: aws.String("abc="), StorageClass: types.StorageClassStandardIa},
		tags: []types.Tag{{Key: aws.String("dept"), Value: aws.String("comp & fx")}}}
}

func TestMultipartCopyCarriesEverything(t *testing.T) {
	fc := &fakeCopier{}
	e, err := New(fc, bigSource(), mpOpts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"src-etag"`, time.Hour)})
	if err != nil || sum.Copied != 1 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	in := fc.mp.created
	if aws.ToString(in.ContentType) != "video/quicktime" || aws.ToString(in.CacheControl) != "max-age=9" ||
		aws.ToString(in.ContentDisposition) != "attachment" || aws.ToString(in.ContentEncoding) != "identity" ||
		aws.ToString(in.ContentLanguage) != "fr" || aws.ToString(in.WebsiteRedirectLocation) != "/elsewhere" ||
		in.Metadata["shot"] != "sh010" || aws.ToString(in.Tagging) != "dept=comp+%26+fx" ||
		in.StorageClass != types.StorageClassStandardIa || in.ChecksumAlgorithm != types.ChecksumAlgorithmSha256 {
		t.Errorf("CreateMultipartUpload input %+v", in)
	}
	var parts []string
	for _, op := range fc.mp.ops {
		if strings.HasPrefix(op, "UploadPartCopy") {
			parts = append(parts, op)
		}
	}
	slices.Sort(parts)
	want := []string{"UploadPartCopy 1 bytes=0-5242879", "UploadPartCopy 2 bytes=5242880-10485759", "UploadPartCopy 3 bytes=10485760-15728639",
		"UploadPartCopy 4 bytes=15728640-20971519", "UploadPartCopy 5 bytes=20971520-24117247"}
	if !slices.Equal(parts, want) {
		t.Errorf("parts %q", parts)
	}
	done := fc.mp.done.MultipartUpload.Parts
	for i, p := range done {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToString(p.ETag) != fmt.Sprintf(`"p%d"`, i+1) {
			t.Errorf("completed part %d: %+v", i, p)
		}
	}
	if fc.mp.ops[0] != "CreateMultipartUpload" || fc.mp.ops[len(fc.mp.ops)-1] != "CompleteMultipartUpload" || len(fc.calls) != 0 {
		t.Errorf("ops %v, CopyObject calls %d", fc.mp.ops, len(fc.calls))
	}
	if aws.ToInt64(fc.mp.done.MpuObjectSize) != 23<<20 {
		t.Errorf("complete's object size %v, want the source's %d", fc.mp.done.MpuObjectSize, 23<<20)
	}
}

func TestFailedPartAbortsTheUpload(t *testing.T) {
	fc := &fakeCopier{}
	fc.mp.partFn = func(n int32) error {
		if n == 3 {
			return apiErr("AccessDenied")
		}
		return nil
	}
	e, _ := New(fc, bigSource(), mpOpts(), nil)
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
	if err != nil || sum.Failed["AccessDenied"] != 1 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	ops := fc.mp.ops
	if ops[len(ops)-2] != "AbortMultipartUpload" || ops[len(ops)-1] != "ListParts" || slices.Contains(ops, "CompleteMultipartUpload") {
		t.Errorf("ops %v: want an abort (checked with ListParts) last and no complete", ops)
	}
}

func TestSourceChangedMidCopyAbortsAsChanged(t *testing.T) {
	fc := &fakeCopier{}
	fc.mp.partFn = func(n int32) error {
		if n == 2 {
			return apiErr("PreconditionFailed")
		}
		return nil
	}
	e, _ := New(fc, bigSource(), mpOpts(), nil)
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
	if err != nil || sum.Skipped[ReasonChanged] != 1 || sum.Copied != 0 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if !slices.Contains(fc.mp.ops, "AbortMultipartUpload") || slices.Contains(fc.mp.ops, "CompleteMultipartUpload") {
		t.Errorf("ops %v", fc.mp.ops)
	}
}

// TestPartsShareTheGlobalBudget: several large objects at once never have
// more requests in flight than Concurrency.
func TestPartsShareTheGlobalBudget(t *testing.T) {
	fc := &fakeCopier{}
	o := mpOpts()
	o.Concurrency = 3
	e, _ := New(fc, bigSource(), o, nil)
	var src sliceSource
	for i := range 6 {
		src = append(src, entry(fmt.Sprintf("m%d.mov", i), 40<<20, `"e"`, time.Hour))
	}
	if sum, err := e.Run(t.Context(), src); err != nil || sum.Copied != 6 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if m := fc.mp.maxIn.Load(); m > 3 || m < 2 {
		t.Errorf("%d part copies in flight at once with --concurrency 3", m)
	}
}

func TestResumedUploadCopiesOnlyMissingParts(t *testing.T) {
	cp := openCP(t)
	b := checkpoint.NewBatch()
	b.PutUpload(checkpoint.Upload{Key: "movie.mov", UploadID: "upload-0", SourceETag: `"e"`, Size: 23 << 20, PartSize: 5 << 20})
	if err := cp.Apply(b); err != nil {
		t.Fatal(err)
	}
	fc := &fakeCopier{}
	fc.mp.listed = []types.Part{{PartNumber: aws.Int32(1), ETag: aws.String(`"p1"`)}, {PartNumber: aws.Int32(4), ETag: aws.String(`"p4"`)}}
	o := mpOpts()
	o.Checkpoint = cp
	e, _ := New(fc, bigSource(), o, nil)
	if sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)}); err != nil || sum.Copied != 1 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	var parts []string
	for _, op := range fc.mp.ops {
		if strings.HasPrefix(op, "UploadPartCopy") {
			parts = append(parts, strings.Fields(op)[1])
		}
	}
	slices.Sort(parts)
	if fmt.Sprint(parts) != "[2 3 5]" || slices.Contains(fc.mp.ops, "CreateMultipartUpload") {
		t.Errorf("ops %v", fc.mp.ops)
	}
	if n := len(fc.mp.done.MultipartUpload.Parts); n != 5 {
		t.Errorf("completed with %d parts", n)
	}
	if got := aws.ToInt64(fc.mp.done.MpuObjectSize); got != 23<<20 {
		t.Errorf("a resumed upload completed with object size %d, want the source's %d", got, 23<<20)
	}
	if _, ok, _ := cp.Upload("movie.mov", ""); ok {
		t.Error("the completed upload is still recorded")
	}
}

func TestMultipartSourceGone(t *testing.T) {
	fc := &fakeCopier{}
	e, _ := New(fc, &fakeSource{err: apiErr("NotFound")}, mpOpts(), nil)
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
	if err != nil || sum.Skipped[ReasonGone] != 1 || len(fc.mp.ops) != 0 {
		t.Errorf("run: %+v %v, ops %v", sum, err, fc.mp.ops)
	}
	_ = errors.New
}

func TestFailedAbortStaysRecorded(t *testing.T) {
	cp := openCP(t)
	fc := &fakeCopier{}
	fc.mp.partFn = func(n int32) error {
		if n == 2 {
			return apiErr("AccessDenied")
		}
		return nil
	}
	fc.mp.abortErr = apiErr("InternalError")
	o := mpOpts()
	o.Checkpoint = cp
	var logged []string
	o.Logf = func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }
	e, _ := New(fc, bigSource(), o, nil)
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
	if err != nil || sum.Failed["AccessDenied"] != 1 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	up, ok, _ := cp.Upload("movie.mov", "")
	if !ok || up.UploadID != "upload-1" {
		t.Errorf("the upload whose abort failed is not recorded: %+v %v", up, ok)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "upload-1") {
		t.Errorf("logged %q", logged)
	}
}

func TestStaleOrVanishedUploadIsReplaced(t *testing.T) {
	for name, setup := range map[string]func(*fakeCopier, *checkpoint.Batch){
		"other part size": func(fc *fakeCopier, b *checkpoint.Batch) {
			b.PutUpload(checkpoint.Upload{Key: "movie.mov", UploadID: "old", SourceETag: `"e"`, Size: 23 << 20, PartSize: 8 << 20})
		},
		"other source version": func(fc *fakeCopier, b *checkpoint.Batch) {
			b.PutUpload(checkpoint.Upload{Key: "movie.mov", UploadID: "old", SourceETag: `"older"`, Size: 23 << 20, PartSize: 5 << 20})
		},
		"upload gone": func(fc *fakeCopier, b *checkpoint.Batch) {
			b.PutUpload(checkpoint.Upload{Key: "movie.mov", UploadID: "old", SourceETag: `"e"`, Size: 23 << 20, PartSize: 5 << 20})
			fc.mp.listErr = apiErr("NoSuchUpload")
		},
	} {
		t.Run(name, func(t *testing.T) {
			cp := openCP(t)
			fc := &fakeCopier{}
			b := checkpoint.NewBatch()
			setup(fc, b)
			cp.Apply(b)
			o := mpOpts()
			o.Checkpoint = cp
			e, _ := New(fc, bigSource(), o, nil)
			if sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)}); err != nil || sum.Copied != 1 {
				t.Fatalf("run: %+v %v", sum, err)
			}
			if !slices.Contains(fc.mp.ops, "CreateMultipartUpload") {
				t.Errorf("no new upload: %v", fc.mp.ops)
			}
			if name != "upload gone" && fc.mp.ops[0] != "AbortMultipartUpload" {
				t.Errorf("the stale upload was not aborted first: %v", fc.mp.ops)
			}
			if _, ok, _ := cp.Upload("movie.mov", ""); ok {
				t.Error("an upload is still recorded after the copy completed")
			}
		})
	}
}

// A new upload's id is in the checkpoint, committed, before its first
// part is sent: a kill at any moment after CreateMultipartUpload leaves
// the upload recorded for the next run (or `backfill cleanup`).
func TestUploadIsRecordedBeforeItsFirstPart(t *testing.T) {
	cp := openCP(t)
	fc := &fakeCopier{}
	var seen []bool
	var mu sync.Mutex
	fc.mp.partFn = func(int32) error {
		_, ok, err := cp.Upload("movie.mov", "")
		mu.Lock()
		seen = append(seen, ok && err == nil)
		mu.Unlock()
		return nil
	}
	o := mpOpts()
	o.Checkpoint = cp
	e, _ := New(fc, bigSource(), o, nil)
	if sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)}); err != nil || sum.Copied != 1 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if len(seen) != 5 || slices.Contains(seen, false) {
		t.Errorf("the upload was recorded when parts were sent: %v", seen)
	}
}
