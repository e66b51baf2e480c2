package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/inventory"
)

const (
	checkpointDone   = checkpoint.Done
	checkpointFailed = checkpoint.Failed
)

// collector is the engine's last stage: it counts, calls the Observer, and
// is the only writer of the checkpoint, in batches of at most CommitSize
// settled objects or CommitEvery, whichever comes first. A key is written
// done only here, after its worker saw S3 confirm the copy.
type collector struct {
	e      *Engine
	sum    *Summary
	track  *checkpoint.Tracker
	cancel context.CancelCauseFunc

	batch  *checkpoint.Batch
	dirty  map[string]bool // shards whose state changed since the last commit
	failed bool            // a commit failed: the run is stopping
	denied int             // copies denied in a row before any copy succeeded
	warned bool            // the user was told what the denials suggest
	ctx    context.Context // the run's, for the probe
}

// breaker tells failures about the run from failures of objects. Only
// answers about the run stop it (credentials, a missing bucket, a wrong
// region: AsRunError, in the workers); object-level codes are counted and
// the run goes on, however many there are (2,000 unrestored archives, a
// prefix a KMS key policy denies). When the first DeniedLimit copies in
// a row are all denied, the buckets are probed: a bucket the credentials
// can no longer list stops the run; otherwise the denials are the
// objects' own, and the user is told what they suggest.
func (c *collector) breaker(r *Result) {
	o := &c.e.opts
	switch {
	case r.Outcome == Copied:
		c.denied = 0
		return
	case r.Outcome != Failed || !isDenied(r.Code) || c.sum.Copied > 0:
		return
	}
	if c.denied++; c.denied < o.DeniedLimit {
		return
	}
	c.denied = 0
	if o.Probe != nil {
		if err := o.Probe(c.ctx); err != nil {
			c.cancel(&RunError{What: fmt.Sprintf("copy from %s to %s", o.Source, o.Dest), Code: r.Code, Err: err,
				Hint: "every copy was denied and a bucket can no longer be listed: the credentials lost access"})
			return
		}
	}
	if !c.warned && o.Logf != nil {
		c.warned = true
		o.Logf("the first %d copies were all denied (%s) while both buckets can be listed: the credentials may lack s3:GetObject on the source or s3:PutObject on the destination; going on, each object is recorded failed", o.DeniedLimit, r.Code)
	}
}

func newCollector(ctx context.Context, e *Engine, sum *Summary, track *checkpoint.Tracker, cancel context.CancelCauseFunc) *collector {
	return &collector{ctx: ctx, e: e, sum: sum, track: track, cancel: cancel, batch: checkpoint.NewBatch(), dirty: map[string]bool{}}
}

func (c *collector) run(results <-chan *Result) {
	tick := time.NewTicker(c.e.opts.CommitEvery)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-results:
			if !ok {
				c.commit()
				return
			}
			c.handle(r)
			if c.batch.Len() >= c.e.opts.CommitSize {
				c.commit()
			}
		case <-tick.C:
			c.commit()
		}
	}
}

func (c *collector) handle(r *Result) {
	o := &c.e.opts
	switch r.event {
	case inventory.KindShardFound:
		if c.track != nil {
			c.track.Found(r.Entry.Shard, r.Entry.Depth)
			c.dirty[r.Entry.Shard] = true
		}
		return
	case inventory.KindShardMode:
		if c.track != nil {
			mode := inventory.ModeDelimited
			if r.Entry.Flat {
				mode = inventory.ModeFlat
			}
			c.track.SetMode(r.Entry.Shard, uint8(mode))
			c.dirty[r.Entry.Shard] = true
		}
		return
	case inventory.KindShardDone:
		if c.track != nil {
			c.track.Listed(r.Entry.Shard)
			c.dirty[r.Entry.Shard] = true
		}
		return
	}
	if u := r.upload; u != nil && o.Checkpoint != nil {
		if u.forget {
			c.batch.DeleteUpload(u.state.Key, u.state.VersionID)
		} else {
			c.batch.PutUpload(u.state)
		}
		if u.durable != nil {
			u.durable <- c.commit()
		}
	}
	if r.Outcome == 0 { // an event only
		return
	}
	sum, en := c.sum, r.Entry
	src := en.Source
	if r.fromWorker || r.Outcome == WouldCopy {
		c.e.c.settled.Add(1)
	}
	switch r.Outcome {
	case Copied:
		sum.Copied++
		sum.BytesCopied += src.Size
		c.e.c.copied.Add(1)
		c.e.c.copiedBytes.Add(src.Size)
		for _, d := range r.Dropped {
			if sum.Dropped == nil {
				sum.Dropped = map[string]int64{}
			}
			sum.Dropped[d.What]++
		}
	case WouldCopy:
		sum.WouldCopy++
		sum.WouldCopyBytes += src.Size
	case Skipped:
		sum.Skipped[r.Reason]++
		c.e.c.skipped.Add(1)
	case Failed:
		sum.Failed[r.Code]++
		c.e.c.failed.Add(1)
	}
	if o.Checkpoint != nil && !o.DryRun {
		c.record(r)
	}
	c.breaker(r)
	c.e.obs.Result(r)
}

// record writes one settled object into the batch:
//   - copied, or found identical in the replica: done;
//   - failed: failed, with code, message and attempts;
//   - a previously failed object now skipped for a stated reason: its
//     failure is cleared (it no longer counts against the job).
//
// A failure whose cause is passing (throttling, 5xx, network, a cancelled
// request) does not settle the object in its shard: the watermark stays
// below it, so a plain resume lists and tries it again. Other failures
// (access denied, archived, ...) settle; --retry-failed retries them once
// their cause is fixed.
func (c *collector) record(r *Result) {
	en := r.Entry
	src := en.Source
	rec := checkpoint.Record{ETag: src.ETag, Size: src.Size, LastModified: src.LastModified,
		StorageClass: src.StorageClass, When: time.Now()}
	wasFailed := r.attempts > 0
	settle := true
	switch {
	case r.Outcome == Copied || r.Outcome == Skipped && r.Reason == ReasonExists:
		rec.State = checkpoint.Done
		c.batch.Put(en.Rel, src.VersionID, rec)
		if wasFailed {
			c.batch.FailedObjects(-1)
		}
	case r.Outcome == Failed:
		rec.State, rec.Code, rec.Attempts = checkpoint.Failed, r.Code, r.attempts+1
		if r.Err != nil {
			rec.Message = r.Err.Error()
		}
		c.batch.Put(en.Rel, src.VersionID, rec)
		if !wasFailed {
			c.batch.FailedObjects(1)
		}
		settle = !transient(r.Code)
	case r.Outcome == Skipped && r.Reason == ReasonArchived:
		// Kept, so that every run of the job can list what needs a restore.
		rec.State = checkpoint.Archived
		c.batch.Put(en.Rel, src.VersionID, rec)
		if wasFailed {
			c.batch.FailedObjects(-1)
		}
	case r.Outcome == Skipped && wasFailed && r.Reason != ReasonDone:
		c.batch.Delete(en.Rel, src.VersionID)
		c.batch.FailedObjects(-1)
	}
	switch r.Outcome {
	case Copied:
		c.batch.Count(1, src.Size, "", "")
	case Skipped:
		c.batch.Count(0, 0, r.Reason, "")
	case Failed:
		c.batch.Count(0, 0, "", r.Code)
	}
	if c.track != nil && settle && !r.groupPart && !r.holdShard && !en.Untracked {
		c.track.Settle(en.Shard, en.Rel)
		c.dirty[en.Shard] = true
	}
}

// errNotRecorded answers a durable event after a failed commit.
var errNotRecorded = errors.New("the checkpoint cannot be written")

// commit writes the batch and the changed shards in one transaction. A
// failed write stops the run: nothing after it could be recorded.
func (c *collector) commit() error {
	cp := c.e.opts.Checkpoint
	if cp == nil {
		return nil
	}
	if c.failed {
		return errNotRecorded
	}
	for shard := range c.dirty {
		c.batch.PutShard(c.track.State(shard))
	}
	clear(c.dirty)
	if err := cp.Apply(c.batch); err != nil {
		c.failed = true
		c.cancel(&RunError{What: "write the checkpoint", Hint: "the run stops so that nothing is copied without being recorded; make room for it (or fix what stops the write) and run the same command again to resume", Err: err})
		return err
	}
	return nil
}
