package run

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/verify"
)

// minVerifyWindow is the fewest items between a verify's inputs and its
// collector: at 25 ms a pair's two HEADs let 16,384 items (a few MB) pass
// at 300,000 a second, more than a listing brings.
const minVerifyWindow = 1 << 14

// seqItem is an item with its place in the order the inputs gave it: the
// collector settles items in that order, whatever order the HEADs of
// --deep answer in, so a shard's watermark and the tally always agree.
type seqItem struct {
	seq     uint64
	item    verify.Item
	verdict verify.Verdict
	note    string // what a failed HEAD said
	// undecided: the pair was one only encryption decides, read with a
	// HEAD per side (undecidedRead) or left over --head-undecided
	// (undecidedLeft); the collector counts it.
	undecided int8
}

const (
	undecidedRead int8 = 1 + iota
	undecidedLeft
)

// compare streams both sides' pairs through the comparison: the inputs
// (one goroutine), HEADs for --deep (Concurrency workers), and one
// collector that classifies in order, counts, records the differences
// and the shards' progress in the checkpoint.
func (r *verifyRun) compare(ctx context.Context) error {
	// Items between the inputs and the collector: a pair waiting for its
	// HEADs holds back the ones after it (the collector settles in
	// order), so the window is what keeps a listing flowing past them.
	window := max(4*r.spec.Engine.Concurrency, minVerifyWindow)
	slots := make(chan struct{}, window)
	work := make(chan *seqItem, window)
	done := make(chan *seqItem, window)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(work)
		var seq uint64
		return r.produce(gctx, func(it verify.Item) error {
			select {
			case slots <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			si := &seqItem{seq: seq, item: it}
			seq++
			select {
			case work <- si:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	workers := 1
	if r.spec.Deep || r.spec.HeadUndecided > 0 {
		workers = r.spec.Engine.Concurrency
	}
	// The workers share the run's group: one's error cancels the others,
	// the inputs and the collector; done closes when the last one ends.
	var left atomic.Int32
	left.Store(int32(workers))
	for range workers {
		g.Go(func() error {
			defer func() {
				if left.Add(-1) == 0 {
					close(done)
				}
			}()
			return r.deepen(gctx, work, done)
		})
	}
	g.Go(func() error { return r.collect(gctx, done, slots) })
	return g.Wait()
}

// deepen reads each object with a HEAD (--deep) and decides the pair;
// without --deep, only the pairs only encryption can decide are read
// (undecided), within the run's --head-undecided budget.
func (r *verifyRun) deepen(ctx context.Context, work <-chan *seqItem, done chan<- *seqItem) error {
	for si := range work {
		if si.item.Kind == inventory.KindObject {
			if err := r.decide(ctx, si); err != nil {
				return err
			}
		}
		select {
		case done <- si:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// decide classifies one pair, with HEADs for --deep, or for a pair only
// encryption can decide (the same size, other single-part ETags: MD5s
// unless a side is SSE-KMS or SSE-C, which a listing cannot see).
func (r *verifyRun) decide(ctx context.Context, si *seqItem) error {
	if r.spec.Deep {
		if err := r.headPair(ctx, si); err != nil {
			return err
		}
	}
	si.verdict = verify.Compare(si.item.Pair, r.cutoff)
	if !r.spec.Deep && si.verdict.Class == verify.Unverified && verify.NeedsEncryption(si.item.Pair) {
		if r.budget.Add(-1) < 0 {
			si.undecided = undecidedLeft
		} else {
			if err := r.headEncryption(ctx, si); err != nil {
				return err
			}
			si.verdict = verify.Compare(si.item.Pair, r.cutoff)
			si.undecided = undecidedRead // its HEADs were sent (a failed one too: the budget counts them)
			if si.note == "" {
				si.verdict.Reason = withNote(si.verdict.Reason, "read with a HEAD per side: a listing cannot see encryption")
			}
		}
	}
	if si.note != "" {
		si.verdict.Reason = withNote(si.verdict.Reason, si.note)
	}
	return nil
}

func withNote(reason, note string) string {
	if reason == "" {
		return note
	}
	return reason + " (" + note + ")"
}

// pairSide is one side of a pair, as a HEAD reads it.
type pairSide struct {
	obj           **verify.Obj
	api           verify.HeadAPI
	bucket, owner string
}

// pairSides are p's source and destination sides.
func (r *verifyRun) pairSides(p *verify.Pair) [2]pairSide {
	return [2]pairSide{
		{&p.Src, r.sides.Source, r.spec.From.Bucket, r.spec.Engine.ExpectedSourceOwner},
		{&p.Dst, r.sides.Dest, r.spec.To.Bucket, r.spec.Engine.ExpectedDestOwner},
	}
}

// headSide HEADs one side into h. ok is false when the side has no
// answer to compare: deleted since it was listed (the side becomes nil)
// or a failed HEAD (noted on si); err is the run's end.
func headSide(ctx context.Context, si *seqItem, s pairSide, h *verify.Obj) (ok bool, err error) {
	err = verify.Deepen(ctx, s.api, s.bucket, s.owner, h)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, verify.ErrGone):
		*s.obj = nil // deleted since it was listed
	case ctx.Err() != nil:
		return false, ctx.Err()
	case isRunError(err):
		return false, err
	default:
		si.note = "HEAD: " + err.Error()
	}
	return false, nil
}

// headPair HEADs each side's object: one HEAD per object per side.
func (r *verifyRun) headPair(ctx context.Context, si *seqItem) error {
	p := &si.item.Pair
	for _, side := range r.pairSides(p) {
		if *side.obj == nil || (side.obj == &p.Dst && p.Src == nil) {
			continue // missing, or an extra: nothing to compare it with
		}
		if _, err := headSide(ctx, si, side, *side.obj); err != nil {
			return err
		}
	}
	if err := r.tagPair(ctx, si); err != nil {
		return err
	}
	return r.layoutPair(ctx, si)
}

// headEncryption reads a pair only encryption decides with a HEAD per
// side, and keeps what decides its content: size, ETag, date, encryption
// and checksum. Not its headers, metadata, tags or replication status:
// those are --deep's, compared for every pair or none. A side gone or a
// failed HEAD settles the pair as it is (as under --deep).
func (r *verifyRun) headEncryption(ctx context.Context, si *seqItem) error {
	for _, side := range r.pairSides(&si.item.Pair) {
		h := **side.obj
		if ok, err := headSide(ctx, si, side, &h); !ok {
			return err
		}
		o := *side.obj
		o.Size, o.ETag, o.LastModified, o.Encryption = h.Size, h.ETag, h.LastModified, h.Encryption
		o.ChecksumAlgorithm, o.Checksum, o.ChecksumType = h.ChecksumAlgorithm, h.Checksum, h.ChecksumType
	}
	return nil
}

// tagPair reads both sides' tag sets when their HEADs show the same
// number of tags: a GetObjectTagging per side, for those pairs only.
func (r *verifyRun) tagPair(ctx context.Context, si *seqItem) error {
	p := &si.item.Pair
	if !verify.NeedsTags(*p) {
		return nil
	}
	failed, err := r.eachSide(ctx, si, func(api API, bucket, owner string, o *verify.Obj) error {
		return verify.Tags(ctx, api, bucket, owner, o)
	})
	if failed {
		p.Src.Tags, p.Dst.Tags = nil, nil // compared by count alone
	}
	return err
}

// layoutPair reads both sides' part size when only the part layout can
// decide a pair (both multipart, the same part count, other ETags, no
// comparable checksum): a second HEAD for those pairs only.
func (r *verifyRun) layoutPair(ctx context.Context, si *seqItem) error {
	if !verify.NeedsLayout(si.item.Pair) {
		return nil
	}
	_, err := r.eachSide(ctx, si, func(api API, bucket, owner string, o *verify.Obj) error {
		return verify.PartLayout(ctx, api, bucket, owner, o)
	})
	return err
}

// eachSide reads a pair's primary, then its replica, with read. A
// failure of the run is returned; an object's own failure becomes the
// pair's note and ends the reading (failed is then true).
func (r *verifyRun) eachSide(ctx context.Context, si *seqItem, read func(api API, bucket, owner string, o *verify.Obj) error) (failed bool, err error) {
	p := si.item.Pair
	for _, side := range []struct {
		obj           *verify.Obj
		api           API
		bucket, owner string
	}{{p.Src, r.sides.Source, r.spec.From.Bucket, r.spec.Engine.ExpectedSourceOwner}, {p.Dst, r.sides.Dest, r.spec.To.Bucket, r.spec.Engine.ExpectedDestOwner}} {
		err := read(side.api, side.bucket, side.owner, side.obj)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return false, ctx.Err()
		case isRunError(err):
			return false, err
		default:
			si.note = "HEAD: " + err.Error()
			return true, nil
		}
	}
	return false, nil
}

// collect settles items in their order: counts, records the
// differences and the shards' watermarks, and commits every so often.
func (r *verifyRun) collect(ctx context.Context, done <-chan *seqItem, slots <-chan struct{}) error {
	c := &verifyCollector{r: r, shards: map[string]*checkpoint.Shard{}, batch: checkpoint.NewBatch(), pending: map[uint64]*seqItem{}}
	if err := c.loadShards(); err != nil {
		return err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case si, ok := <-done:
			if !ok {
				return c.commit()
			}
			c.pending[si.seq] = si
			for next := c.pending[c.next]; next != nil; next = c.pending[c.next] {
				delete(c.pending, c.next)
				c.next++
				c.settle(next)
				<-slots
			}
			if c.batch.Len() >= 2000 {
				if err := c.commit(); err != nil {
					return err
				}
			}
		case <-tick.C:
			if err := c.commit(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// verifyCollector is the one goroutine that writes a verify's state.
type verifyCollector struct {
	r       *verifyRun
	shards  map[string]*checkpoint.Shard
	dirty   map[string]bool
	batch   *checkpoint.Batch
	pending map[uint64]*seqItem
	next    uint64
}

func (c *verifyCollector) loadShards() error {
	shards, err := c.r.cp.Shards()
	for _, sh := range shards {
		c.shards[sh.Prefix] = &sh
	}
	c.dirty = map[string]bool{}
	return err
}

func (c *verifyCollector) shard(name string) *checkpoint.Shard {
	sh := c.shards[name]
	if sh == nil {
		sh = &checkpoint.Shard{Prefix: name}
		c.shards[name] = sh
	}
	c.dirty[name] = true
	return sh
}

func (c *verifyCollector) settle(si *seqItem) {
	it := si.item
	switch it.Kind {
	case inventory.KindShardFound:
		c.shard(it.Shard).Depth = it.Depth
		return
	case inventory.KindShardMode:
		mode := inventory.ModeDelimited
		if it.Flat {
			mode = inventory.ModeFlat
		}
		c.shard(it.Shard).Mode = uint8(mode)
		return
	case inventory.KindShardDone:
		c.shard(it.Shard).Complete = true
		return
	}
	p, v := it.Pair, si.verdict
	size := int64(0)
	if p.Src != nil {
		size = p.Src.Size
	} else if p.Dst != nil {
		size = p.Dst.Size
	}
	c.r.tally.Add(v, size)
	switch si.undecided {
	case undecidedRead:
		c.r.tally.UndecidedRead++
	case undecidedLeft:
		c.r.tally.UndecidedLeft++
	}
	c.r.compared.Add(1)
	if p.Src != nil {
		c.r.comparedPrimary.Add(1)
	}
	if v.Class != verify.Same && v.Class != verify.TooNew {
		c.r.differing.Add(1)
	}
	putDiff(c.batch, p, v)
	c.shard(it.Shard).Watermark = p.Rel
}

func (c *verifyCollector) commit() error {
	for name := range c.dirty {
		c.batch.PutShard(*c.shards[name])
	}
	clear(c.dirty)
	saveTally(c.batch, c.r.tally)
	if err := c.r.cp.Apply(c.batch); err != nil {
		return fmt.Errorf("write the verify's checkpoint: %w", err)
	}
	return nil
}
