package engine

import (
	"sync"

	"github.com/backfill-dev/backfill/checkpoint"
)

// tracker follows, per listing shard, which listed objects are not yet
// settled, to compute the shard's watermark: the highest relative key at or
// below which every listed object is settled. Memory is proportional to the
// objects in flight, not to the shard's size: each in-flight object keeps
// only the key listed just before it.
//
// add is called by the planner (in each shard's key order), the rest by the
// collector; a mutex serialises them.
type tracker struct {
	mu     sync.Mutex
	shards map[string]*shardTrack
}

type shardTrack struct {
	depth     int
	after     string // watermark the shard was resumed from
	lastAdded string
	added     bool
	nextSeq   uint64
	inflight  map[string]inflightEnt
	minRel    string // the in-flight entry with the lowest seq
	listed    bool   // the listing reached the shard's end
	mode      uint8  // inventory.Mode, recorded for the resumed listing
}

type inflightEnt struct {
	seq  uint64
	prev string // the key added just before this one ("" = the shard's start)
	has  bool   // prev is a real key
}

func newTracker() *tracker { return &tracker{shards: map[string]*shardTrack{}} }

func (t *tracker) get(shard string) *shardTrack {
	s := t.shards[shard]
	if s == nil {
		s = &shardTrack{inflight: map[string]inflightEnt{}}
		t.shards[shard] = s
	}
	return s
}

// resume registers a shard an earlier run recorded, listed from after.
func (t *tracker) resume(shard string, depth int, after string, mode uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(shard)
	s.depth, s.after, s.mode = depth, after, mode
}

// setMode records how the shard is listed.
func (t *tracker) setMode(shard string, mode uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(shard).mode = mode
}

func (t *tracker) found(shard string, depth int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(shard).depth = depth
}

func (t *tracker) add(shard, rel string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(shard)
	e := inflightEnt{seq: s.nextSeq, prev: s.lastAdded, has: s.added}
	s.nextSeq++
	s.lastAdded, s.added = rel, true
	if len(s.inflight) == 0 {
		s.minRel = rel
	}
	s.inflight[rel] = e
}

func (t *tracker) settle(shard, rel string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(shard)
	delete(s.inflight, rel)
	if rel != s.minRel || len(s.inflight) == 0 {
		return
	}
	first := true
	var min uint64
	for k, e := range s.inflight {
		if first || e.seq < min {
			min, s.minRel, first = e.seq, k, false
		}
	}
}

func (t *tracker) listed(shard string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(shard).listed = true
}

// state is what the checkpoint records of a shard now.
func (t *tracker) state(shard string) checkpoint.Shard {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(shard)
	cs := checkpoint.Shard{Prefix: shard, Depth: s.depth, Watermark: s.after, Mode: s.mode}
	switch {
	case len(s.inflight) == 0:
		if s.added {
			cs.Watermark = s.lastAdded
		}
		cs.Complete = s.listed
	default:
		if e := s.inflight[s.minRel]; e.has {
			cs.Watermark = e.prev
		}
	}
	return cs
}
