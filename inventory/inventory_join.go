package inventory

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/backfill-dev/backfill/internal/extsort"
)

// An inventory run learns what the replica holds without a HEAD per
// object (LookupList, LookupInventory): the replica's objects come sorted
// by key (its listing, or its own inventory, through an external sort on
// local disk), and so do the inventory's rows, which S3 does not sort. The
// two are merge-joined by relative key (extsort.JoinByKey); every row gets
// what the replica holds at its key. The joined rows are then sorted back
// into the order of the data files, so each data file stays a shard of
// the checkpoint with its watermark, as without the join: a resumed run
// fetches no finished file and passes over the rows a started one had
// settled before the join.
//
//	rows of the unfinished files, past their watermark ─▶ sort by key ─┐
//	replica: listing or inventory ─▶ sort by key ──────────────────────┴▶ join
//	join ─▶ sort by (file, row) ─▶ entries, file by file, with their shard events
//
// Memory: three sorts of sortMemory each at most (one filling while one
// or two merge), whatever the number of rows. Disk: the rows twice and
// the replica's objects once, at most.

// sortMemory is each sort's budget in memory (a variable for tests, which
// make the sorts spill).
var sortMemory int64 = 16 << 20

// replicaSide is what the join reads the replica from.
type replicaSide struct {
	lookup string
	bucket string                                                  // the destination bucket
	list   func(ctx context.Context, add func(Object) error) error // each replica object, any order
	prefix string                                                  // the destination prefix
	detail string                                                  // where, for the plan
	close  func()
}

// joinRow is a row of the inventory (the fields an entry needs), where
// it was read, and what the replica holds at its key.
type joinRow struct {
	row     InventoryRow
	file    int
	seq     int64
	replica *Object
}

// streamJoined streams the current versions, each with the replica's
// object, file by file (the non-versioned Stream's order and shards).
func (s *inventorySource) streamJoined(ctx context.Context, send func(Entry) error) error {
	byKey, err := s.sortRowsByKey(ctx)
	if err != nil {
		return err
	}
	defer byKey.Close()
	replica, err := s.sortReplica(ctx)
	if err != nil {
		return err
	}
	defer replica.Close()
	back, err := extsort.New(func(a, b *joinRow) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.seq, b.seq))
	}, joinCodec{}, extsort.Options{MemoryBytes: sortMemory})
	if err != nil {
		return err
	}
	defer back.Close()
	rel := func(pfx string) func([]*joinRow) string {
		return func(g []*joinRow) string { return g[0].row.Key[len(pfx):] }
	}
	err = extsort.JoinByKey(groups(byKey.Sorted(ctx), func(r *joinRow) string { return r.row.Key }), replica.Sorted(ctx),
		rel(s.prefix), func(o *Object) string { return o.Key[len(s.replica.prefix):] },
		func(_ string, rows *[]*joinRow, dst **Object) error {
			if rows == nil {
				return nil // only in the replica
			}
			for _, r := range *rows {
				if dst != nil {
					r.replica = *dst
				}
				if err := back.Add(r); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("join the inventory with the replica's objects: %w", err)
	}
	return s.sendByFile(ctx, back.Sorted(ctx), send)
}

// sortRowsByKey sorts the wanted rows of the files to read by key,
// passing over the rows of a resumed file up to its watermark.
func (s *inventorySource) sortRowsByKey(ctx context.Context) (*extsort.Sorter[*joinRow], error) {
	sorter, err := extsort.New(func(a, b *joinRow) int { return strings.Compare(a.row.Key, b.row.Key) }, joinCodec{},
		extsort.Options{MemoryBytes: sortMemory})
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, df := range s.files {
		index[df.shard] = i
	}
	seqs := make([]int64, len(s.files)) // each file's rows come from one goroutine
	skipTo := make([]string, len(s.files))
	for i, df := range s.files {
		if w := s.resumed[df.shard]; w != "" {
			skipTo[i] = s.prefix + w // watermarks are relative keys
		}
	}
	var mu sync.Mutex
	err = s.rows(ctx, func(df dataFile, r InventoryRow) error {
		i := index[df.shard]
		if !s.wanted(r) {
			return nil
		}
		if skipTo[i] != "" {
			if r.Key == skipTo[i] {
				skipTo[i] = ""
			}
			return nil
		}
		seqs[i]++
		mu.Lock()
		defer mu.Unlock()
		return sorter.Add(&joinRow{row: r, file: i, seq: seqs[i]})
	}, nil, nil)
	if err != nil {
		sorter.Close()
		return nil, err
	}
	return sorter, nil
}

// sortReplica sorts the replica's objects under the destination prefix by
// key.
func (s *inventorySource) sortReplica(ctx context.Context) (*extsort.Sorter[*Object], error) {
	sorter, err := extsort.New(func(a, b *Object) int { return strings.Compare(a.Key, b.Key) }, objectCodec{},
		extsort.Options{MemoryBytes: sortMemory})
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	err = s.replica.list(ctx, func(o Object) error {
		mu.Lock()
		defer mu.Unlock()
		return sorter.Add(&o)
	})
	if err != nil {
		sorter.Close()
		return nil, fmt.Errorf("look at the replica (%s): %w", s.replica.detail, err)
	}
	return sorter, nil
}

// sendByFile sends the joined rows, in file order, between each file's
// shard events; a file without a row left to send still gets them, so it
// is recorded finished.
func (s *inventorySource) sendByFile(ctx context.Context, rows iter.Seq2[*joinRow, error], send func(Entry) error) error {
	next, stop := iter.Pull2(rows)
	defer stop()
	r, err, ok := next()
	for i, df := range s.files {
		if _, resumed := s.resumed[df.shard]; !resumed {
			if err := send(Entry{Kind: KindShardFound, Shard: df.shard}); err != nil {
				return err
			}
		}
		for ; ok && err == nil && r.file == i; r, err, ok = next() {
			e := s.entry(df.shard, r.row)
			e.ReplicaKnown, e.Replica = true, r.replica
			if r.replica != nil {
				r.replica.Bucket = s.replica.bucket
			}
			if err := send(e); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		if err := send(Entry{Kind: KindShardDone, Shard: df.shard}); err != nil {
			return err
		}
	}
	if ok && err == nil {
		return fmt.Errorf("inventory join: a row of file %d after the last file", r.file)
	}
	return err
}

// groups makes the records of a sorted sequence with one key into one
// group, so that a key an inventory lists twice joins once.
func groups[T any](seq iter.Seq2[T, error], key func(T) string) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		var g []T
		for v, err := range seq {
			if err != nil {
				yield(nil, err)
				return
			}
			if len(g) > 0 && key(g[0]) != key(v) {
				if !yield(g, nil) {
					return
				}
				g = nil
			}
			g = append(g, v)
		}
		if len(g) > 0 {
			yield(g, nil)
		}
	}
}

// joinCodec writes a joinRow for the sorts.
type joinCodec struct{}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	var n int64
	if !t.IsZero() {
		n = t.UnixNano()
	}
	return binary.AppendVarint(b, n)
}

func (joinCodec) Append(b []byte, r *joinRow) []byte {
	row := &r.row
	for _, s := range []string{row.Key, row.Bucket, row.ETag, row.StorageClass, row.ReplicationStatus, row.IntelligentTieringAccessTier} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, row.Size)
	b = appendTime(b, row.LastModified)
	b = binary.AppendUvarint(b, uint64(r.file))
	b = binary.AppendVarint(b, r.seq)
	if r.replica == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return objectCodec{}.Append(b, r.replica)
}

var errShortJoin = errors.New("inventory: a sorted record is cut short")

// decoder reads the fields Append wrote, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err, d.b = errShortJoin, nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err, d.b = errShortJoin, nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if uint64(len(d.b)) < n {
		d.err, d.b = errShortJoin, nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) time() time.Time {
	if n := d.varint(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

func (joinCodec) Decode(b []byte) (*joinRow, error) {
	d := &decoder{b: b}
	r := &joinRow{}
	row := &r.row
	for _, f := range []*string{&row.Key, &row.Bucket, &row.ETag, &row.StorageClass, &row.ReplicationStatus, &row.IntelligentTieringAccessTier} {
		*f = d.string()
	}
	row.Size = d.varint()
	row.LastModified = d.time()
	row.IsLatest = true
	r.file = int(d.uvarint())
	r.seq = d.varint()
	if d.err != nil || len(d.b) == 0 {
		return nil, errShortJoin
	}
	has := d.b[0]
	d.b = d.b[1:]
	if has == 1 {
		o, err := objectCodec{}.decode(d)
		if err != nil {
			return nil, err
		}
		r.replica = o
	}
	return r, d.err
}

// objectCodec writes the replica's side of the join: key, size, ETag,
// date.
type objectCodec struct{}

func (objectCodec) Append(b []byte, o *Object) []byte {
	b = appendString(b, o.Key)
	b = appendString(b, o.ETag)
	b = binary.AppendVarint(b, o.Size)
	return appendTime(b, o.LastModified)
}

func (objectCodec) Decode(b []byte) (*Object, error) {
	return objectCodec{}.decode(&decoder{b: b})
}

func (objectCodec) decode(d *decoder) (*Object, error) {
	o := &Object{Key: d.string(), ETag: d.string()}
	o.Size = d.varint()
	o.LastModified = d.time()
	return o, d.err
}
