package verify

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/backfill-dev/backfill/internal/extsort"
	"github.com/backfill-dev/backfill/inventory"
)

// Item is one step of a comparison's input: a pair of objects, or a shard
// event (the listing's, for resume), in the order they were found.
type Item struct {
	Kind  inventory.Kind
	Shard string
	Depth int
	Flat  bool
	Pair  Pair
}

// SortedShard is the one shard of a comparison of sorted inputs (an
// inventory on either side): its watermark is a key of the whole join.
const SortedShard = "sorted:"

// FromListing turns a joined listing's entries (inventory.Lister with
// Extras) into items.
func FromListing(e inventory.Entry) Item {
	it := Item{Kind: e.Kind, Shard: e.Shard, Depth: e.Depth, Flat: e.Flat}
	if e.Kind != inventory.KindObject {
		return it
	}
	it.Pair.Rel = e.Rel
	if !e.Extra {
		it.Pair.Src = FromEntry(e.Source)
	}
	if e.Replica != nil {
		it.Pair.Dst = FromEntry(*e.Replica)
	}
	return it
}

// Side is one side's objects in ascending key order, and its prefix.
type Side struct {
	Objects iter.Seq2[*Obj, error]
	Prefix  string
	Close   func()
	// Count is how many objects Objects yields when that is known before
	// they are read (an inventory, sorted); 0 when it is not (a listing).
	Count int64
}

// SortedRows sorts an inventory's rows by key on local disk (memory does
// not grow with the rows: internal/extsort), as a Side. dir is where the
// sort's temporary runs go ("" = the system's).
func SortedRows(ctx context.Context, rows *inventory.Rows, prefix string, budget int64, dir string) (Side, error) {
	s, err := extsort.New(func(a, b *Obj) int { return strings.Compare(a.Key, b.Key) }, objCodec{},
		extsort.Options{MemoryBytes: budget, Dir: dir})
	if err != nil {
		return Side{}, err
	}
	var mu sync.Mutex
	var n int64
	err = rows.Each(ctx, func(r inventory.InventoryRow) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		return s.Add(FromRow(r))
	})
	if err != nil {
		s.Close()
		return Side{}, err
	}
	return Side{Objects: s.Sorted(ctx), Prefix: prefix, Close: func() { s.Close() }, Count: n}, nil
}

// ListedSide is a flat listing of one side (Lister with FanoutDepth -1:
// one shard, in key order), as a Side.
func ListedSide(ctx context.Context, l *inventory.Lister) Side {
	l.FanoutDepth, l.Replica = -1, nil
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan inventory.Entry, 1024)
	errc := make(chan error, 1)
	go func() {
		errc <- l.Stream(ctx, out)
		close(out)
	}()
	seq := func(yield func(*Obj, error) bool) {
		for e := range out {
			if e.Kind == inventory.KindObject && !yield(FromEntry(e.Source), nil) {
				return
			}
		}
		if err := <-errc; err != nil {
			yield(nil, err)
		}
	}
	return Side{Objects: seq, Prefix: l.SourcePfx, Close: func() {
		cancel()
		for range out {
		}
	}}
}

// JoinSorted merge-joins two sides by relative key and emits their pairs
// in key order, as one shard (SortedShard), after the key after (a
// resumed comparison; "" from the start).
func JoinSorted(src, dst Side, after string, emit func(Item) error) error {
	if err := emit(Item{Kind: inventory.KindShardFound, Shard: SortedShard}); err != nil {
		return err
	}
	rel := func(pfx string) func(*Obj) string {
		return func(o *Obj) string { return o.Key[len(pfx):] }
	}
	err := extsort.JoinByKey(src.Objects, dst.Objects, rel(src.Prefix), rel(dst.Prefix), func(key string, s, d **Obj) error {
		if key <= after && after != "" {
			return nil
		}
		p := Pair{Rel: key}
		if s != nil {
			p.Src = *s
		}
		if d != nil {
			p.Dst = *d
		}
		return emit(Item{Kind: inventory.KindObject, Shard: SortedShard, Pair: p})
	})
	if err != nil {
		return err
	}
	return emit(Item{Kind: inventory.KindShardDone, Shard: SortedShard})
}

// objCodec writes an Obj for the sort: the fields an inventory row gives.
type objCodec struct{}

func (objCodec) Append(b []byte, o *Obj) []byte {
	for _, s := range []string{o.Key, o.VersionID, o.ETag, o.StorageClass, o.ReplicationStatus, o.Encryption} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, o.Size)
	var t int64
	if !o.LastModified.IsZero() {
		t = o.LastModified.UnixNano()
	}
	return binary.AppendVarint(b, t)
}

var errShortRecord = errors.New("verify: a sorted record is cut short")

func (objCodec) Decode(b []byte) (*Obj, error) {
	o := &Obj{}
	for _, f := range []*string{&o.Key, &o.VersionID, &o.ETag, &o.StorageClass, &o.ReplicationStatus, &o.Encryption} {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errShortRecord
		}
		*f, b = string(b[k:k+int(n)]), b[k+int(n):]
	}
	size, k := binary.Varint(b)
	if k <= 0 {
		return nil, errShortRecord
	}
	t, k2 := binary.Varint(b[k:])
	if k2 <= 0 {
		return nil, io.ErrUnexpectedEOF
	}
	o.Size = size
	if t != 0 {
		o.LastModified = time.Unix(0, t).UTC()
	}
	return o, nil
}
