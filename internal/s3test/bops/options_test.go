package bops

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// The copy options reach CopyObject: MetadataDirective REPLACE with
// NewObjectMetadata, an empty NewObjectTagging (no tags), ChecksumAlgorithm.
func TestCopyJobOptions(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.put(src, "f", "data", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/plain")
		in.Metadata = map[string]string{"old": "1"}
		in.Tagging = aws.String("a=b")
	})
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"f"})), dst, rep)
	op := in.Operation.S3PutObjectCopy
	op.MetadataDirective = types.S3MetadataDirectiveReplace
	op.NewObjectMetadata = &types.S3ObjectMetadata{ContentType: aws.String("image/png"), CacheControl: aws.String("max-age=60"),
		UserMetadata: map[string]string{"new": "2"}}
	op.NewObjectTagging = []types.S3Tag{}
	op.ChecksumAlgorithm = types.S3ChecksumAlgorithmSha256
	id := e.create(in)
	d := e.wait(id, types.JobStatusComplete)
	if aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded) != 1 {
		t.Fatalf("report: %q", e.report(rep, "reports", id).rows)
	}
	h, err := e.s3.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: &dst, Key: aws.String("f"), ChecksumMode: s3types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(h.ContentType) != "image/png" || aws.ToString(h.CacheControl) != "max-age=60" || h.Metadata["new"] != "2" || h.Metadata["old"] != "" {
		t.Errorf("metadata %q %q %v", aws.ToString(h.ContentType), aws.ToString(h.CacheControl), h.Metadata)
	}
	if h.ChecksumSHA256 == nil {
		t.Errorf("no SHA256 checksum on the copy")
	}
	tags, err := e.s3.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: &dst, Key: aws.String("f")})
	if err != nil || len(tags.TagSet) != 0 {
		t.Errorf("an empty NewObjectTagging should leave no tags: %v %v", tags.TagSet, err)
	}
}

// Options versitygw accepts but does not store (SSE, storage class, ACL)
// are still sent: the CopyObject requests carry them.
func TestCopyJobSendsIgnoredOptions(t *testing.T) {
	srv := s3test.Shared(t)
	proxy := srv.NewProxy(t)
	e := newEnv(t, Options{S3: S3Endpoint{URL: proxy.URL()}})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.put(src, "f", "data")
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"f"})), dst, rep)
	op := in.Operation.S3PutObjectCopy
	op.NewObjectMetadata = &types.S3ObjectMetadata{SSEAlgorithm: types.S3SSEAlgorithmKms}
	op.SSEAwsKmsKeyId = aws.String("arn:aws:kms:us-east-1:123456789012:key/k")
	op.BucketKeyEnabled = true
	op.StorageClass = types.S3StorageClassGlacierIr
	op.CannedAccessControlList = types.S3CannedAccessControlListBucketOwnerFullControl
	id := e.create(in)
	e.wait(id, types.JobStatusComplete)
	var copies []s3test.Request
	for _, r := range proxy.Requests() {
		if r.Op == "CopyObject" {
			copies = append(copies, r)
		}
	}
	if len(copies) != 1 {
		t.Fatalf("%d CopyObject requests", len(copies))
	}
	h := copies[0].Header
	for name, want := range map[string]string{
		"X-Amz-Server-Side-Encryption":                    "aws:kms",
		"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id":     "arn:aws:kms:us-east-1:123456789012:key/k",
		"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled": "true",
		"X-Amz-Storage-Class":                             "GLACIER_IR",
		"X-Amz-Acl":                                       "bucket-owner-full-control",
		"X-Amz-Copy-Source":                               src + "/f",
		"X-Amz-Metadata-Directive":                        "",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
