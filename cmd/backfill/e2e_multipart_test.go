package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/report"
)

func randomBody(size int, seed uint64) string {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}

// putLarge puts a large object with every kind of metadata (Expires and
// a storage class too: see assertExpiresAndClass), as changed by opts.
func (e *env) putLarge(key string, size int, opts ...func(*s3.PutObjectInput)) string {
	e.t.Helper()
	body := randomBody(size, uint64(size))
	in := &s3.PutObjectInput{Bucket: aws.String(e.src), Key: aws.String(key),
		Body: bytes.NewReader([]byte(body)), ContentType: aws.String("video/quicktime"), CacheControl: aws.String("max-age=300"),
		ContentDisposition: aws.String(`attachment; filename="take 2.mov"`), ContentEncoding: aws.String("identity"),
		ContentLanguage: aws.String("en-GB"), Metadata: map[string]string{"show": "alpha", "take": "2"},
		Tagging: aws.String("dept=editorial&status=final"), Expires: aws.Time(expires), StorageClass: types.StorageClassReducedRedundancy}
	for _, o := range opts {
		o(in)
	}
	_, err := e.client.PutObject(e.t.Context(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return body
}

var mpFlags = []string{"--multipart-threshold", "10MiB", "--part-size", "5MiB"}

func TestMultipartCopyIsExact(t *testing.T) {
	t.Parallel()
	onEachServer(t, testMultipartCopyIsExact)
}

func testMultipartCopyIsExact(t *testing.T, e *env) {
	body := e.putLarge("movies/take 2+final.mov", 23<<20)
	e.put(e.src, obj{key: "small.txt", body: "small"})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs(append(mpFlags, "--report", rep)...)...)
	mustCode(t, r, 0)
	key := "movies/take 2+final.mov"
	if got := e.body(e.dst, key); got != body {
		t.Fatalf("body differs (%d bytes, want %d)", len(got), len(body))
	}
	if sh, dh := e.head(e.src, key), e.head(e.dst, key); !reflect.DeepEqual(sh, dh) {
		t.Errorf("headers differ:\nsource  %v\nreplica %v", sh, dh)
	}
	if st, dt := e.tags(e.src, key), e.tags(e.dst, key); !reflect.DeepEqual(st, dt) || dt["status"] != "final" {
		t.Errorf("tags: source %v replica %v", st, dt)
	}
	e.assertExpiresAndClass(key, true) // set explicitly on the upload: kept on every server
	c := e.proxy.Counts()
	if !e.server.partChecksums {
		// The SDK gave the object a CRC32 checksum, which MinIO refuses on
		// part copies: one upload aborted, the copy made without it.
		e.assertChecksumFallback(r, key, "CRC32", 5)
		if c["CopyObject"] != 1 {
			t.Errorf("requests %v: want 1 CopyObject (the small one)", c)
		}
	} else if c["CreateMultipartUpload"] != 1 || c["UploadPartCopy"] != 5 || c["CompleteMultipartUpload"] != 1 || c["CopyObject"] != 1 ||
		c["AbortMultipartUpload"] != 0 {
		t.Errorf("requests %v: want 1 create, 5 parts, 1 complete, 1 CopyObject (the small one)", c)
	}
	if rf := readReport(t, rep); rf.Copied != 2 || rf.BytesCopied != int64(len(body))+5 {
		t.Errorf("report %+v", rf)
	}
}

func TestMultipartSourceChangedMidCopyIsAborted(t *testing.T) {
	t.Parallel()
	onEachServer(t, testMultipartSourceChangedMidCopyIsAborted)
}

func testMultipartSourceChangedMidCopyIsAborted(t *testing.T, e *env) {
	e.putLarge("big.mov", 23<<20)
	var changed atomic.Bool
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" && r.Query.Get("partNumber") == "2" && !changed.Swap(true) {
			if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.src), Key: aws.String("big.mov"),
				Body: strings.NewReader("a new version")}); err != nil {
				t.Error(err)
			}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs(append(mpFlags, "--concurrency", "4", "--report", rep)...)...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Skipped["changed"] != 1 || rf.Copied != 0 {
		t.Errorf("report %+v", rf)
	}
	if c := e.proxy.Counts(); c["AbortMultipartUpload"] < 1 || c["CompleteMultipartUpload"] != 0 {
		t.Errorf("requests %v: want the upload aborted, never completed", c)
	}
	if _, ok := e.listing(e.dst, "")["big.mov"]; ok {
		t.Error("a completed object exists in the replica")
	}
	e.noUploads(e.dst)
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if st.InProgress != 0 {
		t.Errorf("status still records %d uploads", st.InProgress)
	}
}

func (e *env) noUploads(bucket string) {
	e.t.Helper()
	out, err := e.client.ListMultipartUploads(e.t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		e.t.Errorf("%d incomplete multipart uploads left in %s", len(out.Uploads), bucket)
	}
}

func TestMultipartFailedPartIsAborted(t *testing.T) {
	t.Parallel()
	onEachServer(t, testMultipartFailedPartIsAborted)
}

func testMultipartFailedPartIsAborted(t *testing.T, e *env) {
	e.putLarge("big.mov", 23<<20)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" && r.Query.Get("partNumber") == "3" {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "no"}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	mustCode(t, e.run(e.copyArgs(append(mpFlags, "--report", rep)...)...), 3)
	if rf := readReport(t, rep); rf.Failed["AccessDenied"] != 1 {
		t.Errorf("report %+v", rf)
	}
	if c := e.proxy.Counts(); c["AbortMultipartUpload"] < 1 || c["CompleteMultipartUpload"] != 0 {
		t.Errorf("requests %v: want the upload aborted", c)
	}
	e.noUploads(e.dst)
}

// TestMultipartKill9Resume kills backfill in the middle of a large copy,
// then resumes: only the parts S3 does not hold are copied, and the result
// is byte-identical. Status lists the upload in between; it is completed,
// not left behind.
func TestMultipartKill9Resume(t *testing.T) {
	t.Parallel()
	onEachServer(t, testMultipartKill9Resume)
}

func testMultipartKill9Resume(t *testing.T, e *env) {
	body := e.putLarge("big.mov", 40<<20) // 8 parts of 5 MiB
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" {
			return &s3test.Fault{Delay: 250 * time.Millisecond}
		}
		return nil
	})
	args := e.copyArgs(append(mpFlags, "--concurrency", "2")...)
	cmd := e.command(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once S3 holds some of the parts (not all).
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if n := e.partsHeld("big.mov"); n >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	ups, err := e.client.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.dst)})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("after the kill: %v uploads (%v)", len(ups.Uploads), err)
	}
	parts, err := e.client.ListParts(t.Context(), &s3.ListPartsInput{Bucket: aws.String(e.dst), Key: aws.String("big.mov"), UploadId: ups.Uploads[0].UploadId})
	if err != nil {
		t.Fatal(err)
	}
	held := len(parts.Parts)
	if held == 0 || held == 8 {
		t.Fatalf("S3 holds %d of 8 parts after the kill; the test needs a copy in the middle", held)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if st.InProgress != 1 || len(st.Uploads) != 1 || st.Uploads[0].UploadID != aws.ToString(ups.Uploads[0].UploadId) {
		t.Errorf("status after the kill: %+v", st)
	}

	e.proxy.SetHook(nil)
	e.proxy.Reset()
	mustCode(t, e.run(args...), 0)
	c := e.proxy.Counts()
	if c["UploadPartCopy"] != 8-held || c["CreateMultipartUpload"] != 0 || c["CompleteMultipartUpload"] != 1 || c["ListParts"] != 1 {
		t.Errorf("resumed run requests %v; S3 held %d parts, so %d should be copied, into the same upload", c, held, 8-held)
	}
	if got := e.body(e.dst, "big.mov"); got != body {
		t.Fatal("resumed copy is not byte-identical")
	}
	if sh, dh := e.head(e.src, "big.mov"), e.head(e.dst, "big.mov"); !reflect.DeepEqual(sh, dh) {
		t.Errorf("headers differ:\nsource  %v\nreplica %v", sh, dh)
	}
	e.noUploads(e.dst)
}

// partsHeld is how many parts S3 holds of the one upload of key in e.dst.
func (e *env) partsHeld(key string) int {
	ups, err := e.client.ListMultipartUploads(e.t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.dst)})
	if err != nil || len(ups.Uploads) != 1 {
		return 0
	}
	parts, err := e.client.ListParts(e.t.Context(), &s3.ListPartsInput{Bucket: aws.String(e.dst), Key: aws.String(key), UploadId: ups.Uploads[0].UploadId})
	if err != nil {
		return 0
	}
	return len(parts.Parts)
}

func TestCleanupAbortsRecordedAndOrphanUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putLarge("big.mov", 23<<20)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" {
			return &s3test.Fault{Delay: 300 * time.Millisecond}
		}
		return nil
	})
	cmd := e.command(e.copyArgs(append(mpFlags, "--concurrency", "1")...)...)
	cmd.Start()
	// Kill once a part is held, and the upload surely recorded (the
	// checkpoint commits every 100 ms).
	deadline := time.Now().Add(60 * time.Second)
	for e.partsHeld("big.mov") < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	e.proxy.SetHook(nil)

	// An orphan no checkpoint knows of.
	orphan, err := e.client.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(e.dst), Key: aws.String("orphan.bin")})
	if err != nil {
		t.Fatal(err)
	}
	r := e.run("cleanup", "--orphans", "s3://"+e.dst, "--older-than", "0s")
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "listed") || !strings.Contains(r.stdout, aws.ToString(orphan.UploadId)) {
		t.Errorf("orphans listing:\n%s", r.stdout)
	}
	if r := e.run("cleanup", "--orphans", "s3://"+e.dst, "--older-than", "1h"); strings.Contains(r.stdout, "orphan.bin") {
		t.Errorf("a fresh upload listed as older than 1h:\n%s", r.stdout)
	}
	r = e.run("cleanup")
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "aborted") || !strings.Contains(r.stdout, "big.mov") {
		t.Errorf("cleanup of the recorded upload:\n%s", r.stdout)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if st.InProgress != 0 {
		t.Errorf("status still lists %d uploads", st.InProgress)
	}
	mustCode(t, e.run("cleanup", "--orphans", "s3://"+e.dst, "--older-than", "0s", "--abort"), 0)
	e.noUploads(e.dst)
	_ = fmt.Sprint
}

// TestMultipartCtrlCAborts: Ctrl-C in the middle of a large copy aborts the
// upload (no incomplete upload left, none recorded), exits 130, and the
// next run copies the object whole.
func TestMultipartCtrlCAborts(t *testing.T) {
	t.Parallel()
	onEachServer(t, testMultipartCtrlCAborts)
}

func testMultipartCtrlCAborts(t *testing.T, e *env) {
	body := e.putLarge("big.mov", 40<<20)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" {
			return &s3test.Fault{Delay: 200 * time.Millisecond}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	args := e.copyArgs(append(mpFlags, "--concurrency", "2", "--report", rep)...)
	cmd := e.command(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for e.proxy.Count("UploadPartCopy") < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130", err)
	}
	if c := e.proxy.Counts(); c["AbortMultipartUpload"] < 1 || c["CompleteMultipartUpload"] != 0 || c["UploadPartCopy"] >= 8 {
		t.Errorf("requests %v: want the upload aborted after the parts in flight", c)
	}
	e.noUploads(e.dst)
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if st.InProgress != 0 || st.Failed != 0 {
		t.Errorf("status after Ctrl-C: %d uploads, %d failed", st.InProgress, st.Failed)
	}
	e.proxy.SetHook(nil)
	mustCode(t, e.run(args...), 0)
	if e.body(e.dst, "big.mov") != body {
		t.Error("the next run did not copy the object whole")
	}
}

// A source uploaded in parts with a COMPOSITE CRC32 checksum (as aws s3 cp
// uploads a large file): versitygw's UploadPartCopy answers the whole
// source's composite checksum as each part's, and its
// CompleteMultipartUpload refuses those (400 InvalidArgument "Invalid
// Base64 or multiple checksums present in request"). backfill aborts that
// upload, copies the object again without the algorithm, keeping
// everything else, and says so; no upload is left behind.
func TestCompositeChecksumSourceCopiesInParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const key = "renders/composite.mov"
	ctx := t.Context()
	cu, err := e.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(e.src), Key: aws.String(key),
		ContentType: aws.String("video/quicktime"), Metadata: map[string]string{"show": "alpha"},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, ChecksumType: types.ChecksumTypeComposite})
	if err != nil {
		t.Fatal(err)
	}
	body := randomBody(12<<20, 7)
	var parts []types.CompletedPart
	for i, chunk := range []string{body[:6<<20], body[6<<20:]} {
		n := aws.Int32(int32(i + 1))
		up, err := e.client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(e.src), Key: aws.String(key), UploadId: cu.UploadId,
			PartNumber: n, Body: strings.NewReader(chunk), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: n, ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32})
	}
	if _, err := e.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(e.src), Key: aws.String(key),
		UploadId: cu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	r := e.run(e.copyArgs(mpFlags...)...)
	mustCode(t, r, 0)
	if e.body(e.dst, key) != body {
		t.Fatal("body differs")
	}
	if h := e.head(e.dst, key); h["Content-Type"] != "video/quicktime" {
		t.Errorf("replica headers %v", h)
	}
	if c := e.proxy.Counts(); c["CompleteMultipartUpload"] < 1 || c["CreateMultipartUpload"] > 2 {
		t.Errorf("requests %v", c)
	}
	if !strings.Contains(r.stdout, "copied without its checksum algorithm") && e.checksumOf(e.dst, key) != "CRC32" {
		t.Errorf("the replica has no CRC32 and the run did not say so:\n%s\n%s", r.stdout, r.stderr)
	}
	e.noUploads(e.dst)
}
