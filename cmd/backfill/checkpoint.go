package main

import (
	"context"
	"errors"
	"fmt"
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
// --retry-failed: no listing; the engine checks the replica with a HEAD
// each before copying.
type failedSource struct {
	cp     *checkpoint.Store
	bucket string
	prefix string
}

func (f *failedSource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	return f.cp.Each(checkpoint.Failed, func(key, version string, r checkpoint.Record) error {
		e := inventory.Entry{Rel: key, Source: inventory.Object{Bucket: f.bucket, Key: f.prefix + key, VersionID: version,
			Size: r.Size, ETag: r.ETag, LastModified: r.LastModified, StorageClass: r.StorageClass}}
		select {
		case out <- e:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}
