package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// Multipart limits (S3-FACTS §5).
const (
	MinPartSize   int64 = 5 << 20
	MaxPartSize   int64 = 5 << 30
	MaxParts            = 10_000
	MaxObjectSize int64 = MaxParts * MaxPartSize // 48.8 TiB (10,000 parts of 5 GiB), S3's object limit
	abortTimeout        = 30 * time.Second
)

// MultipartAPI is what a multipart copy needs of the destination's client.
type MultipartAPI interface {
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, optFns ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListParts(ctx context.Context, in *s3.ListPartsInput, optFns ...func(*s3.Options)) (*s3.ListPartsOutput, error)
}

// SourceAPI is what a multipart copy reads from the source, in the
// source's region: UploadPartCopy copies bytes only, so everything else
// is read here and carried over explicitly.
type SourceAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
}

var (
	_ MultipartAPI = (*s3.Client)(nil)
	_ SourceAPI    = (*s3.Client)(nil)
)

// errStopped ends a multipart copy that Stop interrupted between parts.
var errStopped = errors.New("stopped")

// MultipartCopyError is a failed multipart copy; UploadID names the upload
// (aborted unless AbortErr says the abort failed too).
type MultipartCopyError struct {
	UploadID string
	Err      error
	AbortErr error
}

func (e *MultipartCopyError) Error() string {
	msg := fmt.Sprintf("multipart copy (upload %s): %v", e.UploadID, e.Err)
	if e.AbortErr != nil {
		msg += fmt.Sprintf("; abort failed, the upload is left recorded in the checkpoint for `backfill cleanup`: %v", e.AbortErr)
	}
	return msg
}

func (e *MultipartCopyError) Unwrap() error { return e.Err }

// PartSizeFor returns the part size for an object of size bytes: want
// (clamped to 5 MiB..5 GiB), grown in MiB steps when the object would
// otherwise need more than 10,000 parts. ok is false above 48.8 TiB.
func PartSizeFor(size, want int64) (int64, bool) {
	if size > MaxObjectSize {
		return 0, false
	}
	ps := min(max(want, MinPartSize), MaxPartSize)
	if need := (size + MaxParts - 1) / MaxParts; need > ps {
		ps = (need + (1<<20 - 1)) &^ (1<<20 - 1)
	}
	return ps, ps <= MaxPartSize
}

// uploadEvent carries an upload's state to the collector, which records
// it (or forgets it) in the checkpoint. When durable is set, the collector
// commits at once and answers on it: a new upload's id is on disk before
// its first part is sent, so no kill leaves an upload unrecorded.
type uploadEvent struct {
	state   checkpoint.Upload
	forget  bool
	durable chan error
}

// copyMultipart copies one large object with CreateMultipartUpload,
// parallel UploadPartCopy (each part a request of the engine's global
// budget), and CompleteMultipartUpload; it resumes an upload the checkpoint
// recorded, and aborts on failure.
func (e *Engine) copyMultipart(ctx context.Context, t task, results chan<- *Result) *Result {
	o := &e.opts
	src := t.entry.Source
	res := func(out Outcome, reason, code string, err error) *Result {
		return &Result{Outcome: out, Entry: t.entry, DestKey: t.destKey, Reason: reason, Code: code, Err: err}
	}
	partSize, ok := PartSizeFor(src.Size, o.PartSize)
	if !ok {
		return res(Skipped, ReasonTooLarge, "", nil)
	}
	if src.ETag == "" { // every part is conditional on the source's ETag
		return res(Failed, "", CodeNoSourceETag, errNoETag)
	}

	// The requests around the parts count against the global budget too,
	// one at a time.
	if e.budget.Acquire(ctx, 1) != nil {
		return nil
	}
	held := true
	release := func() {
		if held {
			e.budget.Release(1)
			held = false
		}
	}
	defer release()

	// Everything UploadPartCopy does not copy, read from the source as it
	// is now, and only if it is still the version that was listed.
	head, err := e.srcAPI.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		VersionId: nonEmpty(src.VersionID), IfMatch: nonEmpty(src.ETag), ChecksumMode: types.ChecksumModeEnabled,
		ExpectedBucketOwner: nonEmpty(o.ExpectedSourceOwner)})
	if err != nil {
		if code := ErrorCode(err); code == "NotFound" || code == "HTTP404" || code == "NoSuchVersion" {
			return res(Skipped, ReasonGone, "", nil)
		}
		return e.failure(ctx, t, err)
	}
	so := sourceObject{Bucket: src.Bucket, Key: src.Key, VersionID: src.VersionID, ETag: src.ETag, Size: src.Size}
	if e.keepsLayout(so) {
		if ps, ok := e.sourceLayout(ctx, so); ok {
			partSize = ps // the source's own parts: the replica gets its ETag
		}
	}
	tagOut, err := e.srcAPI.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
		VersionId: nonEmpty(src.VersionID), ExpectedBucketOwner: nonEmpty(o.ExpectedSourceOwner)})
	if err != nil {
		return e.failure(ctx, t, err)
	}

	in := e.createInput(t, head, tagOut.TagSet)
	want := in.ChecksumAlgorithm
	if e.partChecksumRefused(want) {
		in.ChecksumAlgorithm = ""
	}
	up, parts, err := e.resumeUpload(ctx, t, partSize)
	if err != nil {
		return e.failure(ctx, t, err)
	}
	if up.UploadID == "" {
		if up, err = e.startUpload(ctx, t, in, partSize, results); errors.Is(err, errUnrecorded) {
			return nil // the run is stopping: the checkpoint could not be written
		} else if err != nil {
			return e.failure(ctx, t, err)
		}
	}

	release()
	if err = e.finish(ctx, t, &up, parts, in, results); errors.Is(err, errUnrecorded) {
		return nil // the run is stopping: the checkpoint could not be written
	}
	if err == nil {
		r := res(Copied, "", "", nil)
		r.upload = &uploadEvent{state: up, forget: true}
		r.Dropped = dropped(want, up)
		return r
	}
	// Failed, or the run was cancelled (a second Ctrl-C): abort.
	abortErr := e.abort(ctx, t, up.UploadID)
	if ctx.Err() == nil && !errors.Is(err, errStopped) {
		// A part may fail for a reason other than its if-match when the
		// source changed under it (e.g. its range no longer fits): ask the
		// source whether it is still the version the upload started from.
		if _, herr := e.srcAPI.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src.Bucket), Key: aws.String(src.Key),
			VersionId: nonEmpty(src.VersionID), IfMatch: nonEmpty(up.SourceETag), ExpectedBucketOwner: nonEmpty(o.ExpectedSourceOwner)}); herr != nil {
			switch ErrorCode(herr) {
			case "PreconditionFailed", "HTTP412", "NotFound", "HTTP404", "NoSuchKey":
				err = herr
			}
		}
	}
	r := e.failure(ctx, t, err)
	if r == nil { // cancelled: the object is not reported, its upload is
		r = &Result{Entry: t.entry}
	}
	r.upload = &uploadEvent{state: up, forget: abortErr == nil}
	if r.Outcome == Failed {
		r.Err = &MultipartCopyError{UploadID: up.UploadID, Err: err, AbortErr: abortErr}
	}
	if abortErr != nil && e.opts.Logf != nil {
		e.opts.Logf("abort of upload %s for s3://%s/%s failed (recorded in the checkpoint; `backfill cleanup` aborts it): %v",
			up.UploadID, o.Dest.Bucket, t.destKey, abortErr)
	}
	return r
}

// recordUpload makes a new upload's id durable in the checkpoint before
// any part is copied: the collector commits it and answers. Without a
// checkpoint there is nothing to record.
func (e *Engine) recordUpload(ctx context.Context, t task, up checkpoint.Upload, results chan<- *Result) error {
	if e.opts.Checkpoint == nil {
		return nil
	}
	done := make(chan error, 1)
	select {
	case results <- &Result{Entry: t.entry, upload: &uploadEvent{state: up, durable: done}}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errUnrecorded: a new upload's id could not be committed to the
// checkpoint (the upload was aborted); the run is stopping.
var errUnrecorded = errors.New("the upload could not be recorded in the checkpoint")

// startUpload creates an upload with in and commits its id to the
// checkpoint before anything else is done with it. If that commit fails,
// it aborts the upload and returns errUnrecorded.
func (e *Engine) startUpload(ctx context.Context, t task, in *s3.CreateMultipartUploadInput, partSize int64,
	results chan<- *Result) (checkpoint.Upload, error) {
	src := t.entry.Source
	out, err := e.createUpload(ctx, t, in) // and aborts the uploads of its lost answers (lost.go)
	if err != nil {
		return checkpoint.Upload{}, err
	}
	up := checkpoint.Upload{Key: t.entry.Rel, VersionID: src.VersionID, UploadID: aws.ToString(out.UploadId),
		SourceETag: src.ETag, Size: src.Size, PartSize: partSize, Started: time.Now().UTC(),
		Checksum: string(in.ChecksumAlgorithm)}
	if err := e.recordUpload(ctx, t, up, results); err != nil {
		abortErr := e.abort(ctx, t, up.UploadID)
		if abortErr != nil && e.opts.Logf != nil {
			e.opts.Logf("upload %s for s3://%s/%s could not be recorded nor aborted: abort it with `backfill cleanup --orphans`: %v",
				up.UploadID, e.opts.Dest.Bucket, t.destKey, abortErr)
		}
		return checkpoint.Upload{}, errUnrecorded
	}
	return up, nil
}

// partState is the parts of an upload that S3 holds already.
type partState map[int32]types.CompletedPart

// resumeUpload returns the upload the checkpoint recorded for this object,
// with the parts S3 says it holds (ListParts), if it is still usable: same
// source ETag and part size. An unusable one is aborted.
func (e *Engine) resumeUpload(ctx context.Context, t task, partSize int64) (checkpoint.Upload, partState, error) {
	parts := partState{}
	if e.opts.Checkpoint == nil {
		return checkpoint.Upload{}, parts, nil
	}
	up, ok, err := e.opts.Checkpoint.Upload(t.entry.Rel, t.entry.Source.VersionID)
	if err != nil || !ok {
		return checkpoint.Upload{}, parts, err
	}
	if up.SourceETag != t.entry.Source.ETag || up.PartSize != partSize || up.Size != t.entry.Source.Size {
		// Made from another version of the source, or with another part
		// size: abort it and start over. If the abort fails, the object
		// fails this time, so the old upload stays recorded.
		if err := e.abort(ctx, t, up.UploadID); err != nil {
			return checkpoint.Upload{}, parts, fmt.Errorf("abort the earlier upload %s of this object: %w", up.UploadID, err)
		}
		return checkpoint.Upload{}, parts, nil
	}
	var marker *string
	for {
		out, err := e.api.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(e.opts.Dest.Bucket), Key: aws.String(t.destKey),
			UploadId: aws.String(up.UploadID), PartNumberMarker: marker, ExpectedBucketOwner: nonEmpty(e.opts.ExpectedDestOwner)})
		if err != nil {
			if code := ErrorCode(err); code == "NoSuchUpload" || code == "HTTP404" {
				return checkpoint.Upload{}, partState{}, nil // gone (aborted or expired): start over
			}
			return up, parts, err
		}
		for _, p := range out.Parts {
			parts[aws.ToInt32(p.PartNumber)] = types.CompletedPart{PartNumber: p.PartNumber, ETag: p.ETag,
				ChecksumCRC32: p.ChecksumCRC32, ChecksumCRC32C: p.ChecksumCRC32C, ChecksumCRC64NVME: p.ChecksumCRC64NVME,
				ChecksumSHA1: p.ChecksumSHA1, ChecksumSHA256: p.ChecksumSHA256}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = out.NextPartNumberMarker
	}
	up.Parts = up.Parts[:0]
	for _, n := range slices.Sorted(mapKeys(parts)) {
		up.Parts = append(up.Parts, checkpoint.Part{Number: n, ETag: aws.ToString(parts[n].ETag)})
	}
	return up, parts, nil
}

// copyParts copies the parts S3 does not hold yet, in parallel, each part
// one request of the engine's global budget (so a huge object neither
// starves small ones nor multiplies the requests in flight).
func (e *Engine) copyParts(ctx context.Context, t task, up *checkpoint.Upload, parts partState, results chan<- *Result) error {
	o := &e.opts
	src := t.entry.Source
	n := int32((up.Size + up.PartSize - 1) / up.PartSize)
	// After a failure (or Stop) no new part starts, but the parts in flight
	// run to their end: S3 may still be writing a part whose request was
	// cancelled, and an abort sent meanwhile can leave it behind. Only a
	// cancelled run (ctx) cuts them short.
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		sem      = make(chan struct{}, o.PartConcurrency)
	)
	failed := make(chan struct{})
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			close(failed)
		}
	}
	var missing []int32
	for pn := int32(1); pn <= n; pn++ {
		if _, done := parts[pn]; !done {
			missing = append(missing, pn)
		}
	}
launch:
	for _, pn := range missing {
		select { // a Stop wins over a free slot (select picks among ready cases at random)
		case <-e.stop:
			fail(errStopped)
			break launch
		default:
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break launch
		case <-failed:
			break launch
		case <-e.stop:
			// Ctrl-C: no new parts; the ones in flight finish, then the
			// upload is aborted and the object left for the next run.
			fail(errStopped)
			break launch
		}
		select {
		case <-failed:
			<-sem
			break launch
		default:
		}
		if err := e.budget.Acquire(ctx, 1); err != nil {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { e.budget.Release(1); <-sem }()
			first := int64(pn-1) * up.PartSize
			last := min(first+up.PartSize, up.Size) - 1
			out, err := e.api.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
				Bucket: aws.String(o.Dest.Bucket), Key: aws.String(t.destKey), UploadId: aws.String(up.UploadID),
				PartNumber: aws.Int32(pn), CopySource: aws.String(s3url.CopySource(src.Bucket, src.Key, src.VersionID)),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)), CopySourceIfMatch: aws.String(up.SourceETag),
				ExpectedBucketOwner: nonEmpty(o.ExpectedDestOwner), ExpectedSourceBucketOwner: nonEmpty(o.ExpectedSourceOwner),
			})
			if err != nil {
				fail(fmt.Errorf("part %d: %w", pn, err))
				return
			}
			cp := types.CompletedPart{PartNumber: aws.Int32(pn)}
			if r := out.CopyPartResult; r != nil {
				cp.ETag, cp.ChecksumCRC32, cp.ChecksumCRC32C, cp.ChecksumCRC64NVME, cp.ChecksumSHA1, cp.ChecksumSHA256 =
					r.ETag, r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME, r.ChecksumSHA1, r.ChecksumSHA256
			}
			mu.Lock()
			defer mu.Unlock() // sent under the lock, so snapshots reach the collector in order
			parts[pn] = cp
			up.Parts = append(up.Parts, checkpoint.Part{Number: pn, ETag: aws.ToString(cp.ETag)})
			snap := *up
			snap.Parts = slices.Clone(up.Parts)
			results <- &Result{Entry: t.entry, upload: &uploadEvent{state: snap}}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (e *Engine) complete(ctx context.Context, t task, up checkpoint.Upload, parts partState) error {
	list := make([]types.CompletedPart, 0, len(parts))
	for _, n := range slices.Sorted(mapKeys(parts)) {
		list = append(list, parts[n])
	}
	_, err := e.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(e.opts.Dest.Bucket),
		Key: aws.String(t.destKey), UploadId: aws.String(up.UploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: list},
		// S3 refuses to complete parts that do not add up to the source's size.
		MpuObjectSize: aws.Int64(up.Size), ExpectedBucketOwner: nonEmpty(e.opts.ExpectedDestOwner)})
	if err != nil && ErrorCode(err) == "NoSuchUpload" && e.completedAlready(ctx, t, up.Size, list) {
		return nil // completed by an attempt whose answer was lost (lost.go)
	}
	return err
}

// abort aborts an upload with a context of its own: it must run even when
// the run was cancelled (Ctrl-C), and must not hang.
//
// S3 may still finish a part that was in flight when the abort arrived
// ("it might be necessary to abort a given multipart upload multiple
// times"), so the abort is checked with ListParts and repeated (3 times
// at most) until the upload is gone.
func (e *Engine) abort(ctx context.Context, t task, uploadID string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	bucket, key, owner := aws.String(e.opts.Dest.Bucket), aws.String(t.destKey), nonEmpty(e.opts.ExpectedDestOwner)
	for range 3 {
		_, err := e.api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key,
			UploadId: aws.String(uploadID), ExpectedBucketOwner: owner})
		if err != nil && ErrorCode(err) != "NoSuchUpload" {
			return err
		}
		_, err = e.api.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: aws.String(uploadID),
			ExpectedBucketOwner: owner})
		if code := ErrorCode(err); code == "NoSuchUpload" || code == "HTTP404" {
			return nil
		} else if err != nil {
			return nil // the abort was accepted; the check itself failed
		}
	}
	return fmt.Errorf("upload %s still exists after 3 aborts", uploadID)
}

// createInput carries everything of the source object that UploadPartCopy
// does not: content headers, user metadata, tags, storage class, SSE, the
// checksum algorithm, website redirect.
func (e *Engine) createInput(t task, h *s3.HeadObjectOutput, tags []types.Tag) *s3.CreateMultipartUploadInput {
	o := &e.opts
	in := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(o.Dest.Bucket), Key: aws.String(t.destKey),
		ContentType: h.ContentType, CacheControl: h.CacheControl, ContentDisposition: h.ContentDisposition,
		ContentEncoding: h.ContentEncoding, ContentLanguage: h.ContentLanguage, Expires: h.Expires,
		WebsiteRedirectLocation: h.WebsiteRedirectLocation, Metadata: h.Metadata,
		ExpectedBucketOwner: nonEmpty(o.ExpectedDestOwner),
	}
	if len(tags) > 0 {
		q := url.Values{}
		for _, tg := range tags {
			q.Add(aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
		in.Tagging = aws.String(q.Encode())
	}
	switch {
	case o.StorageClass != "":
		in.StorageClass = types.StorageClass(o.StorageClass)
	case h.StorageClass != "":
		in.StorageClass = h.StorageClass
	case t.entry.Source.StorageClass != "":
		in.StorageClass = types.StorageClass(t.entry.Source.StorageClass)
	}
	switch {
	case h.ChecksumCRC32 != nil:
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32
	case h.ChecksumCRC32C != nil:
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c
	case h.ChecksumCRC64NVME != nil:
		in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc64nvme
	case h.ChecksumSHA1 != nil:
		in.ChecksumAlgorithm = types.ChecksumAlgorithmSha1
	case h.ChecksumSHA256 != nil:
		in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
	}
	d := o.destSettings()
	in.ServerSideEncryption, in.SSEKMSKeyId, in.BucketKeyEnabled, in.ACL = d.sse, d.kmsKey, d.bucketKey, d.acl
	return in
}

// failure turns an error of a copy into its result: a source that changed
// or vanished is a skip, a cancelled request is not reported (nil).
func (e *Engine) failure(ctx context.Context, t task, err error) *Result {
	r := &Result{Entry: t.entry, DestKey: t.destKey}
	switch code := ErrorCode(err); {
	case ctx.Err() != nil:
		// The run was cancelled (second Ctrl-C, or a run-level error
		// elsewhere): whatever this request says, the object is not
		// reported, and not settled.
		return nil
	case errors.Is(err, errStopped):
		return nil
	case code == "PreconditionFailed" || code == "HTTP412":
		r.Outcome, r.Reason = Skipped, ReasonChanged
	case code == "NoSuchKey" || code == "NoSuchVersion" || code == "NotFound" || code == "HTTP404": // the copy source: deleted since listed
		r.Outcome, r.Reason = Skipped, ReasonGone
	case IsArchiveCode(code) && !e.opts.IncludeArchived:
		r.Outcome, r.Reason = Skipped, ReasonArchived
	default:
		r.Outcome, r.Code, r.Err = Failed, code, err
	}
	return r
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
