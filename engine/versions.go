package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/inventory"
)

// VersionsAPI lists the replica's versions of a key; the destination's
// client must have it to copy an entry with older versions (Entry.Older).
type VersionsAPI interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

var _ VersionsAPI = (*s3.Client)(nil)

// CodeOlderVersionFailed is the failure code of the versions of a key
// not attempted because an older one failed: copying them first would
// put them under it in the replica's history.
const CodeOlderVersionFailed = "OlderVersionFailed"

// versionResult is the result of one version of a group: the entry
// narrowed to that version.
func versionResult(t task, v inventory.Object, out Outcome, reason string) *Result {
	en := t.entry
	en.Source, en.Older, en.Replica, en.ReplicaKnown = v, nil, nil, true
	return &Result{Outcome: out, Entry: en, DestKey: t.destKey, Reason: reason, group: true}
}

// settleVersions copies the versions of one key oldest first, so that the
// newest stays the replica's current version, and reports each version.
//
// What the replica holds is read from its version list: a source version
// with a match there (same size and ETag, or same size when either was
// copied in parts) exists. A missing version older than one that exists
// cannot be slid under it and is skipped as newer-in-replica; so is every
// version when the replica's current version is a stranger newer than the
// source's newest. The rest are copied in order; after a failure the
// newer ones wait (CodeOlderVersionFailed) and the key is not settled in
// its shard, so a resumed run takes it up again.
//
// Every result but the last goes straight to results; the last is
// returned (nil when the run was stopped or cancelled part way).
func (e *Engine) settleVersions(ctx context.Context, t task, results chan<- *Result) *Result {
	vs := append(append([]inventory.Object(nil), t.entry.Older...), t.entry.Source)
	outs := make([]*Result, len(vs))
	if r, done := e.completeVersions(ctx, t, vs, outs, results); done {
		return r
	}
	va, ok := e.api.(VersionsAPI)
	if !ok {
		return e.groupFailed(t, vs, "NotImplemented", fmt.Errorf("the destination client cannot list versions"), results)
	}
	if e.budget.Acquire(ctx, 1) != nil {
		return nil
	}
	have, err := e.replicaVersions(ctx, va, t.destKey)
	e.budget.Release(1)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return e.groupFailed(t, vs, ErrorCode(err), err, results)
	}
	last := -1 // the newest source version the replica has
	j := 0
	for i, v := range vs {
		if outs[i] != nil {
			continue // gone since it was listed
		}
		for k := j; k < len(have); k++ {
			if sameVersion(v, have[k]) {
				outs[i] = versionResult(t, v, Skipped, ReasonExists)
				last, j = i, k+1
				break
			}
		}
	}
	// The checkpoint's word on a version: done (an earlier run copied it),
	// or the failed attempts so far.
	attempts := make([]int, len(vs))
	if cp := e.opts.Checkpoint; cp != nil && !e.opts.FreshCheckpoint {
		for i, v := range vs {
			rec, ok, err := cp.Lookup(t.entry.Rel, v.VersionID)
			switch {
			case err != nil:
				return e.groupFailed(t, vs, "CheckpointRead", err, results)
			case ok && rec.State == checkpointDone && rec.ETag == v.ETag && rec.Size == v.Size:
				outs[i] = versionResult(t, v, Skipped, ReasonDone)
				last = max(last, i)
			case ok && rec.State == checkpointFailed:
				attempts[i] = rec.Attempts
			}
		}
	}
	stranger := len(have) > 0 && (j < len(have)) && have[len(have)-1].LastModified.After(vs[len(vs)-1].LastModified)
	for i, v := range vs {
		if outs[i] != nil {
			continue
		}
		if i < last || stranger {
			outs[i] = versionResult(t, v, Skipped, ReasonNewerInReplica)
			continue
		}
		if reason := e.versionSkip(t, v); reason != "" {
			outs[i] = versionResult(t, v, Skipped, reason)
		}
	}

	failed := false
	for i, v := range vs {
		r := outs[i]
		if r == nil && failed {
			r = versionResult(t, v, Failed, "")
			r.Code, r.Err = CodeOlderVersionFailed, fmt.Errorf("not copied: an older version of the key failed to copy")
		}
		if r == nil {
			if e.halted(ctx) && i > 0 {
				return nil // stopped part way: the key is taken up again on resume
			}
			if e.opts.DryRun {
				e.c.toCopy.Add(1)
				e.c.toCopyBytes.Add(v.Size)
				r = versionResult(t, v, WouldCopy, "")
			} else {
				vt := t
				vt.entry.Source, vt.entry.Older, vt.entry.ReplicaKnown, vt.entry.Replica = v, nil, true, nil
				e.c.toCopy.Add(1)
				e.c.toCopyBytes.Add(v.Size)
				if r = e.copyOne(ctx, vt, results); r == nil {
					return nil
				}
				r.group = true
			}
		}
		r.attempts = attempts[i]
		if r.Outcome == Failed {
			failed = true
		}
		if i < len(vs)-1 {
			r.fromWorker, r.groupPart = true, true
			results <- r
			continue
		}
		r.holdShard = failed
		return r
	}
	return nil
}

// completeVersions completes, with a HEAD of each, the versions whose
// ETag or date the source did not give: every copy is conditional on its
// ETag and age-checked. A version deleted since it was listed (404, of a
// source that is not a list of names) is skipped as gone in outs, as a
// copy that finds it gone does; one that cannot be read otherwise fails
// the key's versions with its code (done, r the last one's result; nil
// when the run was cancelled).
func (e *Engine) completeVersions(ctx context.Context, t task, vs []inventory.Object, outs []*Result, results chan<- *Result) (*Result, bool) {
	for i, v := range vs {
		if sourceComplete(v) {
			continue
		}
		if e.budget.Acquire(ctx, 1) != nil {
			return nil, true
		}
		now, err := e.headSource(ctx, v)
		e.budget.Release(1)
		if err == nil && !sourceComplete(now) {
			err = errNoETag
		}
		if err != nil && !t.entry.Named && s3err.IsNotFound(ErrorCode(err)) {
			outs[i] = versionResult(t, v, Skipped, ReasonGone)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, true
			}
			code := ErrorCode(err)
			if errors.Is(err, errNoETag) {
				code = CodeNoSourceETag
			}
			return e.groupFailed(t, vs, code, err, results), true
		}
		vs[i] = now
	}
	return nil, false
}

// skipGroup reports every version of a group skipped for the source's
// reason (a current version that is a delete marker, say).
func skipGroup(en inventory.Entry, destKey string, results chan<- *Result) {
	t := task{entry: en, destKey: destKey}
	vs := append(append([]inventory.Object(nil), en.Older...), en.Source)
	for i, v := range vs {
		r := versionResult(t, v, Skipped, en.SkipReason)
		r.groupPart = i < len(vs)-1
		results <- r
	}
}

// groupFailed reports every version of a group failed with one error.
func (e *Engine) groupFailed(t task, vs []inventory.Object, code string, err error, results chan<- *Result) *Result {
	for i, v := range vs {
		r := versionResult(t, v, Failed, "")
		r.Code, r.Err, r.holdShard = code, err, true
		if i == len(vs)-1 {
			return r
		}
		r.fromWorker, r.groupPart = true, true
		results <- r
	}
	return nil
}

// versionSkip is what decide says of one version apart from the replica.
func (e *Engine) versionSkip(t task, v inventory.Object) string {
	en := t.entry
	en.Source, en.Older, en.Replica, en.ReplicaKnown = v, nil, nil, true
	return e.decide(en, t.destKey, e.cutoff)
}

// copyOne copies one object, in parts when it is large.
func (e *Engine) copyOne(ctx context.Context, t task, results chan<- *Result) *Result {
	src := t.entry.Source
	if src.Size > e.opts.MultipartThreshold || e.keepsLayout(sourceObject{Size: src.Size, ETag: src.ETag}) {
		return e.copyMultipart(ctx, t, results)
	}
	if e.budget.Acquire(ctx, 1) != nil {
		return nil
	}
	defer e.budget.Release(1)
	return e.copy(ctx, t)
}

// sameVersion: a replica version that is a copy of source version v.
func sameVersion(v, r inventory.Object) bool {
	return v.Size == r.Size && (v.ETag == r.ETag || multipartETag(v.ETag) || multipartETag(r.ETag))
}

// replicaVersions lists the replica's versions of key, oldest first,
// without delete markers.
func (e *Engine) replicaVersions(ctx context.Context, api VersionsAPI, key string) ([]inventory.Object, error) {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(e.opts.Dest.Bucket), Prefix: aws.String(key),
		ExpectedBucketOwner: nonEmpty(e.opts.ExpectedDestOwner)}
	var newestFirst []inventory.Object
	for {
		out, err := api.ListObjectVersions(ctx, in)
		if err != nil {
			return nil, err
		}
		past := false
		for _, v := range out.Versions {
			if k := aws.ToString(v.Key); k != key {
				past = past || k > key
				continue
			}
			newestFirst = append(newestFirst, inventory.Object{Bucket: e.opts.Dest.Bucket, Key: key, VersionID: aws.ToString(v.VersionId),
				Size: aws.ToInt64(v.Size), ETag: aws.ToString(v.ETag), LastModified: aws.ToTime(v.LastModified)})
		}
		if past || !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	for i, j := 0, len(newestFirst)-1; i < j; i, j = i+1, j-1 {
		newestFirst[i], newestFirst[j] = newestFirst[j], newestFirst[i]
	}
	return newestFirst, nil
}
