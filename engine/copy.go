package engine

import (
	"context"
	"errors"
	"strings"
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
	// An incomplete source (no ETag or date yet) is compared with the
	// replica and the clock once a HEAD completed it (lookSource).
	if sourceComplete(src) {
		if reason := replicaReason(src, en.Replica); reason != "" {
			return reason
		}
		if src.LastModified.After(cutoff) {
			return ReasonTooNew
		}
	}
	switch {
	case !o.IncludeArchived && (src.Archived || src.StorageClass == "GLACIER" || src.StorageClass == "DEEP_ARCHIVE"):
		return ReasonArchived
	case src.Size > MaxObjectSize:
		return ReasonTooLarge
	}
	return ""
}

// replicaReason is the skip reason the replica's object gives, if any.
//
// ETags compare only between copies made the same way: a multipart
// source (ETag "...-N") copied by one CopyObject, or a multipart copy of
// any source, gets an ETag of its own. When either side is multipart, the
// same size and a replica no older than the source count as the copy.
func replicaReason(src inventory.Object, r *inventory.Object) string {
	switch {
	case r == nil:
		return ""
	case r.Size == src.Size && r.ETag == src.ETag:
		return ReasonExists
	case r.Size == src.Size && (multipartETag(src.ETag) || multipartETag(r.ETag)) && !r.LastModified.Before(src.LastModified):
		return ReasonExists
	case r.LastModified.After(src.LastModified):
		return ReasonNewerInReplica
	}
	return ""
}

// repairReason is the skip reason of a verify's repair: "" when the
// replica still holds what the verify saw (was; nil for nothing), so the
// copy goes ahead; replica-changed when someone wrote since.
func repairReason(was, now *inventory.Object) string {
	switch {
	case was == nil && now == nil:
		return ""
	case was == nil || now == nil:
		return ReasonReplicaChanged
	case was.ETag == now.ETag && was.Size == now.Size && was.LastModified.Truncate(time.Second).Equal(now.LastModified.Truncate(time.Second)):
		return "" // a listing's date has milliseconds, a HEAD's whole seconds
	}
	return ReasonReplicaChanged
}

// process settles one task: when the source did not look at the replica,
// a HeadObject on the destination first (never make the replica older),
// then the copy.
//
// A source that changed since it was listed (the copy's if-match failed)
// is looked at again: its current version is copied when it still
// predates the --min-age window (the replica is checked against it
// anew); otherwise the object is skipped as "changed".
func (e *Engine) process(ctx context.Context, t task, results chan<- *Result) *Result {
	r := e.settle(ctx, t, results)
	for refreshed := 0; r != nil && r.Outcome == Skipped && r.Reason == ReasonChanged && refreshed < 2; refreshed++ {
		var retry bool
		if t, r, retry = e.refresh(ctx, t, r); !retry {
			break
		}
		r = e.settle(ctx, t, results)
	}
	if r != nil && r.Outcome != 0 {
		if !r.group {
			r.attempts = t.attempts
		}
		r.fromWorker = true
	}
	return r
}

func (e *Engine) settle(ctx context.Context, t task, results chan<- *Result) *Result {
	if len(t.entry.Older) > 0 {
		return e.settleVersions(ctx, t, results)
	}
	// The plan counted a known replica's entry as a copy, unless its
	// source was incomplete.
	counted := t.entry.ReplicaKnown && sourceComplete(t.entry.Source) && t.entry.SourceErr == nil
	if !counted && (!sourceComplete(t.entry.Source) || t.entry.SourceErr != nil) {
		if r, done := e.lookSource(ctx, &t); done {
			return r
		}
	}
	if !t.entry.ReplicaKnown {
		if e.budget.Acquire(ctx, 1) != nil {
			return nil
		}
		replica, err := e.headReplica(ctx, t.destKey)
		e.budget.Release(1)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return &Result{Outcome: Failed, Entry: t.entry, DestKey: t.destKey, Code: ErrorCode(err), Err: err}
		}
		reason := replicaReason(t.entry.Source, replica)
		if t.entry.Repair {
			reason = repairReason(t.entry.ReplicaWas, replica)
		}
		if reason != "" {
			return &Result{Outcome: Skipped, Entry: t.entry, DestKey: t.destKey, Reason: reason}
		}
	}
	if !counted {
		e.c.toCopy.Add(1)
		e.c.toCopyBytes.Add(t.entry.Source.Size)
		if e.opts.DryRun {
			return &Result{Outcome: WouldCopy, Entry: t.entry, DestKey: t.destKey}
		}
	}
	return e.copyOne(ctx, t, results)
}

// refresh looks at the current version of a source that changed after it
// was listed. retry says to copy it (t describes it now); otherwise r is
// the object's result: gone, changed (too new), or the skip the new
// version's fields decide.
func (e *Engine) refresh(ctx context.Context, t task, r *Result) (task, *Result, bool) {
	src := t.entry.Source
	if e.srcAPI == nil || src.VersionID != "" {
		return t, r, false // a version never changes
	}
	if e.budget.Acquire(ctx, 1) != nil {
		return t, nil, false
	}
	h, err := e.srcAPI.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		ExpectedBucketOwner: nonEmpty(e.opts.ExpectedSourceOwner)})
	e.budget.Release(1)
	switch code := ErrorCode(err); {
	case err == nil:
	case ctx.Err() != nil:
		return t, nil, false
	case code == "NotFound" || code == "HTTP404" || code == "NoSuchKey":
		r.Reason = ReasonGone
		return t, r, false
	default:
		return t, &Result{Outcome: Failed, Entry: t.entry, DestKey: t.destKey, Code: code, Err: err}, false
	}
	now := inventory.Object{Bucket: src.Bucket, Key: src.Key, Size: aws.ToInt64(h.ContentLength), ETag: aws.ToString(h.ETag),
		LastModified: aws.ToTime(h.LastModified), StorageClass: string(h.StorageClass)}
	// S3 dates have whole seconds: one in the cutoff's second counts as
	// after it. A HEAD without an ETag or date gives nothing to copy by.
	if now.ETag == "" || now.ETag == src.ETag || now.LastModified.IsZero() || !now.LastModified.Before(e.cutoff.Truncate(time.Second)) {
		return t, r, false // too new to copy: changed
	}
	e.c.toCopy.Add(-1)
	e.c.toCopyBytes.Add(-src.Size)
	t.entry.Source, t.entry.ReplicaKnown, t.entry.Replica = now, false, nil
	if reason := e.decide(t.entry, t.destKey, e.cutoff); reason != "" {
		return t, &Result{Outcome: Skipped, Entry: t.entry, DestKey: t.destKey, Reason: reason}, false
	}
	return t, nil, true
}

// headReplica returns the replica's object at key, or nil when there is none.
func (e *Engine) headReplica(ctx context.Context, key string) (*inventory.Object, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(e.opts.Dest.Bucket), Key: aws.String(key)}
	if e.opts.ExpectedDestOwner != "" {
		in.ExpectedBucketOwner = aws.String(e.opts.ExpectedDestOwner)
	}
	h, err := e.api.HeadObject(ctx, in)
	if err != nil {
		switch ErrorCode(err) {
		case "NotFound", "NoSuchKey", "HTTP404":
			return nil, nil
		}
		return nil, err
	}
	return &inventory.Object{Bucket: e.opts.Dest.Bucket, Key: key, Size: aws.ToInt64(h.ContentLength),
		ETag: aws.ToString(h.ETag), LastModified: aws.ToTime(h.LastModified)}, nil
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
	if src.ETag == "" { // never copy from a view the copy cannot be held to
		return &Result{Outcome: Failed, Entry: t.entry, DestKey: t.destKey, Code: CodeNoSourceETag, Err: errNoETag}
	}
	in.CopySourceIfMatch = aws.String(src.ETag)
	if sc := o.StorageClass; sc != "" {
		in.StorageClass = types.StorageClass(sc)
	} else if src.StorageClass != "" {
		in.StorageClass = types.StorageClass(src.StorageClass)
	}
	d := o.destSettings()
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled, in.ACL = d.sse, d.kmsKey, d.bucketKey, d.acl
	in.ExpectedSourceBucketOwner, in.ExpectedBucketOwner = nonEmpty(o.ExpectedSourceOwner), nonEmpty(o.ExpectedDestOwner)
	_, err := e.api.CopyObject(ctx, in)
	r := &Result{Entry: t.entry, DestKey: t.destKey}
	switch {
	case err == nil:
		r.Outcome = Copied
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return nil
	default:
		code := ErrorCode(err)
		switch code {
		case "PreconditionFailed", "HTTP412":
			r.Outcome, r.Reason = Skipped, ReasonChanged
			return r
		case "NoSuchKey", "NoSuchVersion":
			// CopyObject's NoSuchKey (NoSuchVersion for a version) is about
			// the source: deleted since it was listed? Only a look at the
			// source says so for sure; a key that S3 cannot find for
			// another reason is a failure.
			if e.sourceGone(ctx, src) {
				r.Outcome, r.Reason = Skipped, ReasonGone
				return r
			}
		}
		if IsArchiveCode(code) && !o.IncludeArchived {
			// An archive tier the listing could not see: skipped as
			// archived, like the ones it could.
			r.Outcome, r.Reason = Skipped, ReasonArchived
			return r
		}
		r.Outcome, r.Code, r.Err = Failed, code, err
	}
	return r
}

// multipartETag reports an ETag of an object uploaded (or copied) in parts.
func multipartETag(etag string) bool {
	return strings.Contains(etag, "-")
}

// sourceGone asks the source whether an object is really gone (404).
func (e *Engine) sourceGone(ctx context.Context, src inventory.Object) bool {
	if e.srcAPI == nil {
		return true
	}
	_, err := e.srcAPI.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		VersionId: nonEmpty(src.VersionID), ExpectedBucketOwner: nonEmpty(e.opts.ExpectedSourceOwner)})
	switch ErrorCode(err) {
	case "NotFound", "HTTP404", "NoSuchKey", "NoSuchVersion":
		return true
	}
	return false
}

// destSettings are the options every write to the destination carries,
// the same for a CopyObject and a CreateMultipartUpload.
type destSettings struct {
	sse       types.ServerSideEncryption
	kmsKey    *string
	bucketKey *bool
	acl       types.ObjectCannedACL
}

func (o *Options) destSettings() destSettings {
	d := destSettings{sse: types.ServerSideEncryption(o.SSE), kmsKey: nonEmpty(o.SSEKMSKeyID), acl: types.ObjectCannedACL(o.ACL)}
	if o.BucketKey {
		d.bucketKey = aws.Bool(true)
	}
	return d
}
