package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/backfill-dev/backfill/checkpoint"
)

// minioChecksumErr is what the pinned MinIO answers to an UploadPartCopy
// into an upload created with a checksum algorithm.
func minioChecksumErr(algo string) error {
	return &smithy.GenericAPIError{Code: "InvalidArgument",
		Message: fmt.Sprintf(`Invalid arguments provided for dst/q/movie.mov/upload-1: (checksum missing, want %q, got "")`, algo)}
}

// refuseChecksumParts makes fc answer like MinIO: every part of an upload
// created with a checksum algorithm is refused.
func refuseChecksumParts(fc *fakeCopier) {
	fc.mp.partFn = func(int32) error {
		fc.mp.mu.Lock()
		algo := fc.mp.created.ChecksumAlgorithm
		fc.mp.mu.Unlock()
		if algo != "" {
			return minioChecksumErr(string(algo))
		}
		return nil
	}
}

func countOps(ops []string, prefix string) int {
	n := 0
	for _, op := range ops {
		if strings.HasPrefix(op, prefix) {
			n++
		}
	}
	return n
}

func TestChecksumRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{minioChecksumErr("SHA256"), true},
		{fmt.Errorf("part 3: %w", minioChecksumErr("CRC32")), true},
		{&smithy.GenericAPIError{Code: "InvalidArgument", Message: "Invalid argument: the range is not satisfiable"}, false},
		{&smithy.GenericAPIError{Code: "InvalidRequest", Message: "checksum type mismatch"}, false},
		{apiErr("AccessDenied"), false},
		{nil, false},
	} {
		if got := checksumRefused(tc.err); got != tc.want {
			t.Errorf("checksumRefused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestChecksumRefusedOnPartsFallsBack: the destination refuses the parts
// of an upload created with the source's SHA256 algorithm. The upload is
// aborted, a new one without the algorithm (and with everything else)
// is committed to the checkpoint in its place before its first part, the
// object is copied, and its result says what it lost.
func TestChecksumRefusedOnPartsFallsBack(t *testing.T) {
	cp := openCP(t)
	fc := &fakeCopier{}
	refuseChecksumParts(fc)
	var (
		mu       sync.Mutex
		recorded []checkpoint.Upload // the checkpoint's upload when each part of the new upload was sent
	)
	refuse := fc.mp.partFn
	fc.mp.partFn = func(n int32) error {
		if err := refuse(n); err != nil {
			return err
		}
		up, _, _ := cp.Upload("movie.mov", "")
		mu.Lock()
		recorded = append(recorded, up)
		mu.Unlock()
		return nil
	}
	o := mpOpts()
	o.Checkpoint = cp
	c := &collect{}
	e, _ := New(fc, bigSource(), o, c)
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
	if err != nil || sum.Copied != 1 || len(sum.Failed) != 0 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if len(fc.mp.creates) != 2 || fc.mp.creates[0].ChecksumAlgorithm != types.ChecksumAlgorithmSha256 || fc.mp.creates[1].ChecksumAlgorithm != "" {
		t.Fatalf("creates %+v: want one with SHA256, then one without", fc.mp.creates)
	}
	in := fc.mp.creates[1]
	if aws.ToString(in.ContentType) != "video/quicktime" || aws.ToString(in.CacheControl) != "max-age=9" ||
		aws.ToString(in.ContentDisposition) != "attachment" || aws.ToString(in.ContentEncoding) != "identity" ||
		aws.ToString(in.ContentLanguage) != "fr" || aws.ToString(in.WebsiteRedirectLocation) != "/elsewhere" ||
		in.Metadata["shot"] != "sh010" || aws.ToString(in.Tagging) != "dept=comp+%26+fx" || in.StorageClass != types.StorageClassStandardIa {
		t.Errorf("the second upload lost more than the checksum algorithm: %+v", in)
	}
	if !slices.Equal(fc.mp.aborted, []string{"upload-1"}) || aws.ToString(fc.mp.done.UploadId) != "upload-2" {
		t.Errorf("aborted %v, completed %s: want upload-1 aborted and upload-2 completed", fc.mp.aborted, aws.ToString(fc.mp.done.UploadId))
	}
	// After the first refusal no new part starts; the ones in flight end
	// (refused too).
	if n, most := countOps(fc.mp.ops, "UploadPartCopy"), 5+e.opts.PartConcurrency+1; n > most || n < 6 {
		t.Errorf("%d part copies: want the 5 parts after 1 to %d refused ones", n, most-5)
	}
	if len(recorded) != 5 {
		t.Fatalf("%d parts of the new upload sent", len(recorded))
	}
	for _, up := range recorded {
		if up.UploadID != "upload-2" || up.Checksum != "" {
			t.Errorf("a part of the new upload was sent while the checkpoint recorded %+v", up)
		}
	}
	if _, ok, _ := cp.Upload("movie.mov", ""); ok {
		t.Error("an upload is still recorded after the copy completed")
	}
	want := []Drop{{What: DropChecksumAlgorithm, Value: "SHA256"}}
	if len(c.rs) != 1 || !slices.Equal(c.rs[0].Dropped, want) || c.rs[0].Dropped[0].String() != "checksum-algorithm SHA256" {
		t.Errorf("results %+v: want one copied object that dropped %v", c.rs, want)
	}
	if sum.Dropped[DropChecksumAlgorithm] != 1 {
		t.Errorf("summary dropped %v", sum.Dropped)
	}
}

// TestChecksumRefusalIsRememberedForTheRun: once the destination refused
// an algorithm on part copies, later uploads are created without it, and
// their parts are not refused first.
func TestChecksumRefusalIsRememberedForTheRun(t *testing.T) {
	fc := &fakeCopier{}
	refuseChecksumParts(fc)
	o := mpOpts()
	o.Concurrency = 1 // one object after the other
	e, _ := New(fc, bigSource(), o, nil)
	sum, err := e.Run(t.Context(), sliceSource{entry("a.mov", 23<<20, `"a"`, time.Hour), entry("b.mov", 23<<20, `"b"`, time.Hour)})
	if err != nil || sum.Copied != 2 || sum.Dropped[DropChecksumAlgorithm] != 2 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if len(fc.mp.creates) != 3 || fc.mp.creates[2].ChecksumAlgorithm != "" || aws.ToString(fc.mp.creates[2].Key) != "q/b.mov" {
		t.Errorf("creates %d: want a.mov twice, then b.mov once without the algorithm", len(fc.mp.creates))
	}
	// b.mov's parts come after its only create, and none is refused.
	last := slices.Index(fc.mp.ops, "CompleteMultipartUpload")
	if n := countOps(fc.mp.ops[last:], "UploadPartCopy"); n != 5 {
		t.Errorf("b.mov: %d part copies, want 5; ops %v", n, fc.mp.ops)
	}
}

// TestChecksumFallbackOnlyWhenItApplies: a refusal that is not about the
// checksum, a refusal after the destination accepted parts of the
// upload, and one for an upload made without an algorithm all fail the
// object as before: no second upload.
func TestChecksumFallbackOnlyWhenItApplies(t *testing.T) {
	for name, tc := range map[string]struct {
		part     func(n int32) error
		checksum bool
		code     string
	}{
		"other InvalidArgument": {func(int32) error {
			return &smithy.GenericAPIError{Code: "InvalidArgument", Message: "Invalid argument: range"}
		}, true, "InvalidArgument"},
		"after accepted parts": {func(n int32) error {
			if n == 5 {
				time.Sleep(20 * time.Millisecond) // after the others
				return minioChecksumErr("SHA256")
			}
			return nil
		}, true, "InvalidArgument"},
		"no algorithm": {func(int32) error { return minioChecksumErr("SHA256") }, false, "InvalidArgument"},
	} {
		t.Run(name, func(t *testing.T) {
			fc := &fakeCopier{}
			fc.mp.partFn = tc.part
			src := bigSource()
			if !tc.checksum {
				src.head.ChecksumSHA256 = nil
			}
			e, _ := New(fc, src, mpOpts(), nil)
			sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
			if err != nil || sum.Failed[tc.code] != 1 || sum.Copied != 0 || sum.Dropped != nil {
				t.Fatalf("run: %+v %v", sum, err)
			}
			if len(fc.mp.creates) != 1 || !slices.Equal(fc.mp.aborted, []string{"upload-1"}) {
				t.Errorf("creates %d, aborted %v: want one upload, aborted", len(fc.mp.creates), fc.mp.aborted)
			}
		})
	}
}

// TestChecksumFallbackAbortFails: when the refused upload cannot be
// aborted, no second upload is made; the object fails and the first
// upload stays recorded for `backfill cleanup`.
func TestChecksumFallbackAbortFails(t *testing.T) {
	cp := openCP(t)
	fc := &fakeCopier{}
	refuseChecksumParts(fc)
	fc.mp.abortErr = apiErr("InternalError")
	o := mpOpts()
	o.Checkpoint = cp
	o.Logf = func(string, ...any) {}
	e, _ := New(fc, bigSource(), o, nil)
	sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
	if err != nil || sum.Failed["InternalError"] != 1 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if len(fc.mp.creates) != 1 {
		t.Errorf("%d uploads created while the first could not be aborted", len(fc.mp.creates))
	}
	if up, ok, _ := cp.Upload("movie.mov", ""); !ok || up.UploadID != "upload-1" {
		t.Errorf("recorded %+v %v: want upload-1 kept for cleanup", up, ok)
	}
}

// TestResumedUploadWithoutChecksumSaysSo: a run killed after the fallback
// left an upload without the algorithm in the checkpoint; the run that
// resumes and completes it reports the algorithm dropped. An upload
// recorded with the algorithm drops nothing.
func TestResumedUploadWithoutChecksumSaysSo(t *testing.T) {
	for _, recorded := range []string{"", "SHA256"} {
		t.Run("recorded "+recorded, func(t *testing.T) {
			cp := openCP(t)
			b := checkpoint.NewBatch()
			b.PutUpload(checkpoint.Upload{Key: "movie.mov", UploadID: "upload-0", SourceETag: `"e"`, Size: 23 << 20, PartSize: 5 << 20,
				Checksum: recorded})
			if err := cp.Apply(b); err != nil {
				t.Fatal(err)
			}
			fc := &fakeCopier{}
			fc.mp.listed = []types.Part{{PartNumber: aws.Int32(1), ETag: aws.String(`"p1"`)}}
			o := mpOpts()
			o.Checkpoint = cp
			c := &collect{}
			e, _ := New(fc, bigSource(), o, c)
			sum, err := e.Run(t.Context(), sliceSource{entry("movie.mov", 23<<20, `"e"`, time.Hour)})
			if err != nil || sum.Copied != 1 || len(fc.mp.creates) != 0 {
				t.Fatalf("run: %+v %v, %d creates", sum, err, len(fc.mp.creates))
			}
			wantDrops := int64(0)
			if recorded == "" {
				wantDrops = 1
			}
			if sum.Dropped[DropChecksumAlgorithm] != wantDrops || int64(len(c.rs[0].Dropped)) != wantDrops {
				t.Errorf("dropped %v, result %v; want %d", sum.Dropped, c.rs[0].Dropped, wantDrops)
			}
		})
	}
}
