package engine

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

// decide returns the skip reason for an entry, or "" to copy it.
func (e *Engine) decide(en inventory.Entry, destKey string, cutoff time.Time) string {
	o := &e.opts
	src := en.Source
	switch {
	case !o.Filter.Match(en.Rel):
		return ReasonExcluded
	case destKey == "":
		return ReasonEmptyKey
	}
	if r := en.Replica; r != nil {
		if r.Size == src.Size && r.ETag == src.ETag {
			return ReasonExists
		}
		if r.LastModified.After(src.LastModified) {
			return ReasonNewerInReplica
		}
	}
	switch {
	case src.LastModified.After(cutoff):
		return ReasonTooNew
	case src.Size > o.MaxCopySize:
		return ReasonTooLarge
	}
	return ""
}

// copy makes one server-side copy. It returns nil when ctx was cancelled
// before S3 answered: the object was not finished and is not reported.
func (e *Engine) copy(ctx context.Context, t task) *Result {
	o := &e.opts
	src := t.entry.Source
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(o.Dest.Bucket),
		Key:               aws.String(t.destKey),
		CopySource:        aws.String(s3url.CopySource(src.Bucket, src.Key, src.VersionID)),
		MetadataDirective: types.MetadataDirectiveCopy,
		TaggingDirective:  types.TaggingDirectiveCopy,
	}
	if src.ETag != "" {
		in.CopySourceIfMatch = aws.String(src.ETag)
	}
	if sc := o.StorageClass; sc != "" {
		in.StorageClass = types.StorageClass(sc)
	} else if src.StorageClass != "" {
		in.StorageClass = types.StorageClass(src.StorageClass)
	}
	if o.SSE != "" {
		in.ServerSideEncryption = types.ServerSideEncryption(o.SSE)
	}
	if o.SSEKMSKeyID != "" {
		in.SSEKMSKeyId = aws.String(o.SSEKMSKeyID)
	}
	if o.BucketKey {
		in.BucketKeyEnabled = aws.Bool(true)
	}
	if o.ACL != "" {
		in.ACL = types.ObjectCannedACL(o.ACL)
	}
	if o.ExpectedSourceOwner != "" {
		in.ExpectedSourceBucketOwner = aws.String(o.ExpectedSourceOwner)
	}
	if o.ExpectedDestOwner != "" {
		in.ExpectedBucketOwner = aws.String(o.ExpectedDestOwner)
	}
	_, err := e.api.CopyObject(ctx, in)
	r := &Result{Entry: t.entry, DestKey: t.destKey}
	switch {
	case err == nil:
		r.Outcome = Copied
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return nil
	default:
		code := ErrorCode(err)
		if code == "PreconditionFailed" || code == "HTTP412" {
			r.Outcome, r.Reason = Skipped, ReasonChanged
			return r
		}
		r.Outcome, r.Code, r.Err = Failed, code, err
	}
	return r
}
