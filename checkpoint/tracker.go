package checkpoint

import (
	"sync"
)

// Tracker follows, per listing shard, which listed objects are not yet
// settled, to compute the shard's watermark: the highest relative key at or
// below which every listed object is settled. Memory is proportional to the
// objects in flight, not to the shard's size: each in-flight object keeps
// only the key listed just before it.
//
// Add is called in each shard's key order (by the one goroutine that
// reads the source); the others from anywhere: a mutex serialises them.
// A Tracker is safe for concurrent use.
type Tracker struct {
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

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{shards: map[string]*shardTrack{}} }

func (t *Tracker) get(shard string) *shardTrack {
	s := t.shards[shard]
	if s == nil {
		s = &shardTrack{inflight: map[string]inflightEnt{}}
		t.shards[shard] = s
	}
	return s
}

// Resume registers a shard an earlier run recorded, listed from after.
func (t *Tracker) Resume(shard string, depth int, after string, mode uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(shard)
	s.depth, s.after, s.mode = depth, after, mode
}

// SetMode records how the shard is listed.
func (t *Tracker) SetMode(shard string, mode uint8) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(shard).mode = mode
}

// Found registers a shard announced at depth.
func (t *Tracker) Found(shard string, depth int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(shard).depth = depth
}

// Add registers an object listed in shard, in the shard's key order.
func (t *Tracker) Add(shard, rel string) {
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

// Settle marks an object of shard settled.
func (t *Tracker) Settle(shard, rel string) {
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

// Listed records that shard was listed to its end.
func (t *Tracker) Listed(shard string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.get(shard).listed = true
}

// State is what the checkpoint records of a shard now.
func (t *Tracker) State(shard string) Shard {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.get(shard)
	cs := Shard{Prefix: shard, Depth: s.depth, Watermark: s.after, Mode: s.mode}
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
