package engine

import (
	"context"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// etagParts is the part count of a multipart ETag ("...-N"), 0 for an
// object uploaded in one request.
func etagParts(etag string) int {
	e := strings.Trim(etag, `"`)
	i := strings.LastIndexByte(e, '-')
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(e[i+1:])
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// keepsLayout reports whether an object is copied over its source's own
// part ranges: a source uploaded in parts, copied in parts anyway (above
// the threshold), or with KeepPartLayout at any size S3 copies in ranges.
func (e *Engine) keepsLayout(src sourceObject) bool {
	n := etagParts(src.ETag)
	if n < 2 {
		return false
	}
	return src.Size > e.opts.MultipartThreshold || e.opts.KeepPartLayout && src.Size > MinPartSize
}

type sourceObject struct {
	Bucket, Key, VersionID, ETag string
	Size                         int64
}

// sourceLayout finds the source's part size with a HEAD of its first part
// (PartsCount and that part's length): the copy then makes the same parts,
// so its ETag equals the source's, as replication's does, and verify can
// compare them. ok is false when the layout is not one S3 can copy that
// way: parts of unequal size (the first one's length does not account for
// the object), or a part outside S3's limits.
func (e *Engine) sourceLayout(ctx context.Context, src sourceObject) (partSize int64, ok bool) {
	n := etagParts(src.ETag)
	h, err := e.srcAPI.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		VersionId: nonEmpty(src.VersionID), PartNumber: aws.Int32(1), IfMatch: nonEmpty(src.ETag),
		ExpectedBucketOwner: nonEmpty(e.opts.ExpectedSourceOwner)})
	if err != nil || int(aws.ToInt32(h.PartsCount)) != n {
		return 0, false
	}
	ps := aws.ToInt64(h.ContentLength)
	if ps < MinPartSize || ps > MaxPartSize || int64(n-1)*ps >= src.Size || int64(n)*ps < src.Size || n > MaxParts {
		return 0, false
	}
	return ps, true
}

// CopyPlan is how the engine copies an object, as far as its size and
// ETag tell before any request: in one CopyObject, or in Parts parts
// (LayoutHead: after a HEAD of the source's first part, whose layout it
// follows when S3's limits allow; Parts then assumes it does).
type CopyPlan struct {
	Multipart  bool
	Parts      int64
	LayoutHead bool
}

// PlanOf is the CopyPlan of an object of size with etag under o (what
// `backfill plan` counts).
func PlanOf(o Options, size int64, etag string) CopyPlan {
	e := &Engine{opts: o.withDefaults()}
	if size <= e.opts.MultipartThreshold && !e.keepsLayout(sourceObject{Size: size, ETag: etag}) {
		return CopyPlan{}
	}
	if e.keepsLayout(sourceObject{Size: size, ETag: etag}) {
		return CopyPlan{Multipart: true, Parts: int64(etagParts(etag)), LayoutHead: true}
	}
	ps, _ := PartSizeFor(size, e.opts.PartSize)
	return CopyPlan{Multipart: true, Parts: (size + ps - 1) / ps}
}
