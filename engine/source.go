package engine

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/inventory"
)

// CodeNoSourceETag is the failure of an object whose source gave no ETag:
// a copy is never sent without the ETag as its condition.
const CodeNoSourceETag = "NoSourceETag"

// errNoETag explains CodeNoSourceETag.
var errNoETag = errors.New("the source gave no ETag and no date for the object: a copy is never sent without its source-ETag condition and age check")

// sourceComplete reports whether an object carries what a conditional,
// age-checked copy needs: its ETag (the copy's if-match) and its date
// (--min-age). A listing always gives both; an inventory row may lack
// them, and a manifest's row never has them until its HEAD.
func sourceComplete(o inventory.Object) bool {
	return o.ETag != "" && !o.LastModified.IsZero()
}

// lookSource completes an entry whose source lacks its ETag or date with a
// HEAD of the source, or settles it when the source could not be read (by
// the entry's source, SourceErr, or by this HEAD): a failure with the
// HEAD's code, or "gone" when a listed object is no longer there (a named
// one is a NoSuchKey failure). Then it decides the entry again, now that
// its date and ETag are known. done reports a settled entry: r is its
// result, nil when the run was cancelled.
func (e *Engine) lookSource(ctx context.Context, t *task) (r *Result, done bool) {
	err := t.entry.SourceErr
	if err == nil {
		if e.budget.Acquire(ctx, 1) != nil {
			return nil, true
		}
		var now inventory.Object
		now, err = e.headSource(ctx, t.entry.Source)
		e.budget.Release(1)
		if err == nil {
			t.entry.Source = now
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, true
		}
		return e.unreadable(t, err), true
	}
	if !sourceComplete(t.entry.Source) {
		return &Result{Outcome: Failed, Entry: t.entry, DestKey: t.destKey, Code: CodeNoSourceETag, Err: errNoETag}, true
	}
	if reason := e.decide(t.entry, t.destKey, e.cutoff); reason != "" {
		return &Result{Outcome: Skipped, Entry: t.entry, DestKey: t.destKey, Reason: reason}, true
	}
	return nil, false
}

// unreadable is the result of an object whose source could not be read.
func (e *Engine) unreadable(t *task, err error) *Result {
	code := ErrorCode(err)
	if s3err.IsNotFound(code) {
		if !t.entry.Named {
			return &Result{Outcome: Skipped, Entry: t.entry, DestKey: t.destKey, Reason: ReasonGone}
		}
		code = "NoSuchKey" // named by a list, and not in the source: a typo must not look like success
	}
	return &Result{Outcome: Failed, Entry: t.entry, DestKey: t.destKey, Code: code, Err: err}
}

// headSource reads an object (a version, when it names one) as the
// source holds it now.
func (e *Engine) headSource(ctx context.Context, src inventory.Object) (inventory.Object, error) {
	if e.srcAPI == nil {
		return src, errors.New("no client for the source")
	}
	h, err := e.srcAPI.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		VersionId: nonEmpty(src.VersionID), ExpectedBucketOwner: nonEmpty(e.opts.ExpectedSourceOwner)})
	if err != nil {
		return src, err
	}
	src.Size, src.ETag, src.LastModified = aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), aws.ToTime(h.LastModified)
	if h.StorageClass != "" {
		src.StorageClass = string(h.StorageClass)
	} else if src.StorageClass == "" {
		src.StorageClass = "STANDARD"
	}
	return src, nil
}
