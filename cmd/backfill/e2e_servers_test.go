package main

// What the servers of the copy suite do differently, and what backfill
// does about it (README, "Compatibility notes").

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/report"
)

// TestCopyKeysEachServerTreatsItsOwnWay: the keys the common awkward set
// leaves out. versitygw cleans "x//y", "p/./q" and "/lead" as file paths
// (it stores and lists "x/y", "p/q", "lead") and refuses to copy a "dir/"
// marker (DirectoryObjectContainsData: that object fails, exit 3, the rest
// is copied). MinIO refuses to store "x//y" (XMinioInvalidObjectName) and
// "p/./q" (XMinioInvalidResourceName), stores "/lead" as "lead", and copies
// "dir/" exactly. Whatever a server stored, the replica holds the same
// keys, except the ones whose copy it refused.
func TestCopyKeysEachServerTreatsItsOwnWay(t *testing.T) {
	t.Parallel()
	onEachServer(t, func(t *testing.T, e *env) {
		want := map[string]bool{}
		failed := map[string]int64{}
		for _, k := range e.server.keys {
			body := "body of " + k.key
			if strings.HasSuffix(k.key, "/") {
				body = ""
			}
			_, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.src), Key: aws.String(k.key),
				Body: strings.NewReader(body)})
			if k.putCode != "" {
				if code := s3err.Code(err); code != k.putCode {
					t.Errorf("%s: PutObject %q: %v, want %s", e.server.name, k.key, err, k.putCode)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: PutObject %q: %v", e.server.name, k.key, err)
			}
			if _, ok := e.listing(e.src, "")[k.listedAs]; !ok {
				t.Errorf("%s: %q is not listed as %q: %q", e.server.name, k.key, k.listedAs, sortedKeys(e.listing(e.src, "")))
			}
			if k.copyCode != "" {
				failed[k.copyCode]++
			} else {
				want[k.listedAs] = true
			}
		}
		rep := filepath.Join(e.dir, "r.json")
		code := 0
		if len(failed) > 0 {
			code = 3
		}
		mustCode(t, e.run(e.copyArgs("--report", rep)...), code)
		if rf := readReport(t, rep); !reflect.DeepEqual(rf.Failed, failed) || rf.Copied != int64(len(want)) {
			t.Errorf("report: copied %d, failed %v; want %d and %v", rf.Copied, rf.Failed, len(want), failed)
		}
		src, dst := e.listing(e.src, ""), e.listing(e.dst, "")
		if got := sortedKeys(dst); !slices.Equal(got, sortedKeys(want)) {
			t.Errorf("replica %q, want %q", got, sortedKeys(want))
		}
		for k := range want {
			if dst[k] != src[k] || e.body(e.dst, k) != e.body(e.src, k) {
				t.Errorf("%q: replica differs from its source", k)
			}
		}
	})
}

// checksumOf names the checksum algorithm a server reports for an object
// ("" for none).
func (e *env) checksumOf(bucket, key string) string {
	e.t.Helper()
	h, err := e.client.HeadObject(e.t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		e.t.Fatalf("head s3://%s/%s: %v", bucket, key, err)
	}
	switch {
	case h.ChecksumCRC32 != nil:
		return "CRC32"
	case h.ChecksumCRC32C != nil:
		return "CRC32C"
	case h.ChecksumCRC64NVME != nil:
		return "CRC64NVME"
	case h.ChecksumSHA1 != nil:
		return "SHA1"
	case h.ChecksumSHA256 != nil:
		return "SHA256"
	}
	return ""
}

// assertChecksumFallback checks one large copy of parts parts on a server
// that refuses part copies into an upload with a checksum algorithm: the
// source has algo; the upload created with it was refused, aborted and
// made again without it (the parts copied after at most parts refused
// ones); the replica has no algorithm; and the run said so (text: on
// stderr and in the summary; JSON: see jsonLines).
func (e *env) assertChecksumFallback(r result, key, algo string, parts int) {
	e.t.Helper()
	if got := e.checksumOf(e.src, key); got != algo {
		e.t.Errorf("source %q has checksum algorithm %q, want %q", key, got, algo)
	}
	if got := e.checksumOf(e.dst, key); got != "" {
		e.t.Errorf("replica %q has checksum algorithm %q; MinIO kept none when this was written", key, got)
	}
	c := e.proxy.Counts()
	if c["CreateMultipartUpload"] != 2 || c["AbortMultipartUpload"] != 1 || c["CompleteMultipartUpload"] != 1 ||
		c["UploadPartCopy"] < parts+1 || c["UploadPartCopy"] > 2*parts {
		e.t.Errorf("requests %v: want 2 creates, 1 abort, %d parts after 1 to %d refused ones, 1 complete", c, parts, parts)
	}
	var creates []string
	for _, req := range e.proxy.Requests() {
		if req.Op == "CreateMultipartUpload" && req.Key == key {
			creates = append(creates, req.Header.Get("X-Amz-Checksum-Algorithm"))
		}
	}
	if !slices.Equal(creates, []string{algo, ""}) {
		e.t.Errorf("CreateMultipartUpload checksum algorithms %q, want %q then none", creates, algo)
	}
	if strings.HasPrefix(r.stdout, "{") {
		return
	}
	if want := "copied without its checksum-algorithm " + algo + ": s3://" + e.src + "/" + key +
		" (the destination refused it on part copies)"; !strings.Contains(r.stderr, want) {
		e.t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if want := "1 object copied without its checksum algorithm (the destination refused it on part copies)."; !strings.Contains(r.stdout, want) {
		e.t.Errorf("summary lacks %q:\n%s", want, r.stdout)
	}
}

// jsonLine is an object or summary line of --json.
type jsonLine struct {
	Event   string           `json:"event"`
	Source  string           `json:"source"`
	Dropped json.RawMessage  `json:"dropped"` // a list on object lines, counts on the summary
	Copied  int64            `json:"copied"`
	Failed  map[string]int64 `json:"failed"`
}

// jsonLines reads --json output: the object lines by source key, and the
// summary line.
func (e *env) jsonLines(stdout string) (map[string]jsonLine, jsonLine) {
	e.t.Helper()
	objs := map[string]jsonLine{}
	var summary jsonLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var jl jsonLine
		if err := json.Unmarshal([]byte(l), &jl); err != nil {
			e.t.Fatalf("%v: %s", err, l)
		}
		if jl.Event == "summary" {
			summary = jl
		} else {
			objs[strings.TrimPrefix(jl.Source, "s3://"+e.src+"/")] = jl
		}
	}
	return objs, summary
}

// TestMultipartChecksumAlgorithm: a large object uploaded with a SHA256
// checksum, and a small one. versitygw copies both with their algorithm.
// MinIO refuses the parts of an upload created with it (400 InvalidArgument
// "... (checksum missing, want "SHA256", got "")"): backfill aborts that
// upload, copies the object in one without the algorithm, keeping
// everything else, and says so on the object's line and in the summary.
// The small object keeps its algorithm on both (CopyObject).
func TestMultipartChecksumAlgorithm(t *testing.T) {
	t.Parallel()
	onEachServer(t, func(t *testing.T, e *env) {
		const key = "takes/sha 256+final.mov"
		body := e.putLarge(key, 23<<20, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
		if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.src), Key: aws.String("small.txt"),
			Body: strings.NewReader("small"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256}); err != nil {
			t.Fatal(err)
		}
		r := e.run(e.copyArgs(append(mpFlags, "--json")...)...)
		mustCode(t, r, 0)
		if e.body(e.dst, key) != body {
			t.Fatal("body differs")
		}
		if sh, dh := e.head(e.src, key), e.head(e.dst, key); !reflect.DeepEqual(sh, dh) {
			t.Errorf("headers differ:\nsource  %v\nreplica %v", sh, dh)
		}
		if st, dt := e.tags(e.src, key), e.tags(e.dst, key); !reflect.DeepEqual(st, dt) || dt["status"] != "final" {
			t.Errorf("tags: source %v replica %v", st, dt)
		}
		e.assertExpiresAndClass(key, true)
		if got := e.checksumOf(e.dst, "small.txt"); got != "SHA256" {
			t.Errorf("small.txt: replica checksum algorithm %q, want SHA256", got)
		}
		objs, summary := e.jsonLines(r.stdout)
		if objs["small.txt"].Event != "copied" || objs["small.txt"].Dropped != nil || summary.Copied != 2 {
			t.Errorf("JSON lines:\n%s", r.stdout)
		}
		if e.server.partChecksums {
			if got := e.checksumOf(e.dst, key); got != "SHA256" {
				t.Errorf("replica checksum algorithm %q, want SHA256", got)
			}
			if c := e.proxy.Counts(); c["CreateMultipartUpload"] != 1 || c["UploadPartCopy"] != 5 || c["AbortMultipartUpload"] != 0 {
				t.Errorf("requests %v", c)
			}
			if objs[key].Dropped != nil || summary.Dropped != nil {
				t.Errorf("nothing was dropped, the output says otherwise:\n%s", r.stdout)
			}
			return
		}
		e.assertChecksumFallback(r, key, "SHA256", 5)
		if got := string(objs[key].Dropped); objs[key].Event != "copied" || got != `["checksum-algorithm SHA256"]` {
			t.Errorf("object line of %s: dropped %s:\n%s", key, got, r.stdout)
		}
		if got := string(summary.Dropped); got != `{"checksum-algorithm":1}` {
			t.Errorf("summary dropped %s", got)
		}
		e.noUploads(e.dst)
	})
}

// TestChecksumFallbackKill9Resume (MinIO): backfill killed while it copies
// the parts of the upload that replaced a refused one. The checkpoint
// records the new upload (the refused one is aborted), so the next run
// resumes it, copying only the parts MinIO does not hold, and still says
// that the object lost its checksum algorithm.
func TestChecksumFallbackKill9Resume(t *testing.T) {
	t.Parallel()
	e := newEnvOn(t, minio(t))
	body := e.putLarge("big.mov", 40<<20, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" {
			return &s3test.Fault{Delay: 250 * time.Millisecond}
		}
		return nil
	})
	args := e.copyArgs(append(mpFlags, "--concurrency", "2", "--json")...)
	cmd := e.command(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for e.proxy.Count("CreateMultipartUpload") < 2 || e.partsHeld("big.mov") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no second upload with parts within 60 s: requests %v", e.proxy.Counts())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	ups, err := e.client.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.dst)})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("after the kill: %d uploads (%v); want only the second", len(ups.Uploads), err)
	}
	held := e.partsHeld("big.mov")
	if held == 0 || held == 8 {
		t.Fatalf("MinIO holds %d of 8 parts after the kill; the test needs a copy in the middle", held)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if st.InProgress != 1 || len(st.Uploads) != 1 || st.Uploads[0].UploadID != aws.ToString(ups.Uploads[0].UploadId) {
		t.Fatalf("status after the kill: %+v; want the upload MinIO holds, %s", st, aws.ToString(ups.Uploads[0].UploadId))
	}

	e.proxy.SetHook(nil)
	e.proxy.Reset()
	r := e.run(args...)
	mustCode(t, r, 0)
	c := e.proxy.Counts()
	if c["CreateMultipartUpload"] != 0 || c["UploadPartCopy"] != 8-held || c["CompleteMultipartUpload"] != 1 || c["AbortMultipartUpload"] != 0 {
		t.Errorf("resumed run requests %v; MinIO held %d of 8 parts", c, held)
	}
	if e.body(e.dst, "big.mov") != body {
		t.Fatal("resumed copy is not byte-identical")
	}
	if sh, dh := e.head(e.src, "big.mov"), e.head(e.dst, "big.mov"); !reflect.DeepEqual(sh, dh) {
		t.Errorf("headers differ:\nsource  %v\nreplica %v", sh, dh)
	}
	objs, summary := e.jsonLines(r.stdout)
	if got := string(objs["big.mov"].Dropped); got != `["checksum-algorithm SHA256"]` || string(summary.Dropped) != `{"checksum-algorithm":1}` {
		t.Errorf("the resumed copy does not say what it dropped:\n%s", r.stdout)
	}
	e.noUploads(e.dst)
}
