package s3test

// These tests record what the pinned MinIO and mc do with the replication
// backfill is about; doc.go summarises the findings.

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// gate holds the requests a Proxy hook matches until Open, so a test sees
// a state (PENDING) that would otherwise last only milliseconds.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) Open() { g.once.Do(func() { close(g.ch) }) }

// TestFactMinIOReplicationOneServer: one server replicates between two of its
// buckets with a rule added by mc (delete,delete-marker; no
// existing-objects). An object written before the rule is never replicated,
// not even after a listing; one written after is PENDING on the primary
// while its replication is in flight, then COMPLETED, and REPLICA on the
// replica with the same user metadata, Content-Type, ETag and version ID.
// The replica is written with an ordinary signed PutObject to the target
// endpoint, carrying x-amz-replication-status: REPLICA and
// x-minio-source-replication-request: true (after HeadBucket and
// GetBucketVersioning on the target bucket).
// Server-side CopyObject between the two buckets works, and a mismatching
// x-amz-copy-source-if-match gets 412 PreconditionFailed.
func TestFactMinIOReplicationOneServer(t *testing.T) {
	ctx := context.Background()
	s := SharedMinIO(t)
	c := s.ClientWith(noRetry)
	src, dst := s.NewBucket(t, true), s.NewBucket(t, true)
	put(t, c, src, "before", "written before the rule")

	// The target is registered through a proxy that holds the replica's
	// PutObject until the test has seen PENDING.
	p := s.NewProxy(t)
	g := newGate()
	t.Cleanup(g.Open)
	p.SetHook(func(r *Request) *Fault {
		if r.Op == "PutObject" && r.Bucket == dst {
			<-g.ch
		}
		return nil
	})
	arn, err := MCFor(t).AddReplication(ctx, s, src, s, dst, ReplicationVia(p.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(arn, "arn:minio:replication:"+s.Region+":") || !strings.HasSuffix(arn, ":"+dst) {
		t.Errorf("target ARN %q", arn)
	}
	t.Logf("target ARN %s", arn)

	meta := map[string]string{"shot": "010", "artist": "Ann"}
	put(t, c, src, "after", "written after the rule", func(in *s3.PutObjectInput) {
		in.Metadata = meta
		in.ContentType = aws.String("video/mp4")
	})
	if st := head(t, c, src, "after").ReplicationStatus; st != types.ReplicationStatusPending {
		t.Errorf("while the replica's PutObject is held: status %q, want PENDING", st)
	}
	g.Open()
	seen := waitReplication(t, c, src, "after", types.ReplicationStatusCompleted, 30*time.Second, nil)
	t.Logf("primary statuses after the hold: %q", seen)
	var replicated int
	for _, r := range p.Requests() {
		if r.Op == "PutObject" && r.Bucket == dst && r.Key == "after" &&
			r.Header.Get("X-Amz-Replication-Status") == "REPLICA" && r.Header.Get("X-Minio-Source-Replication-Request") == "true" {
			replicated++
		}
	}
	if replicated != 1 {
		t.Errorf("the target got %d replication PutObject of the key, want 1; requests %v", replicated, p.Counts())
	}

	primary, replica := head(t, c, src, "after"), head(t, c, dst, "after")
	if replica.ReplicationStatus != types.ReplicationStatusReplica {
		t.Errorf("replica status %q, want REPLICA", replica.ReplicationStatus)
	}
	if !maps.Equal(replica.Metadata, meta) || aws.ToString(replica.ContentType) != "video/mp4" {
		t.Errorf("replica metadata %v, type %q", replica.Metadata, aws.ToString(replica.ContentType))
	}
	if aws.ToString(replica.ETag) != aws.ToString(primary.ETag) || aws.ToString(replica.VersionId) != aws.ToString(primary.VersionId) {
		t.Errorf("replica ETag %s version %s; primary %s %s", aws.ToString(replica.ETag), aws.ToString(replica.VersionId),
			aws.ToString(primary.ETag), aws.ToString(primary.VersionId))
	}

	_ = listKeys(t, c, src) // a listing re-queues FAILED objects; it must not touch older ones
	if st := head(t, c, src, "before").ReplicationStatus; st != "" {
		t.Errorf("object written before the rule: status %q, want none", st)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &dst, Key: aws.String("before")}); status(err) != 404 {
		t.Errorf("object written before the rule, HeadObject on the replica: %v, want 404", err)
	}

	before := head(t, c, src, "before")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String("before"), CopySource: aws.String(src + "/before"),
		CopySourceIfMatch: before.ETag})
	if err != nil {
		t.Fatalf("server-side copy between the buckets: %v", err)
	}
	if got := get(t, c, dst, "before"); got != "written before the rule" {
		t.Errorf("copied %q", got)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &dst, Key: aws.String("bad"), CopySource: aws.String(src + "/before"),
		CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	if apiCode(err) != "PreconditionFailed" || status(err) != 412 {
		t.Errorf("copy-source-if-match mismatch: %v", err)
	}
}

// TestFactMinIOReplicationTargetDown: two servers in different regions
// (the target ARN carries the target's region). With the target killed, a
// new object goes PENDING -> FAILED on the primary. After the target
// restarts (same port and data) the object recovers to COMPLETED without
// any resync: MinIO re-queues a FAILED object whenever it is read
// (GetObject, HeadObject) or listed, so the polling HeadObject here brings
// it back within about a second. Left alone, with no request to the
// primary, it came back after 58 s in two runs (MinIO's background scanner;
// not tested, too slow).
func TestFactMinIOReplicationTargetDown(t *testing.T) {
	ctx := context.Background()
	primary := NewMinIO(t, MinIOOptions{Region: "eu-west-1"})
	replica := NewMinIO(t, MinIOOptions{Region: "us-west-2"})
	src, dst := primary.NewBucket(t, true), replica.NewBucket(t, true)
	arn, err := MCFor(t).AddReplication(ctx, primary, src, replica, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(arn, "arn:minio:replication:us-west-2:") {
		t.Errorf("target ARN %q, want the target's region", arn)
	}
	c, rc := primary.ClientWith(noRetry), replica.ClientWith(noRetry)
	put(t, c, src, "up", "target up")
	waitReplication(t, c, src, "up", types.ReplicationStatusCompleted, 30*time.Second, nil)

	replica.Kill()
	put(t, c, src, "down", "target down")
	seen := waitReplication(t, c, src, "down", types.ReplicationStatusFailed, 60*time.Second, nil)
	t.Logf("with the target killed: %q", seen)

	if err := replica.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	seen = waitReplication(t, c, src, "down", types.ReplicationStatusCompleted, 90*time.Second, nil)
	t.Logf("after Restart: %q in %s", seen, time.Since(start).Round(time.Second))
	if st := head(t, rc, dst, "down").ReplicationStatus; st != types.ReplicationStatusReplica {
		t.Errorf("replica status %q, want REPLICA", st)
	}
}

// TestFactMinIOPutBucketReplication: once mc has registered the target,
// the standard PutBucketReplication works with the MinIO target ARN as the
// role and the destination, and the rule it sets replicates. AWS-style
// configurations (an IAM role ARN, an arn:aws:s3::: destination) are refused.
func TestFactMinIOPutBucketReplication(t *testing.T) {
	ctx := context.Background()
	s := SharedMinIO(t)
	c := s.ClientWith(noRetry)
	src, dst := s.NewBucket(t, true), s.NewBucket(t, true)
	mc := MCFor(t)
	arn, err := mc.AddReplication(ctx, s, src, s, dst)
	if err != nil {
		t.Fatal(err)
	}
	config := func(role, dest string) *s3.PutBucketReplicationInput {
		return &s3.PutBucketReplicationInput{Bucket: &src, ReplicationConfiguration: &types.ReplicationConfiguration{
			Role: aws.String(role),
			Rules: []types.ReplicationRule{{
				ID: aws.String("sdk-rule"), Status: types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
				Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
				DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
				Destination:             &types.Destination{Bucket: aws.String(dest)},
			}},
		}}
	}
	iamRole := "arn:aws:iam::123456789012:role/backfill-replication"
	for _, bad := range [][2]string{{iamRole, "arn:aws:s3:::" + dst}, {iamRole, arn}, {"", "arn:aws:s3:::" + dst}} {
		_, err := c.PutBucketReplication(ctx, config(bad[0], bad[1]))
		if err == nil {
			t.Errorf("PutBucketReplication role %q destination %q was accepted", bad[0], bad[1])
		}
		t.Logf("role %q, destination %q: %s %d: %v", bad[0], bad[1], apiCode(err), status(err), err)
	}
	if _, err := c.PutBucketReplication(ctx, config(arn, arn)); err != nil {
		t.Fatalf("PutBucketReplication with the MinIO ARN: %v", err)
	}
	got, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &src})
	if err != nil {
		t.Fatal(err)
	}
	rules := got.ReplicationConfiguration.Rules
	if len(rules) != 1 || aws.ToString(rules[0].ID) != "sdk-rule" || aws.ToString(rules[0].Destination.Bucket) != arn {
		t.Fatalf("GetBucketReplication: %+v", got.ReplicationConfiguration)
	}
	t.Logf("GetBucketReplication role %q", aws.ToString(got.ReplicationConfiguration.Role))
	put(t, c, src, "k", "v")
	waitReplication(t, c, src, "k", types.ReplicationStatusCompleted, 30*time.Second, nil)
}

// TestFactMinIOUploadPartCopyChecksum: MinIO refuses UploadPartCopy into a
// multipart upload created with ChecksumAlgorithm SHA256 (400
// InvalidArgument "checksum missing, want SHA256"): a copied part brings
// no checksum. Without the algorithm the same copy works. So a large
// object's SHA256 algorithm cannot be kept on MinIO by a copy in parts.
func TestFactMinIOUploadPartCopyChecksum(t *testing.T) {
	ctx := context.Background()
	s := SharedMinIO(t)
	c := s.ClientWith(noRetry)
	b := s.NewBucket(t, false)
	const partSize = 5 << 20
	put(t, c, b, "src", strings.Repeat("x", partSize+1), func(in *s3.PutObjectInput) {
		in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
	})
	for _, algo := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmSha256} {
		key := "copy-" + string(algo)
		mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: algo})
		if err != nil {
			t.Fatal(err)
		}
		var parts []types.CompletedPart
		var copyErr error
		for i, rng := range []string{"bytes=0-5242879", "bytes=5242880-5242880"} {
			out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: mpu.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(rng)})
			if err != nil {
				copyErr = err
				break
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag,
				ChecksumSHA256: out.CopyPartResult.ChecksumSHA256})
		}
		t.Logf("algorithm %q: UploadPartCopy: %s %d: %v", algo, apiCode(copyErr), status(copyErr), copyErr)
		if copyErr != nil {
			_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: &key, UploadId: mpu.UploadId})
		} else {
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: mpu.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			t.Logf("algorithm %q: CompleteMultipartUpload: %v", algo, err)
		}
		switch {
		case algo == "" && copyErr != nil:
			t.Errorf("UploadPartCopy without a checksum algorithm: %v", copyErr)
		case algo != "" && (apiCode(copyErr) != "InvalidArgument" || !strings.Contains(copyErr.Error(), "checksum missing, want")):
			t.Errorf("UploadPartCopy into a SHA256 upload: %v, want InvalidArgument checksum missing", copyErr)
		}
	}
}
