package inventory

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// HeadAPI is the one call a refresher makes.
type HeadAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// refresher turns a stream of objects named by a list (failed records, a
// manifest, a completion report) into entries as the source shows them
// now: one HeadObject each, 16 at a time, in batches that keep the list's
// order. A deleted object keeps what the list said: the copy then finds
// it gone and says so.
type refresher struct {
	src    HeadAPI
	bucket string
	prefix string
	owner  string
	// known, when set, answers for objects an earlier run copied: they
	// need no HEAD (the engine skips them as done).
	known func(key, version string) (Object, bool, error)
}

func (f *refresher) stream(ctx context.Context, out chan<- Entry, list func(emit func(Entry) error) error) error {
	var batch []Entry
	flush := func() error {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for i := range batch {
			g.Go(func() error { return f.refresh(gctx, &batch[i]) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for _, e := range batch {
			if err := send(ctx, out, e); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	err := list(func(e Entry) error {
		batch = append(batch, e)
		if len(batch) == 256 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func (f *refresher) refresh(ctx context.Context, e *Entry) error {
	if f.known != nil {
		o, ok, err := f.known(e.Rel, e.Source.VersionID)
		if err != nil {
			return err
		}
		if ok {
			e.Source.Size, e.Source.ETag, e.Source.LastModified, e.Source.StorageClass = o.Size, o.ETag, o.LastModified, o.StorageClass
			return nil
		}
	}
	in := &s3.HeadObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(e.Source.Key)}
	if e.Source.VersionID != "" {
		in.VersionId = aws.String(e.Source.VersionID)
	}
	if f.owner != "" {
		in.ExpectedBucketOwner = aws.String(f.owner)
	}
	h, err := f.src.HeadObject(ctx, in)
	if err != nil {
		if re := s3err.AsRunError("read s3://"+f.bucket+"/"+e.Source.Key, err); re != nil {
			return re
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.SourceErr = err // gone, denied, ...: the engine reports it, copies nothing
		return nil
	}
	e.Source.Size, e.Source.ETag, e.Source.LastModified = aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), aws.ToTime(h.LastModified)
	e.Source.StorageClass = string(h.StorageClass)
	if e.Source.StorageClass == "" {
		e.Source.StorageClass = "STANDARD"
	}
	return nil
}

// failedSource streams the objects the job's checkpoint records as
// failed (--retry-failed): no listing. Each is looked at again in the
// source (see refresher) so that it is copied as the source is now; the
// engine then checks the replica with a HEAD before copying.
type failedSource struct {
	state State
	refresher
}

func (f *failedSource) Stream(ctx context.Context, out chan<- Entry) error {
	return f.stream(ctx, out, func(emit func(Entry) error) error {
		return f.state.EachFailed(func(key, version string, o Object) error {
			o.Bucket, o.Key, o.VersionID = f.bucket, f.prefix+key, version
			return emit(Entry{Rel: key, Source: o})
		})
	})
}

// archivedFirst streams the objects the job's checkpoint records as
// archived (each looked at again in the source, as failedSource does),
// then the rest of the source. An archived object that a resumed
// listing lists again (one above its shard's watermark) is tried twice;
// the second try finds it copied, or fails it again.
type archivedFirst struct {
	state State
	refresher
	rest Streamer
}

func (a *archivedFirst) Stream(ctx context.Context, out chan<- Entry) error {
	err := a.stream(ctx, out, func(emit func(Entry) error) error {
		return a.state.EachArchived(func(key, version string, o Object) error {
			o.Bucket, o.Key, o.VersionID = a.bucket, a.prefix+key, version
			return emit(Entry{Rel: key, Source: o, Untracked: true})
		})
	})
	if err != nil {
		return err
	}
	return a.rest.Stream(ctx, out)
}
