package checkpoint

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Counters are the job's running totals, kept across runs.
type Counters struct {
	Copied      int64            `json:"copied"`
	BytesCopied int64            `json:"bytes_copied"`
	Skipped     map[string]int64 `json:"skipped,omitempty"`
	Failed      map[string]int64 `json:"failed,omitempty"` // failures seen, by code (attempts, not objects)
	// FailedObjects is how many objects are recorded failed now (kept
	// without a scan: +1 when an object first fails, -1 when a failed one
	// is done).
	FailedObjects int64 `json:"failed_objects"`
}

// Batch collects updates for one transaction. It is not safe for
// concurrent use: the collector owns it.
type Batch struct {
	objects map[string]Record
	deletes map[string]bool
	shards  map[string]Shard
	uploads map[string]*Upload // nil value: delete
	aux     map[string]map[string][]byte
	delta   Counters
	n       int
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	return &Batch{objects: map[string]Record{}, deletes: map[string]bool{}, shards: map[string]Shard{},
		delta: Counters{Skipped: map[string]int64{}, Failed: map[string]int64{}}}
}

// Len is the number of updates in the batch.
func (b *Batch) Len() int { return b.n }

// Put records an object's state (the last Put of a key wins).
func (b *Batch) Put(key, versionID string, r Record) {
	k := string(ObjectKey(key, versionID))
	b.objects[k] = r
	delete(b.deletes, k)
	b.n++
}

// Delete removes an object's record (the last Put or Delete of a key wins).
func (b *Batch) Delete(key, versionID string) {
	k := string(ObjectKey(key, versionID))
	b.deletes[k] = true
	delete(b.objects, k)
	b.n++
}

// PutShard records a shard's state (the last one wins).
func (b *Batch) PutShard(s Shard) {
	b.shards[s.Prefix] = s
	b.n++
}

// Count adds to the job's counters.
func (b *Batch) Count(copied, bytes int64, skipReason, failCode string) {
	b.delta.Copied += copied
	b.delta.BytesCopied += bytes
	if skipReason != "" {
		b.delta.Skipped[skipReason]++
	}
	if failCode != "" {
		b.delta.Failed[failCode]++
	}
}

// FailedObjects adds n (+1 or -1) to the count of objects recorded failed.
func (b *Batch) FailedObjects(n int64) {
	b.delta.FailedObjects += n
	b.n++
}

// Apply writes the batch in one fsynced transaction and empties it.
func (s *Store) Apply(b *Batch) error {
	if b.n == 0 && b.delta.Copied == 0 && len(b.delta.Skipped) == 0 && len(b.delta.Failed) == 0 {
		return nil
	}
	err := s.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(bObjects)
		// Keys of one batch are sorted and mostly come after the last ones
		// (listings run in key order): pack pages fuller than the default.
		ob.FillPercent = 0.9
		for _, k := range slices.Sorted(maps.Keys(b.objects)) { // sorted: fewer page splits
			if err := ob.Put([]byte(k), b.objects[k].encode()); err != nil {
				return err
			}
		}
		for k := range b.deletes {
			if err := ob.Delete([]byte(k)); err != nil {
				return err
			}
		}
		if err := b.applyUploads(tx); err != nil {
			return err
		}
		if err := b.applyAux(tx); err != nil {
			return err
		}
		sb := tx.Bucket(bShards)
		for p, sh := range b.shards {
			if err := sb.Put(shardKey(p), sh.encode()); err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		c := readCounters(m.Get(kCounters))
		c.Copied += b.delta.Copied
		c.BytesCopied += b.delta.BytesCopied
		c.FailedObjects = max(c.FailedObjects+b.delta.FailedObjects, 0)
		for k, v := range b.delta.Skipped {
			c.Skipped[k] += v
		}
		for k, v := range b.delta.Failed {
			c.Failed[k] += v
		}
		js, err := json.Marshal(c)
		if err != nil {
			return err
		}
		s.size = tx.Size()
		return m.Put(kCounters, js)
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s: write: %w", s.path, err)
	}
	*b = *NewBatch()
	if s.size >= releaseFrom {
		return s.releaseMapped()
	}
	return nil
}

func readCounters(v []byte) Counters {
	c := Counters{}
	if v != nil {
		json.Unmarshal(v, &c) //nolint:errcheck // a bad value restarts the totals
	}
	if c.Skipped == nil {
		c.Skipped = map[string]int64{}
	}
	if c.Failed == nil {
		c.Failed = map[string]int64{}
	}
	return c
}

// Counters returns the job's totals.
func (s *Store) Counters() (Counters, error) {
	v, err := s.get(bMeta, kCounters)
	return readCounters(v), err
}

// Lookup returns the record of one object version (one short read
// transaction).
func (s *Store) Lookup(key, versionID string) (Record, bool, error) {
	v, err := s.get(bObjects, ObjectKey(key, versionID))
	if err != nil || v == nil {
		return Record{}, false, err
	}
	r, err := decodeRecord(v)
	if err != nil {
		return Record{}, false, fmt.Errorf("checkpoint %s: record of %q: %w", s.path, key, err)
	}
	return r, true, nil
}

// Shards returns every recorded shard.
func (s *Store) Shards() ([]Shard, error) {
	var out []Shard
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bShards).ForEach(func(k, v []byte) error {
			sh, err := decodeShard(string(k[1:]), v)
			if err != nil {
				return fmt.Errorf("shard %q: %w", k, err)
			}
			out = append(out, sh)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", s.path, err)
	}
	return out, nil
}

// pageSize is how many records one read transaction of an iteration visits.
const pageSize = 1000

// Each calls fn for every object record in key order (state 0 = all
// states), paging through in short read transactions. fn may not write.
func (s *Store) Each(state State, fn func(key, versionID string, r Record) error) error {
	var after []byte
	for {
		type item struct {
			k []byte
			r Record
		}
		var items []item
		err := s.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bObjects).Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(after)
				if k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
			}
			for n := 0; k != nil && n < pageSize; k, v = c.Next() {
				n++
				r, err := decodeRecord(v)
				if err != nil {
					return fmt.Errorf("record %q: %w", k, err)
				}
				after = append(after[:0:0], k...)
				if state == 0 || r.State == state {
					items = append(items, item{append([]byte(nil), k...), r})
				}
			}
			if k == nil {
				after = nil
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", s.path, err)
		}
		for _, it := range items {
			key, ver := SplitObjectKey(it.k)
			if err := fn(key, ver, it.r); err != nil {
				return err
			}
		}
		if after == nil {
			return nil
		}
	}
}

// Info is what status shows about a checkpoint.
type Info struct {
	Path     string
	Spec     Spec
	Cutoff   time.Time
	Created  time.Time
	LastRun  time.Time
	Counters Counters
	Done     int64
	Failed   int64
	Archived int64
	Shards   int
	Complete int
	Uploads  int
}

// Info counts the checkpoint's records (a full scan, in pages).
func (s *Store) Info() (Info, error) {
	in := Info{Path: s.path}
	var err error
	if in.Spec, err = s.Spec(); err != nil {
		return in, err
	}
	if in.Counters, err = s.Counters(); err != nil {
		return in, err
	}
	parse := func(k []byte) time.Time {
		v, _ := s.get(bMeta, k)
		t, _ := time.Parse(time.RFC3339Nano, string(v))
		return t
	}
	in.Cutoff, in.Created, in.LastRun = parse(kCutoff), parse(kCreated), parse(kLastRun)
	if in.Uploads, err = s.countUploads(); err != nil {
		return in, err
	}
	err = s.Each(0, func(_, _ string, r Record) error {
		switch r.State {
		case Done:
			in.Done++
		case Failed:
			in.Failed++
		case Archived:
			in.Archived++
		}
		return nil
	})
	if err != nil {
		return in, err
	}
	shards, err := s.Shards()
	if err != nil {
		return in, err
	}
	in.Shards = len(shards)
	for _, sh := range shards {
		if sh.Complete {
			in.Complete++
		}
	}
	return in, nil
}
