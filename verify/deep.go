package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// HeadAPI is the one call --deep makes, once per object per side.
type HeadAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

var _ HeadAPI = (*s3.Client)(nil)

// ErrGone is a HEAD's answer that the object is no longer there.
var ErrGone = errors.New("not there any more")

// Deepen reads one object with a HEAD (ChecksumMode ENABLED): its
// checksum and type, content headers, user metadata, tag count,
// replication status and encryption, kept in o. A 404 is ErrGone; an
// answer about the whole run is a *s3err.RunError.
func Deepen(ctx context.Context, c HeadAPI, bucket, owner string, o *Obj) error {
	// The current object, by key: verify compares current versions, and
	// an inventory's version id may be superseded since its delivery.
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key), ChecksumMode: types.ChecksumModeEnabled}
	if owner != "" {
		in.ExpectedBucketOwner = aws.String(owner)
	}
	h, err := c.HeadObject(ctx, in)
	if err != nil {
		if re := s3err.AsRunError(fmt.Sprintf("read s3://%s/%s", bucket, o.Key), err); re != nil {
			return re
		}
		if s3err.IsNotFound(s3err.Code(err)) {
			return ErrGone
		}
		return fmt.Errorf("HEAD s3://%s/%s: %s: %w", bucket, o.Key, s3err.Code(err), err)
	}
	o.Deep = true
	o.Size, o.ETag, o.LastModified = aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), aws.ToTime(h.LastModified)
	o.ReplicationStatus = strings.ToUpper(string(h.ReplicationStatus))
	o.Encryption = encryption(h.ServerSideEncryption, h.SSECustomerAlgorithm)
	o.ChecksumAlgorithm, o.Checksum = checksumOf(h)
	o.ChecksumType = string(h.ChecksumType)
	if o.ChecksumType == "" && o.ChecksumAlgorithm != "" && parts(o.ETag) == 0 {
		o.ChecksumType = "FULL_OBJECT" // a single-part object's checksum is its whole
	}
	o.TagCount = aws.ToInt32(h.TagCount)
	o.Headers = headers(h)
	return nil
}

func encryption(sse types.ServerSideEncryption, sseC *string) string {
	switch {
	case aws.ToString(sseC) != "":
		return "SSE-C"
	case sse == types.ServerSideEncryptionAwsKms:
		return "SSE-KMS"
	case sse == types.ServerSideEncryptionAwsKmsDsse:
		return "DSSE-KMS"
	case sse == types.ServerSideEncryptionAes256:
		return "SSE-S3"
	}
	return "NOT-SSE"
}

func checksumOf(h *s3.HeadObjectOutput) (alg, value string) {
	for _, c := range []struct {
		alg string
		v   *string
	}{{"CRC64NVME", h.ChecksumCRC64NVME}, {"CRC32C", h.ChecksumCRC32C}, {"CRC32", h.ChecksumCRC32}, {"SHA256", h.ChecksumSHA256}, {"SHA1", h.ChecksumSHA1}} {
		if v := aws.ToString(c.v); v != "" {
			return c.alg, v
		}
	}
	return "", ""
}

// headers are what a copy must carry: content headers and user metadata.
func headers(h *s3.HeadObjectOutput) map[string]string {
	m := map[string]string{}
	put := func(k string, v *string) {
		if s := aws.ToString(v); s != "" {
			m[k] = s
		}
	}
	put("Content-Type", h.ContentType)
	put("Cache-Control", h.CacheControl)
	put("Content-Disposition", h.ContentDisposition)
	put("Content-Encoding", h.ContentEncoding)
	put("Content-Language", h.ContentLanguage)
	put("Website-Redirect-Location", h.WebsiteRedirectLocation)
	if h.Expires != nil {
		m["Expires"] = h.Expires.UTC().String()
	}
	for k, v := range h.Metadata {
		m["x-amz-meta-"+strings.ToLower(k)] = v
	}
	return m
}

// PartLayout reads a multipart object's first part length with a HEAD
// (partNumber=1) into o.PartSize: with equal part counts and part sizes,
// two multipart ETags are comparable. Only pairs that nothing else
// decides pay this second HEAD.
func PartLayout(ctx context.Context, c HeadAPI, bucket, owner string, o *Obj) error {
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.Key), PartNumber: aws.Int32(1), IfMatch: aws.String(o.ETag)}
	if owner != "" {
		in.ExpectedBucketOwner = aws.String(owner)
	}
	h, err := c.HeadObject(ctx, in)
	if err != nil {
		if re := s3err.AsRunError(fmt.Sprintf("read s3://%s/%s", bucket, o.Key), err); re != nil {
			return re
		}
		return fmt.Errorf("HEAD part 1 of s3://%s/%s: %s: %w", bucket, o.Key, s3err.Code(err), err)
	}
	if int(aws.ToInt32(h.PartsCount)) == parts(o.ETag) {
		o.PartSize = aws.ToInt64(h.ContentLength)
	}
	return nil
}

// NeedsLayout reports a pair only the part layout can decide: both
// uploaded in parts, the same count, other ETags, no comparable checksum.
func NeedsLayout(p Pair) bool {
	s, d := p.Src, p.Dst
	if s == nil || d == nil || s.Size != d.Size || s.ETag == d.ETag || !md5ETag(s) || !md5ETag(d) {
		return false
	}
	n := parts(s.ETag)
	if n < 2 || n != parts(d.ETag) {
		return false
	}
	_, how, _ := content(s, d)
	return how == ByNothing
}

// NeedsEncryption reports a pair only its encryption can decide: read
// from listings (no HEAD yet), the same size, other single-part ETags, a
// side whose encryption is unknown. Plaintext and SSE-S3 ETags are MD5s
// and prove the difference; an SSE-KMS or SSE-C one proves nothing. A
// HEAD of each side tells which.
func NeedsEncryption(p Pair) bool {
	s, d := p.Src, p.Dst
	if s == nil || d == nil || s.Deep || d.Deep || s.Size != d.Size || s.ETag == d.ETag {
		return false
	}
	if parts(s.ETag) != 0 || parts(d.ETag) != 0 || !md5ETag(s) || !md5ETag(d) {
		return false
	}
	return s.Encryption == "" || d.Encryption == ""
}
