package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/backfill-dev/backfill/checkpoint"
)

// A multipart copy carries the source's checksum algorithm on
// CreateMultipartUpload (S3 computes the parts' checksums as it copies
// them). Some S3-compatible servers cannot: the pinned MinIO answers every
// UploadPartCopy into such an upload with 400 InvalidArgument "Invalid
// arguments provided for <bucket>/<key>/<upload>: (checksum missing, want
// "SHA256", got "")", whatever the algorithm. Such an upload can never be
// completed, so it is aborted and the object copied in a new upload without
// the algorithm; everything else (headers, metadata, tags, storage class)
// is kept, and the object's Result says what was dropped.

// DropChecksumAlgorithm is the Drop of a checksum algorithm the
// destination refused on part copies.
const DropChecksumAlgorithm = "checksum-algorithm"

// Drop is something of a source object that its copy could not carry.
type Drop struct {
	What  string // DropChecksumAlgorithm
	Value string // e.g. "SHA256"
}

func (d Drop) String() string { return d.What + " " + d.Value }

// checksumRefused reports the destination's refusal of a part copy because
// the upload was created with a checksum algorithm: InvalidArgument, with a
// message about the checksum. (Other InvalidArgument answers, e.g. a bad
// range, are not this.)
func checksumRefused(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidArgument" {
		return false
	}
	return strings.Contains(strings.ToLower(ae.ErrorMessage()), "checksum")
}

// partChecksumRefused reports that the destination refused part copies
// into an upload with algorithm a earlier in this run: later uploads are
// created without it at once, instead of failing their first parts too.
func (e *Engine) partChecksumRefused(a types.ChecksumAlgorithm) bool {
	if a == "" {
		return false
	}
	_, ok := e.refusedChecksums.Load(a)
	return ok
}

// fallBackToNoChecksum reports whether a copyParts error means the upload
// must be replaced by one without a checksum algorithm: the upload has one,
// the destination holds none of its parts, and a part was refused for it.
func fallBackToNoChecksum(up checkpoint.Upload, parts partState, err error) bool {
	return up.Checksum != "" && len(parts) == 0 && checksumRefused(err)
}

// withoutChecksum replaces an upload whose parts the destination refused
// because of its checksum algorithm: the upload is aborted (checked), and
// one created with the same input less the algorithm, its id committed to
// the checkpoint (replacing the old one) before any part is sent. On error
// it returns the old upload, for the caller to abort and forget as after
// any failure; errUnrecorded means the run is stopping.
func (e *Engine) withoutChecksum(ctx context.Context, t task, up checkpoint.Upload, in *s3.CreateMultipartUploadInput,
	results chan<- *Result) (checkpoint.Upload, error) {
	e.refusedChecksums.Store(types.ChecksumAlgorithm(up.Checksum), true)
	if err := e.budget.Acquire(ctx, 1); err != nil {
		return up, err
	}
	defer e.budget.Release(1)
	if err := e.abort(ctx, t, up.UploadID); err != nil {
		return up, fmt.Errorf("abort upload %s, whose parts were refused for its checksum algorithm %s: %w", up.UploadID, up.Checksum, err)
	}
	plain := *in
	plain.ChecksumAlgorithm = ""
	next, err := e.startUpload(ctx, t, &plain, up.PartSize, results)
	if err != nil {
		return up, err
	}
	if e.opts.Logf != nil {
		e.opts.Logf("s3://%s/%s: the destination refused part copies with checksum algorithm %s; copying it without (upload %s replaces %s)",
			e.opts.Dest.Bucket, t.destKey, up.Checksum, next.UploadID, up.UploadID)
	}
	return next, nil
}

// finish copies the upload's missing parts and completes it. An upload
// whose checksum algorithm the destination refuses, on its part copies
// (MinIO) or when it is completed (versitygw, for a source with a
// COMPOSITE checksum: its UploadPartCopy answers the whole source's
// checksum as the part's, which its CompleteMultipartUpload then refuses
// as "Invalid Base64 or multiple checksums"), is replaced by one without
// the algorithm (withoutChecksum) and its parts copied again. On error
// *up is the upload to abort; errUnrecorded means the run is stopping.
func (e *Engine) finish(ctx context.Context, t task, up *checkpoint.Upload, parts partState, in *s3.CreateMultipartUploadInput,
	results chan<- *Result) error {
	err := e.copyParts(ctx, t, up, parts, results)
	if err != nil && fallBackToNoChecksum(*up, parts, err) {
		if err = e.replaceWithoutChecksum(ctx, t, up, in, results); err == nil {
			err = e.copyParts(ctx, t, up, parts, results)
		}
	}
	if err != nil {
		return err
	}
	err = e.completeBudgeted(ctx, t, *up, parts)
	if err == nil || up.Checksum == "" || !checksumRefused(err) {
		return err
	}
	if e.opts.Logf != nil {
		e.opts.Logf("s3://%s/%s: the destination refused to complete upload %s with checksum algorithm %s (%v); copying it again without",
			e.opts.Dest.Bucket, t.destKey, up.UploadID, up.Checksum, err)
	}
	clear(parts)
	if err = e.replaceWithoutChecksum(ctx, t, up, in, results); err != nil {
		return err
	}
	if err = e.copyParts(ctx, t, up, parts, results); err != nil {
		return err
	}
	return e.completeBudgeted(ctx, t, *up, parts)
}

// replaceWithoutChecksum replaces *up by an upload without a checksum
// algorithm (withoutChecksum); on error *up stays the old one.
func (e *Engine) replaceWithoutChecksum(ctx context.Context, t task, up *checkpoint.Upload, in *s3.CreateMultipartUploadInput,
	results chan<- *Result) error {
	next, err := e.withoutChecksum(ctx, t, *up, in, results)
	*up = next
	return err
}

// completeBudgeted completes the upload as one request of the budget.
func (e *Engine) completeBudgeted(ctx context.Context, t task, up checkpoint.Upload, parts partState) error {
	if err := e.budget.Acquire(ctx, 1); err != nil {
		return err
	}
	defer e.budget.Release(1)
	return e.complete(ctx, t, up, parts)
}

// dropped says what a completed upload did not carry of the source: its
// checksum algorithm want, when the upload had none (made by
// withoutChecksum, in this run or in the one a resumed upload began in).
func dropped(want types.ChecksumAlgorithm, up checkpoint.Upload) []Drop {
	if want == "" || up.Checksum == string(want) {
		return nil
	}
	return []Drop{{What: DropChecksumAlgorithm, Value: string(want)}}
}
