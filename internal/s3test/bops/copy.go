package bops

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// maxCopySize is the largest object a PutObjectCopy task copies: "Objects
// to be copied can be up to 5 GB in size" (UG batch-ops-copy-object);
// CopyObject's limit is 5 GiB (5368709120 bytes).
const maxCopySize = 5 << 30

// tooLarge is CopyObject's answer for a source above 5 GiB: HTTP 400
// InvalidRequest with this message (quoted from AWS in
// scality/cloudserver#6233, uktrade/data-workspace-frontend#2101,
// AmesCornish/buttersink#73). That a Batch Operations task reports exactly
// this, rather than its own wording, is UNCONFIRMED.
func tooLarge(t task) taskResult {
	return failed(t, http.StatusBadRequest, "InvalidRequest",
		"The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
}

// copyTask runs one S3PutObjectCopy task: a single CopyObject with the
// job's options, after a HeadObject that refuses sources above 5 GiB.
func (s *Server) copyTask(ctx context.Context, op *copyOperation, t task) taskResult {
	if r, bad := missingVersion(t); bad {
		return r
	}
	version := optional(t.VersionID)
	head, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &t.Bucket, Key: &t.Key, VersionId: version})
	if err == nil && aws.ToInt64(head.ContentLength) > maxCopySize {
		return tooLarge(t)
	}
	// On a HEAD error the copy still runs, so the task reports CopyObject's
	// own answer (NoSuchKey, NoSuchBucket, ...) as AWS would.
	if _, err := s.s3.CopyObject(ctx, copyInput(op, t)); err != nil {
		e := describeErr(err)
		return failed(t, e.Status, e.Code, e.Message)
	}
	return succeeded(t)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// targetKey joins TargetKeyPrefix and the source key. boto3#3420 (answered
// in aws/aws-sdk#355) shows prefix "Folder2" putting folder1/x at
// Folder2/folder1/x, so a '/' separates them; that no second '/' is added
// after a prefix already ending in one is UNCONFIRMED.
func targetKey(prefix *string, key string) string {
	p := deref(prefix)
	if p == "" || strings.HasSuffix(p, "/") {
		return p + key
	}
	return p + "/" + key
}

// copyInput maps the S3CopyObjectOperation to CopyObject: metadata per
// MetadataDirective (REPLACE takes NewObjectMetadata), tags per
// NewObjectTagging (present, even empty: REPLACE; absent: COPY), storage
// class, checksum algorithm, SSE, ACL, object lock, source conditions.
// AccessControlGrants and RequesterPays are not applied.
func copyInput(op *copyOperation, t task) *s3.CopyObjectInput {
	target, _ := parseS3ARN(*op.TargetResource, false)
	in := &s3.CopyObjectInput{
		Bucket:                      &target.Bucket,
		Key:                         aws.String(targetKey(op.TargetKeyPrefix, t.Key)),
		CopySource:                  aws.String(copySource(t.Bucket, t.Key, t.VersionID)),
		CopySourceIfModifiedSince:   timeOf(op.ModifiedSinceConstraint),
		CopySourceIfUnmodifiedSince: timeOf(op.UnModifiedSinceConstraint),
		WebsiteRedirectLocation:     op.RedirectLocation,
		SSEKMSKeyId:                 op.SSEAwsKmsKeyId,
		BucketKeyEnabled:            op.BucketKeyEnabled,
		ObjectLockRetainUntilDate:   timeOf(op.ObjectLockRetainUntilDate),
	}
	if op.StorageClass != nil {
		in.StorageClass = types.StorageClass(*op.StorageClass)
	}
	if op.ChecksumAlgorithm != nil {
		in.ChecksumAlgorithm = types.ChecksumAlgorithm(*op.ChecksumAlgorithm)
	}
	if op.CannedAccessControlList != nil {
		in.ACL = types.ObjectCannedACL(*op.CannedAccessControlList)
	}
	if op.ObjectLockMode != nil {
		in.ObjectLockMode = types.ObjectLockMode(*op.ObjectLockMode)
	}
	if op.ObjectLockLegalHoldStatus != nil {
		in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatus(*op.ObjectLockLegalHoldStatus)
	}
	applyMetadata(in, op)
	if op.NewObjectTagging != nil {
		in.TaggingDirective = types.TaggingDirectiveReplace
		in.Tagging = aws.String(encodeTags(op.NewObjectTagging.Members))
	}
	return in
}

func applyMetadata(in *s3.CopyObjectInput, op *copyOperation) {
	m := op.NewObjectMetadata
	if m != nil && m.SSEAlgorithm != nil {
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
		if *m.SSEAlgorithm == "KMS" {
			in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		}
	}
	if op.MetadataDirective == nil || *op.MetadataDirective != "REPLACE" {
		return
	}
	in.MetadataDirective = types.MetadataDirectiveReplace
	if m == nil {
		return
	}
	in.CacheControl, in.ContentDisposition = m.CacheControl, m.ContentDisposition
	in.ContentEncoding, in.ContentLanguage, in.ContentType = m.ContentEncoding, m.ContentLanguage, m.ContentType
	in.Expires = timeOf(m.HttpExpiresDate)
	if m.UserMetadata != nil {
		in.Metadata = map[string]string{}
		for _, e := range m.UserMetadata.Entries {
			in.Metadata[e.Key] = e.Value
		}
	}
}

func encodeTags(tags []s3Tag) string {
	v := url.Values{}
	for _, t := range tags {
		v.Add(t.Key, t.Value)
	}
	return v.Encode()
}
