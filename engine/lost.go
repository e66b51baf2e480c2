package engine

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
)

// Lost answers. A request whose answer was lost (the connection dropped
// after the server did it) is sent again by the SDK's retryer. For most of
// backfill's requests that is the same request twice. Two are not:
//   - CreateMultipartUpload makes a second upload: the first one's id never
//     arrived, and nobody would abort it (S3 bills its parts until then);
//   - CompleteMultipartUpload finds its upload gone, because the lost
//     answer's request completed it. S3 and versitygw answer a repeated
//     completion as they did the first; MinIO answers NoSuchUpload.

// uploadLister is the part of the destination's client that finds the
// uploads of a key (*s3.Client has it; a client without it leaves lost
// uploads to `backfill cleanup --orphans`).
type uploadLister interface {
	ListMultipartUploads(ctx context.Context, in *s3.ListMultipartUploadsInput, optFns ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
}

// createUpload is CreateMultipartUpload, followed, when an attempt of it
// may have created an upload whose answer was lost (it was retried, or it
// failed), by a search for such uploads: those of the key that S3
// initiated since the first attempt was sent, other than the one
// returned, are aborted. "Since" is S3's clock, from the skew the last
// answer measured; when no answer came, the local clock's (a local clock
// ahead of S3's then leaves a lost upload to `backfill cleanup --orphans`,
// never aborts an older one).
func (e *Engine) createUpload(ctx context.Context, t task, in *s3.CreateMultipartUploadInput) (*s3.CreateMultipartUploadOutput, error) {
	sent := time.Now()
	out, err := e.api.CreateMultipartUpload(ctx, in)
	switch {
	case err == nil && attempts(out.ResultMetadata) > 1:
		skew, _ := awsmiddleware.GetAttemptSkew(lastAttempt(out.ResultMetadata))
		e.abortLostUploads(ctx, t, aws.ToString(out.UploadId), sent.Add(skew))
	case err != nil && ctx.Err() == nil:
		e.abortLostUploads(ctx, t, "", sent)
	}
	return out, err
}

// attempts is how many times the SDK sent a request (1 when unknown).
func attempts(md middleware.Metadata) int {
	r, ok := retry.GetAttemptResults(md)
	if !ok {
		return 1
	}
	return len(r.Results)
}

// lastAttempt is the metadata of a request's last attempt.
func lastAttempt(md middleware.Metadata) middleware.Metadata {
	r, ok := retry.GetAttemptResults(md)
	if !ok || len(r.Results) == 0 {
		return md
	}
	return r.Results[len(r.Results)-1].ResponseMetadata
}

// abortLostUploads aborts the uploads of t's key, other than keep, that S3
// initiated at or after since (by S3's clock; a second earlier, as S3
// gives whole seconds). Best effort: what it cannot abort is said, and
// left to `backfill cleanup --orphans`.
func (e *Engine) abortLostUploads(ctx context.Context, t task, keep string, since time.Time) {
	lister, ok := e.api.(uploadLister)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	since = since.Add(-time.Second)
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(e.opts.Dest.Bucket), Prefix: aws.String(t.destKey),
		ExpectedBucketOwner: nonEmpty(e.opts.ExpectedDestOwner)}
	var lost []string
	for {
		out, err := lister.ListMultipartUploads(ctx, in)
		if err != nil {
			e.logf("uploads of s3://%s/%s may be left by requests whose answers were lost, and cannot be listed (abort them with `backfill cleanup --orphans`): %v",
				e.opts.Dest.Bucket, t.destKey, err)
			return
		}
		for _, u := range out.Uploads {
			if id := aws.ToString(u.UploadId); aws.ToString(u.Key) == t.destKey && id != keep && !aws.ToTime(u.Initiated).Before(since) {
				lost = append(lost, id)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	for _, id := range lost {
		if err := e.abort(ctx, t, id); err != nil {
			e.logf("upload %s of s3://%s/%s, created by a request whose answer was lost, cannot be aborted (abort it with `backfill cleanup --orphans`): %v",
				id, e.opts.Dest.Bucket, t.destKey, err)
		}
	}
}

func (e *Engine) logf(format string, args ...any) {
	if e.opts.Logf != nil {
		e.opts.Logf(format, args...)
	}
}

// completedAlready says whether a completion answered NoSuchUpload because
// an earlier attempt of it, whose answer was lost, completed the upload:
// the replica then holds an object of the upload's size whose ETag is the
// one S3 gives an upload of exactly these parts (the MD5 of their MD5s,
// "-" and their count). Another object at the key cannot have it.
func (e *Engine) completedAlready(ctx context.Context, t task, size int64, parts []types.CompletedPart) bool {
	want := multipartETagOf(parts)
	if want == "" {
		return false
	}
	h, err := e.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(e.opts.Dest.Bucket), Key: aws.String(t.destKey),
		ExpectedBucketOwner: nonEmpty(e.opts.ExpectedDestOwner)})
	return err == nil && aws.ToInt64(h.ContentLength) == size && aws.ToString(h.ETag) == want
}

// multipartETagOf is the ETag of an object completed from parts, or ""
// when a part's ETag is not an MD5 (then it cannot be told).
func multipartETagOf(parts []types.CompletedPart) string {
	sum := md5.New()
	for _, p := range parts {
		b, err := hex.DecodeString(strings.Trim(aws.ToString(p.ETag), `"`))
		if err != nil || len(b) != md5.Size {
			return ""
		}
		sum.Write(b)
	}
	return fmt.Sprintf(`"%x-%d"`, sum.Sum(nil), len(parts))
}
