package run

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/verify"
)

func isRunError(err error) bool {
	var re *s3err.RunError
	return errors.As(err, &re)
}

// produce sends both sides' pairs: both listed (the copy's listing join,
// with what only the replica has), or, when a side comes from an
// inventory, both sides in key order (the inventory sorted on disk, the
// other side an inventory too or a flat listing) merge-joined.
func (r *verifyRun) produce(ctx context.Context, emit func(verify.Item) error) error {
	s := r.spec
	if s.Inventory == "" && s.DestInventory == "" {
		r.rep.PrimaryInput, r.rep.ReplicaInput = "a listing", "a listing"
		return r.produceListing(ctx, emit)
	}
	src, err := r.side(ctx, s.Inventory, s.InventoryDate, true)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := r.side(ctx, s.DestInventory, s.DestInventoryDate, false)
	if err != nil {
		return err
	}
	defer dst.Close()
	after := ""
	if sh, ok := r.resumeShard(verify.SortedShard); ok {
		if sh.Complete {
			return nil
		}
		after = sh.Watermark
	}
	if after == "" {
		r.total.Store(src.Count) // the progress line's ETA (not on a resume: some were compared before)
	}
	return verify.JoinSorted(src, dst, after, emit)
}

// produceListing lists both sides joined, resuming the shards an
// interrupted verify left.
func (r *verifyRun) produceListing(ctx context.Context, emit func(verify.Item) error) error {
	s := r.spec
	l := &inventory.Lister{Source: r.sides.Source, SourceBkt: s.From.Bucket, SourcePfx: s.From.Prefix,
		Replica: r.sides.Dest, ReplicaBkt: s.To.Bucket, ReplicaPfx: s.To.Prefix, Extras: true,
		ExpectedSourceOwner: s.Engine.ExpectedSourceOwner, ExpectedReplicaOwner: s.Engine.ExpectedDestOwner}
	shards, err := r.cp.Shards()
	if err != nil {
		return err
	}
	if len(shards) > 0 {
		known := map[string]bool{}
		l.Resume = []inventory.ResumeShard{}
		for _, sh := range shards {
			known[sh.Prefix] = true
			if !sh.Complete {
				l.Resume = append(l.Resume, inventory.ResumeShard{Prefix: sh.Prefix, Depth: sh.Depth, After: sh.Watermark, Mode: inventory.Mode(sh.Mode)})
			}
		}
		l.Known = func(p string) bool { return known[p] }
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan inventory.Entry, 1024)
	errc := make(chan error, 1)
	go func() { errc <- l.Stream(ctx, out); close(out) }()
	for e := range out {
		if err := emit(verify.FromListing(e)); err != nil {
			cancel()
			for range out {
			}
			<-errc
			return err
		}
	}
	return <-errc
}

// side opens one side: its inventory, sorted, or a flat listing.
func (r *verifyRun) side(ctx context.Context, inv, date string, primary bool) (verify.Side, error) {
	s := r.spec
	u, api, what := s.From, r.sides.Source, &r.rep.PrimaryInput
	if !primary {
		u, api, what = s.To, r.sides.Dest, &r.rep.ReplicaInput
	}
	owner := s.Engine.ExpectedSourceOwner
	if !primary {
		owner = s.Engine.ExpectedDestOwner
	}
	if inv == "" {
		*what = "a listing"
		return verify.ListedSide(ctx, &inventory.Lister{Source: api, SourceBkt: u.Bucket, SourcePfx: u.Prefix, ExpectedSourceOwner: owner}), nil
	}
	rows, err := r.openRows(ctx, inventory.RowsSpec{Inventory: inv, Date: date, Bucket: u.Bucket, Prefix: u.Prefix}, api, primary)
	if err != nil {
		return verify.Side{}, err
	}
	*what = "the inventory " + rows.Delivery()
	r.snapshot(rows.Created())
	side, err := verify.SortedRows(ctx, rows, u.Prefix, cmp.Or(s.SortMemory, defaultSortMemory), "")
	if err != nil {
		rows.Close()
		return verify.Side{}, err
	}
	if primary {
		r.rep.StatusVisible = r.rep.StatusVisible || rows.StatusVisible()
		r.rep.EncryptionVisible = r.rep.EncryptionVisible || rows.EncryptionVisible()
	}
	closeSort := side.Close
	side.Close = func() { closeSort(); rows.Close() }
	return side, nil
}

func (r *verifyRun) resumeShard(name string) (inventory.ShardState, bool) {
	shards, err := r.cp.Shards()
	if err != nil {
		return inventory.ShardState{}, false
	}
	for _, sh := range shards {
		if sh.Prefix == name {
			return inventory.ShardState{Prefix: sh.Prefix, Watermark: sh.Watermark, Complete: sh.Complete}, true
		}
	}
	return inventory.ShardState{}, false
}

// defaultSortMemory bounds each inventory side's sort: 32 MiB of records
// per side keeps a verify of two 1M-row inventories well under 512 MiB of
// RSS (BENCHMARKS.md, bench/verifyinv), and the sort's runs on disk grow
// with the rows instead.
const defaultSortMemory = 32 << 20

// openRows opens a side's inventory delivery; a resumed verify reads the
// delivery it started with, not a newer one landed since, so its tally
// and watermark stay one comparison's.
func (r *verifyRun) openRows(ctx context.Context, spec inventory.RowsSpec, api inventory.SourceAPI, primary bool) (*inventory.Rows, error) {
	key := "delivery:replica"
	if primary {
		key = "delivery:primary"
	}
	if was, ok, err := r.cp.Aux(stateTable, key); err != nil {
		return nil, err
	} else if ok && r.rep.Resumed {
		spec.Inventory, spec.Date = string(was), ""
	}
	rows, err := inventory.OpenRows(ctx, spec, api)
	if err != nil {
		return nil, err
	}
	b := checkpoint.NewBatch()
	b.PutAux(stateTable, key, []byte(rows.Delivery()))
	if err := r.cp.Apply(b); err != nil {
		rows.Close()
		return nil, err
	}
	return rows, nil
}

// snapshot moves the too-new cutoff back to an inventory's own time: an
// object written after S3 took the inventory cannot be in it, nor in the
// replica's taken at the same time.
func (r *verifyRun) snapshot(taken time.Time) {
	if taken.IsZero() {
		return
	}
	if c := taken.Add(-r.spec.MinAge); c.Before(r.cutoff) {
		r.cutoff = c
		r.rep.Cutoff = c.UTC()
	}
}
