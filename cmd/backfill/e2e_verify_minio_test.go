package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// replEnv is a primary and a replica bucket on one MinIO server with a
// real replication rule between them, whose target is reached through a
// proxy the test can fail (replicaVia); the binary under test goes
// through another proxy that counts its requests.
type replEnv struct {
	t          *testing.T
	m          *s3test.MinIO
	c          *s3.Client
	mc         *s3test.MC
	proxy      *s3test.Proxy // the binary's
	replicaVia *s3test.Proxy // replication's
	src, dst   string
	ruleID     string
	dir        string
}

func newReplEnv(t *testing.T) *replEnv {
	t.Helper()
	m := s3test.SharedMinIO(t)
	e := &replEnv{t: t, m: m, c: m.Client(), mc: s3test.MCFor(t), proxy: m.NewProxy(t), replicaVia: m.NewProxy(t),
		src: m.NewBucket(t, true), dst: m.NewBucket(t, true), dir: t.TempDir()}
	return e
}

func (e *replEnv) replicate() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.mc.AddReplication(ctx, e.m, e.src, e.m, e.dst, s3test.ReplicationVia(e.replicaVia.URL()), s3test.ReplicationID("backfill-test")); err != nil {
		e.t.Fatal(err)
	}
	e.ruleID = "backfill-test"
}

func (e *replEnv) put(bucket, key, body string) {
	e.t.Helper()
	_, err := e.c.PutObject(e.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body),
		ContentType: aws.String("image/x-exr"), Metadata: map[string]string{"show": "alpha"}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// status waits until the primary's object has a replication status in
// want, and returns it.
func (e *replEnv) status(key string, want ...types.ReplicationStatus) types.ReplicationStatus {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var last types.ReplicationStatus
	for time.Now().Before(deadline) {
		h, err := e.c.HeadObject(e.t.Context(), &s3.HeadObjectInput{Bucket: aws.String(e.src), Key: aws.String(key)})
		if err == nil {
			last = h.ReplicationStatus
			for _, w := range want {
				if last == w {
					return last
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.t.Fatalf("%s: replication status %q, want one of %v", key, last, want)
	return ""
}

func (e *replEnv) run(args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(e.m.Env(), "AWS_ENDPOINT_URL="+e.proxy.URL())
	cmd.Dir = e.dir
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}

func (e *replEnv) verify(extra ...string) result {
	return e.run(append([]string{"verify", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress", "--min-age", "0s"}, extra...)...)
}

// Real replication makes the differences verify must find: objects
// written before the rule (backfilled), one deleted in the replica, one
// rewritten in the primary while the rule was disabled, one written in
// the replica itself, one only in the replica, one whose replication
// FAILED (its target refuses it), one that live replication delivered.
// A listing sees all but FAILED; --deep sees that too, with one HEAD per
// object per side; --fix repairs all but the replica's own writes, which
// --overwrite-newer replaces.
func TestVerifyOnRealReplication(t *testing.T) {
	t.Parallel()
	e := newReplEnv(t)
	for _, k := range []string{"old/a.exr", "old/b.exr", "old/c.exr", "old/d.exr"} {
		e.put(e.src, k, "first take of "+k)
	}
	e.replicate()
	e.put(e.src, "new/live.exr", "delivered by replication")
	e.status("new/live.exr", types.ReplicationStatusCompleted)
	mustCode(t, e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--no-checkpoint"), 0)
	rep := filepath.Join(e.dir, "v.json")
	mustCode(t, e.verify("--report", rep), 0)

	// Differences, for real.
	if _, err := e.c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(e.dst), Key: aws.String("old/a.exr")}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := e.mc.SetReplicationEnabled(ctx, e.m, e.src, e.ruleID, false); err != nil {
		t.Fatal(err)
	}
	e.put(e.src, "old/b.exr", "FIRST TAKE OF old/b.exr") // same size, rewritten while replication was off
	if err := e.mc.SetReplicationEnabled(ctx, e.m, e.src, e.ruleID, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	e.put(e.dst, "old/c.exr", "written in the replica")
	e.put(e.dst, "only/here.exr", "x")
	e.replicaVia.SetHook(func(r *s3test.Request) *s3test.Fault {
		if strings.HasSuffix(r.Key, "failing.exr") {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "the target refuses it"}
		}
		return nil
	})
	e.put(e.src, "new/failing.exr", "never arrives")
	e.status("new/failing.exr", types.ReplicationStatusFailed)

	e.proxy.Reset()
	r := e.verify("--report", rep)
	mustCode(t, r, 3)
	want := map[string]int64{"missing": 2, "unverified": 1, "replica-newer": 1, "extra": 1, "same": 2} // a listing's other ETags prove nothing
	vr := verifyReport(t, rep)
	for class, n := range want {
		if got := classCount(vr, class); got != n {
			t.Errorf("listing: %s %d, want %d\n%s", class, got, n, r.stdout)
		}
	}
	if vr.StatusVisible || e.proxy.Count("HeadObject") != 0 {
		t.Errorf("a listing saw replication status, or HEADed: %v", e.proxy.Counts())
	}
	// With --head-undecided the one pair of one size and other ETags is
	// read with a HEAD per side (their checksums decide it), and no other.
	e.proxy.Reset()
	r = e.verify("--head-undecided", "100", "--report", rep)
	mustCode(t, r, 3)
	vr = verifyReport(t, rep)
	if classCount(vr, "content-differs") != 1 || classCount(vr, "unverified") != 0 || e.proxy.Count("HeadObject") != 2 {
		t.Errorf("default: %+v, %v\n%s", vr.Tally, e.proxy.Counts(), r.stdout)
	}

	e.proxy.Reset()
	r = e.verify("--deep", "--report", rep)
	mustCode(t, r, 3)
	vr = verifyReport(t, rep)
	want["missing"], want["replication-failed"], want["unverified"], want["content-differs"] = 1, 1, 0, 1
	for class, n := range want {
		if got := classCount(vr, class); got != n {
			t.Errorf("--deep: %s %d, want %d\n%s", class, got, n, r.stdout)
		}
	}
	// One HEAD per object per side at most: 7 primary objects, 6 in the replica.
	if n := e.proxy.Count("HeadObject"); n > 13 || n < 7 {
		t.Errorf("--deep made %d HEADs for 7 primary and 6 replica objects", n)
	}

	r = e.verify("--deep", "--fix", "--report", rep)
	mustCode(t, r, 3) // the replica's own write stays
	vr = verifyReport(t, rep)
	if vr.Fix == nil || vr.Fix.Fixed != 3 || vr.Fix.LeftNewer != 1 {
		t.Errorf("--fix: %+v\n%s", vr.Fix, r.stdout)
	}
	r = e.verify("--deep", "--report", rep)
	mustCode(t, r, 3)
	if vr = verifyReport(t, rep); vr.Differences != 1 || classCount(vr, "replica-newer") != 1 {
		t.Errorf("after --fix: %d differences\n%s", vr.Differences, r.stdout)
	}
	mustCode(t, e.verify("--fix", "--overwrite-newer"), 0)
	mustCode(t, e.verify("--deep"), 0)
}

// putInParts uploads an object in parts (5 MiB and 1 MiB), as media tools
// do: its ETag is "...-2".
func (e *replEnv) putInParts(key string, alg types.ChecksumAlgorithm) string {
	e.t.Helper()
	ctx := e.t.Context()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(e.src), Key: aws.String(key), ContentType: aws.String("video/mp4")}
	if alg != "" {
		in.ChecksumAlgorithm, in.ChecksumType = alg, types.ChecksumTypeFullObject
	}
	up, err := e.c.CreateMultipartUpload(ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i, size := range []int{5 << 20, 1 << 20} {
		n := aws.Int32(int32(i + 1))
		out, err := e.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(e.src), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: n, ChecksumAlgorithm: alg, Body: bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, size))})
		if err != nil {
			e.t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: n, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC64NVME: out.ChecksumCRC64NVME})
	}
	done, err := e.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(e.src), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(done.ETag)
}

// A source uploaded in parts, copied in one CopyObject, gets an ETag of
// its own: a listing's verify cannot prove it (unverified). Copied with
// --keep-part-layout, over its own part ranges, the replica's ETag is the
// source's, and verify proves it equal by ETag.
func TestKeepPartLayoutMakesCopiesVerifiable(t *testing.T) {
	t.Parallel()
	e := newReplEnv(t)
	etag := e.putInParts("reel/take1.mov", "")
	if !strings.HasSuffix(strings.Trim(etag, `"`), "-2") {
		t.Fatalf("the source's ETag %s is not a two-part one", etag)
	}
	rep := filepath.Join(e.dir, "v.json")
	mustCode(t, e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--no-checkpoint"), 0)
	mustCode(t, e.verify("--report", rep), 0)
	if vr := verifyReport(t, rep); classCount(vr, "unverified") != 1 {
		t.Errorf("a one-request copy of a two-part source: %+v", vr.Tally)
	}
	// MinIO gives the two-part upload a composite CRC32 (the SDK's
	// default) and the copy a checksum of its own: --deep cannot decide.
	mustCode(t, e.verify("--deep", "--report", rep), 0)
	if vr := verifyReport(t, rep); classCount(vr, "unverified") != 1 {
		t.Errorf("--deep without a comparable checksum: %+v", vr.Tally)
	}
	if _, err := e.c.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(e.dst), Key: aws.String("reel/take1.mov")}); err != nil {
		t.Fatal(err)
	}
	e.proxy.Reset()
	mustCode(t, e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--no-checkpoint", "--keep-part-layout"), 0)
	h, err := e.c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(e.dst), Key: aws.String("reel/take1.mov")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(h.ETag) != etag || e.proxy.Count("UploadPartCopy") != 2 {
		t.Errorf("copied with its part layout: ETag %s (the source's %s), %d UploadPartCopy", aws.ToString(h.ETag), etag, e.proxy.Count("UploadPartCopy"))
	}
	mustCode(t, e.verify("--report", rep), 0)
	if vr := verifyReport(t, rep); classCount(vr, "same") != 1 {
		t.Errorf("after --keep-part-layout: %+v", vr.Tally)
	}
}

// A source uploaded in parts with a full-object CRC64NVME checksum, copied
// in one request: its ETag is not comparable, but the copy keeps the
// full-object checksum, and --deep proves the two equal by it.
func TestDeepDecidesByFullObjectChecksum(t *testing.T) {
	t.Parallel()
	e := newReplEnv(t)
	e.putInParts("reel/take2.mov", types.ChecksumAlgorithmCrc64nvme)
	rep := filepath.Join(e.dir, "v.json")
	mustCode(t, e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--no-checkpoint"), 0)
	mustCode(t, e.verify("--report", rep), 0)
	if vr := verifyReport(t, rep); classCount(vr, "unverified") != 1 {
		t.Errorf("listing: %+v", vr.Tally)
	}
	mustCode(t, e.verify("--deep", "--report", rep), 0)
	if vr := verifyReport(t, rep); classCount(vr, "same") != 1 || vr.Classes["same"].ByChecksum != 1 {
		t.Errorf("--deep: %+v", vr.Classes["same"])
	}
}
