package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"errors"
	"fmt"
	"github.com/backfill-dev/backfill/engine"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/inventory"
)

// DefaultCheckpoint is the checkpoint file used when --checkpoint is not given.
const DefaultCheckpoint = "backfill.db"

func checkpointFlags() []cli.Flag {
	const cat = "Checkpoint"
	return []cli.Flag{
		&cli.StringFlag{Name: "checkpoint", Category: cat, Value: DefaultCheckpoint, Usage: "resume from and record progress in `PATH` (bbolt file, mode 0600)"},
		&cli.BoolFlag{Name: "no-checkpoint", Category: cat, Usage: "run without a checkpoint (nothing is resumable)"},
		&cli.BoolFlag{Name: "reset", Category: cat, Usage: "empty the checkpoint and start the job over (also when its spec differs)"},
		&cli.BoolFlag{Name: "retry-failed", Category: cat, Usage: "copy only the objects the checkpoint records as failed, without listing"},
	}
}

// openCheckpoint opens a checkpoint and maps its errors to exit codes.
func openCheckpoint(path string, readOnly bool) (*checkpoint.Store, error) {
	s, err := checkpoint.Open(path, checkpoint.Options{ReadOnly: readOnly})
	if err != nil {
		if errors.Is(err, checkpoint.ErrLocked) {
			return nil, &exitError{code: exitLocked, err: fmt.Errorf("%w: wait for it to finish or stop it; two runs must not share a checkpoint", err)}
		}
		return nil, err
	}
	return s, nil
}

// spec is the identity of a copy job: what a checkpoint must match to be
// resumed.
func (r *copyRun) spec() checkpoint.Spec {
	o := r.opts
	b := ""
	if o.BucketKey {
		b = "true"
	}
	sorted := func(v []string) string {
		v = slices.Clone(v)
		slices.Sort(v)
		return strings.Join(slices.Compact(v), "\n")
	}
	return checkpoint.Spec{
		"source":                r.from.String(),
		"destination":           r.to.String(),
		"include":               sorted(r.include),
		"exclude":               sorted(r.exclude),
		"expected-source-owner": o.ExpectedSourceOwner,
		"expected-dest-owner":   o.ExpectedDestOwner,
		"include-archived":      fmt.Sprint(o.IncludeArchived),
		"manifest":              r.manifest,
		"completion-report":     r.report0,
		"inventory":             r.inventory,
		"inventory-date":        r.invDate,
		"inventory-delivery":    r.invDelivery,
		"shard":                 r.shard,
		"replication-status":    r.replStatus,
		"all-versions":          map[bool]string{true: "true"}[r.allVersions],
		"min-age":               o.MinAge.String(),
		"storage-class":         o.StorageClass,
		"sse":                   o.SSE,
		"sse-kms-key-id":        o.SSEKMSKeyID,
		"bucket-key":            b,
		"acl":                   o.ACL,
	}
}

// resumeState turns the checkpoint's shards into the lister's resume
// points: nil when the job never recorded a shard (list from the root).
func resumeState(cp *checkpoint.Store) (resume []inventory.ResumeShard, known map[string]bool, pending []checkpoint.Shard, err error) {
	shards, err := cp.Shards()
	if err != nil || len(shards) == 0 {
		return nil, nil, nil, err
	}
	resume = []inventory.ResumeShard{}
	known = map[string]bool{}
	for _, sh := range shards {
		known[sh.Prefix] = true
		if !sh.Complete {
			resume = append(resume, inventory.ResumeShard{Prefix: sh.Prefix, Depth: sh.Depth, After: sh.Watermark, Mode: inventory.Mode(sh.Mode)})
			pending = append(pending, sh)
		}
	}
	return resume, known, pending, nil
}

// failedSource streams the objects a checkpoint records as failed, for
// --retry-failed: no listing. Each is looked at again in the source (see
// refresher) so that it is copied as the source is now. The engine then
// checks the replica with a HEAD before copying.
type failedSource struct {
	cp *checkpoint.Store
	refresher
}

func (f *failedSource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	return f.stream(ctx, out, func(emit func(inventory.Entry) error) error {
		return f.cp.Each(checkpoint.Failed, func(key, version string, r checkpoint.Record) error {
			return emit(inventory.Entry{Rel: key, Source: inventory.Object{Bucket: f.bucket, Key: f.prefix + key, VersionID: version,
				Size: r.Size, ETag: r.ETag, LastModified: r.LastModified, StorageClass: r.StorageClass}})
		})
	})
}

// refresher turns a stream of objects named by a list (failed records, a
// manifest) into entries as the source shows them now: one HeadObject
// each, 16 at a time, in batches that keep the list's order. A deleted
// object keeps what the list said: the copy then finds it gone and says so.
type refresher struct {
	src    headAPI
	bucket string
	prefix string
	owner  string
	// known, when set, answers for objects an earlier run of the job copied:
	// they need no HEAD (the engine skips them as done).
	known func(key, version string) (checkpoint.Record, bool)
}

type headAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

func (f *refresher) stream(ctx context.Context, out chan<- inventory.Entry, list func(emit func(inventory.Entry) error) error) error {
	var batch []inventory.Entry
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
			select {
			case out <- e:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		batch = batch[:0]
		return nil
	}
	err := list(func(e inventory.Entry) error {
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

func (f *refresher) refresh(ctx context.Context, e *inventory.Entry) error {
	if f.known != nil {
		if r, ok := f.known(e.Rel, e.Source.VersionID); ok && r.State == checkpoint.Done {
			e.Source.Size, e.Source.ETag, e.Source.LastModified, e.Source.StorageClass = r.Size, r.ETag, r.LastModified, r.StorageClass
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
		if re := engine.AsRunError("read s3://"+f.bucket+"/"+e.Source.Key, err); re != nil {
			return re
		}
		return nil // gone, denied, ...: the copy attempt reports it
	}
	e.Source.Size, e.Source.ETag, e.Source.LastModified = aws.ToInt64(h.ContentLength), aws.ToString(h.ETag), aws.ToTime(h.LastModified)
	e.Source.StorageClass = string(h.StorageClass)
	if e.Source.StorageClass == "" {
		e.Source.StorageClass = "STANDARD"
	}
	return nil
}
