package run

import (
	"context"
	"fmt"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/verify"
)

// fix copies what the comparison found to be copied through the engine,
// with all its invariants (conditional on the ETag seen, checkpointed,
// multipart above the threshold), then checks each of those keys again
// with a HEAD on each side and records what it is now.
func (r *verifyRun) fix(ctx context.Context) (*report.Fixed, error) {
	f := &report.Fixed{DryRun: r.spec.DryRun, Failed: map[string]int64{}, SkippedByCopy: map[string]int64{}}
	if err := eachDiff(r.cp, func(rel string, d diffRecord) error {
		if r.leftAlone(d) {
			f.LeftNewer++
		}
		return nil
	}); err != nil {
		return f, err
	}
	opts := r.spec.Engine
	opts.Start, opts.Checkpoint = r.start, r.cp
	has, err := r.cp.HasObjects()
	if err != nil {
		return f, err
	}
	opts.FreshCheckpoint = !has
	opts.Logf = func(format string, args ...any) { fmt.Fprintf(r.env.Stderr, "backfill: "+format+"\n", args...) }
	eng, err := engine.New(r.sides.Dest, r.sides.Source, opts, nil)
	if err != nil {
		return f, usage(err)
	}
	r.env.Control.set(eng)
	defer r.env.Control.set(nil)
	prog := report.StartProgress(r.env.Stderr, eng, report.ProgressModeFor(r.env.Stderr, r.spec.Progress))
	sum, err := eng.Run(ctx, &fixSource{r: r})
	prog.Stop()
	f.Attempted = sum.Copied + sum.WouldCopy + sum.FailedTotal() + sum.SkippedTotal()
	f.BytesCopied, f.CopyRequests = sum.BytesCopied, sum.Copied
	for k, v := range sum.Failed {
		f.Failed[k] += v
	}
	for k, v := range sum.Skipped {
		f.SkippedByCopy[k] += v
	}
	if err != nil || r.spec.DryRun {
		return f, err
	}
	return f, r.recheck(ctx, f)
}

// leftAlone: a difference --fix does not copy because the replica's copy
// is newer than the primary's and different (replica-newer, or a FAILED
// object whose replica holds another, later copy): someone wrote it.
func (r *verifyRun) leftAlone(d diffRecord) bool {
	if r.spec.OverwriteNewer {
		return false
	}
	return d.Class == verify.ReplicaNewer || d.Class == verify.ReplicationFailed && newer(d)
}

// fixable: a difference --fix copies.
func (r *verifyRun) fixable(d diffRecord) bool {
	return d.Src != nil && d.Class.Fixable(r.spec.OverwriteNewer) && !r.leftAlone(d)
}

// fixSource streams the recorded differences to copy, in key order.
type fixSource struct{ r *verifyRun }

func (s *fixSource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	r := s.r
	return eachDiff(r.cp, func(rel string, d diffRecord) error {
		if !r.fixable(d) {
			return nil
		}
		// The current object by key (an inventory's version id may be
		// superseded), conditional on the ETag compared; the replica is
		// looked at again and must still be what was compared.
		src := d.Src
		e := inventory.Entry{Rel: rel, Repair: true, Source: inventory.Object{Bucket: r.spec.From.Bucket, Key: src.Key,
			Size: src.Size, ETag: src.ETag, LastModified: src.LastModified, StorageClass: src.StorageClass}}
		if d.Dst != nil {
			e.ReplicaWas = &inventory.Object{Bucket: r.spec.To.Bucket, Key: d.Dst.Key, Size: d.Dst.Size, ETag: d.Dst.ETag, LastModified: d.Dst.LastModified}
		}
		select {
		case out <- e:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
}

// recheck looks at every key --fix copied again, both sides, and records
// its class now.
func (r *verifyRun) recheck(ctx context.Context, f *report.Fixed) error {
	b := checkpoint.NewBatch()
	err := eachDiff(r.cp, func(rel string, d diffRecord) error {
		if !r.fixable(d) {
			return nil
		}
		if rec, ok, err := r.cp.Lookup(rel, ""); err != nil {
			return err
		} else if !ok || rec.State != checkpoint.Done {
			f.StillDiffer++ // not copied: failed, or skipped by the copy (changed, gone, too new)
			return nil
		}
		p := verify.Pair{Rel: rel, Src: &verify.Obj{Key: d.Src.Key, VersionID: d.Src.VersionID}, Dst: &verify.Obj{Key: r.spec.To.Key(rel)}}
		if err := r.headBoth(ctx, &p); err != nil {
			return err
		}
		v := verify.Compare(p, r.cutoff)
		putDiff(b, p, v)
		r.tally.Move(verify.Verdict{Class: d.Class, How: d.How}, v, d.Src.Size)
		if v.Class.Difference(r.spec.Strict) {
			f.StillDiffer++
		} else {
			f.Fixed++
		}
		if b.Len() >= 1000 {
			return r.cp.Apply(b)
		}
		return nil
	})
	if err != nil {
		return err
	}
	saveTally(b, r.tally)
	return r.cp.Apply(b)
}

// headBoth reads both sides of a pair with a HEAD (a side gone is nil).
func (r *verifyRun) headBoth(ctx context.Context, p *verify.Pair) error {
	si := &seqItem{item: verify.Item{Pair: *p}}
	err := r.headPair(ctx, si)
	*p = si.item.Pair
	return err
}
