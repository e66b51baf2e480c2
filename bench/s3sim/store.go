package s3sim

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Object is what the simulator knows about an object: no data, only the
// facts a listing, a HEAD or a copy answers with.
type Object struct {
	Key          string
	Size         int64
	ETag         string // quoted, as S3 sends it: "\"<32 hex>\"" or "\"<32 hex>-N\""
	LastModified time.Time
	StorageClass string
	ContentType  string
	Headers      map[string]string // Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires: those set
	Metadata     map[string]string // user metadata (x-amz-meta-*), names in lower case; nil when none
}

// entry is one written object (or a tombstone over a seeded one) in a
// bucket's written layer. Stored by value: about 64 bytes plus the key.
type entry struct {
	key   string
	size  int64
	mtime int64    // unix nanoseconds
	etag  [16]byte // MD5 (single part) or MD5 of the parts' MD5s
	parts uint16   // 0: single-part ETag; N: "-N" suffix
	class uint8    // index into storageClasses
	dead  bool     // tombstone: deletes the seeded object with this key
	meta  *meta    // Content-Type and user metadata; nil: defaultMeta
}

var storageClasses = []string{"STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
	"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE", "OUTPOSTS", "SNOW"}

func classIndex(s string) (uint8, bool) {
	if s == "" {
		return 0, true
	}
	i := slices.Index(storageClasses, s)
	return uint8(max(i, 0)), i >= 0
}

func (e *entry) object() Object {
	o := Object{Key: e.key, Size: e.size, ETag: etagString(e.etag, e.parts),
		LastModified: time.Unix(0, e.mtime).UTC(), StorageClass: storageClasses[e.class],
		ContentType: e.meta.get().contentType}
	o.Headers, o.Metadata = e.meta.forKey(e.key)
	return o
}

func etagString(sum [16]byte, parts uint16) string {
	var b [56]byte
	n := copy(b[:], `"`)
	n += hex.Encode(b[n:], sum[:])
	if parts > 0 {
		n += copy(b[n:], "-")
		n += len(strconv.AppendUint(b[n:n], uint64(parts), 10))
	}
	n += copy(b[n:], `"`)
	return string(b[:n])
}

// parseETag reads a quoted or bare ETag into its digest and part count.
func parseETag(s string) (sum [16]byte, parts uint16, ok bool) {
	s = strings.Trim(s, `"`)
	h, n, multi := strings.Cut(s, "-")
	if len(h) != 32 {
		return sum, 0, false
	}
	if _, err := hex.Decode(sum[:], []byte(h)); err != nil {
		return sum, 0, false
	}
	if multi {
		v, err := strconv.ParseUint(n, 10, 16)
		if err != nil || v == 0 {
			return sum, 0, false
		}
		parts = uint16(v)
	}
	return sum, parts, true
}

// seeded is a bucket's immutable seeded layer: sorted keys packed in one
// arena, about 16 bytes per object plus the key's bytes. Its ETags are
// computed when asked (MD5 of key and size), never stored.
type seeded struct {
	arena []byte
	offs  []int // key i is arena[offs[i]:offs[i+1]]
	sizes []int64
	mtime int64
}

func (s *seeded) len() int { return len(s.sizes) }

func (s *seeded) key(i int) string {
	b := s.arena[s.offs[i]:s.offs[i+1]]
	return unsafe.String(unsafe.SliceData(b), len(b)) // the arena never changes
}

// search is the index of the first key >= k.
func (s *seeded) search(k string) int {
	lo, hi := 0, s.len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.key(m) < k {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (s *seeded) entry(i int) entry {
	k := s.key(i)
	return entry{key: k, size: s.sizes[i], mtime: s.mtime, etag: seedETag(k, s.sizes[i]), meta: seedMeta(k)}
}

// seedETag is the synthetic ETag of a seeded object.
func seedETag(key string, size int64) [16]byte {
	h := md5.New()
	h.Write([]byte(key))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(size))
	h.Write(b[:])
	var sum [16]byte
	h.Sum(sum[:0])
	return sum
}

func buildSeeded(n int, gen func(i int) (string, int64), mtime time.Time) *seeded {
	keys := make([]string, n)
	sizes := make([]int64, n)
	total := 0
	sorted := true
	for i := range n {
		keys[i], sizes[i] = gen(i)
		total += len(keys[i])
		if i > 0 && keys[i] <= keys[i-1] {
			sorted = false
		}
	}
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	if !sorted {
		slices.SortStableFunc(idx, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	}
	s := &seeded{arena: make([]byte, 0, total), offs: make([]int, 0, n+1), sizes: make([]int64, 0, n), mtime: mtime.UnixNano()}
	s.offs = append(s.offs, 0)
	for j, i := range idx {
		if j+1 < len(idx) && keys[idx[j+1]] == keys[i] {
			continue // a duplicate key: the later one wins
		}
		s.arena = append(s.arena, keys[i]...)
		s.offs = append(s.offs, len(s.arena))
		s.sizes = append(s.sizes, sizes[i])
	}
	return s
}

// written is a bucket's written layer: a sorted sequence of chunks (a
// two-level B-tree), so an insert costs a binary search and a small memmove
// and a listing walks it in order.
type written struct {
	chunks [][]entry
	n      int // live and dead entries
}

const chunkCap = 512

// find is the chunk that holds (or would hold) k and k's index within it.
func (w *written) find(k string) (int, int, bool) {
	if len(w.chunks) == 0 {
		return 0, 0, false
	}
	// the last chunk whose first key <= k
	c := max(0, sortSearch(len(w.chunks), func(i int) bool { return w.chunks[i][0].key > k })-1)
	ch := w.chunks[c]
	i := sortSearch(len(ch), func(i int) bool { return ch[i].key >= k })
	return c, i, i < len(ch) && ch[i].key == k
}

func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (w *written) get(k string) (*entry, bool) {
	c, i, ok := w.find(k)
	if !ok {
		return nil, false
	}
	return &w.chunks[c][i], true
}

func (w *written) put(e entry) {
	if len(w.chunks) == 0 {
		w.chunks = append(w.chunks, append(make([]entry, 0, 8), e))
		w.n++
		return
	}
	c, i, ok := w.find(e.key)
	ch := w.chunks[c]
	if ok {
		ch[i] = e
		return
	}
	w.n++
	if len(ch) < chunkCap {
		w.chunks[c] = slices.Insert(ch, i, e)
		return
	}
	// Full. Appending at its end (the usual case: keys arrive in order per
	// folder) starts a new chunk, so sequential inserts fill chunks whole;
	// otherwise split in halves.
	var left, right []entry
	if i == len(ch) {
		left, right = ch, append(make([]entry, 0, 8), e)
	} else {
		left = slices.Clip(ch[:chunkCap/2])
		right = make([]entry, chunkCap/2, chunkCap)
		copy(right, ch[chunkCap/2:])
		if i <= chunkCap/2 {
			left = slices.Insert(left, i, e)
		} else {
			right = slices.Insert(right, i-chunkCap/2, e)
		}
	}
	w.chunks[c] = left
	w.chunks = slices.Insert(w.chunks, c+1, right)
}

// cursor walks a bucket's merged layers (written wins over seeded; dead
// entries hide both) in key order. Valid only under the bucket's lock.
type cursor struct {
	s      *seeded
	si     int
	w      *written
	wc, wi int
}

func (b *bucket) seek(k string) *cursor {
	cur := &cursor{s: b.seed, w: &b.w}
	cur.seekTo(k)
	return cur
}

// seekTo moves to the first key >= k (never backwards).
func (c *cursor) seekTo(k string) {
	if c.s != nil {
		if c.si < c.s.len() && c.s.key(c.si) < k {
			c.si = max(c.si, c.s.search(k))
		}
	}
	if len(c.w.chunks) > 0 {
		wc, wi, _ := c.w.find(k)
		if wc > c.wc || (wc == c.wc && wi > c.wi) {
			c.wc, c.wi = wc, wi
		}
	}
}

func (c *cursor) wEntry() *entry {
	for c.wc < len(c.w.chunks) {
		if c.wi < len(c.w.chunks[c.wc]) {
			return &c.w.chunks[c.wc][c.wi]
		}
		c.wc, c.wi = c.wc+1, 0
	}
	return nil
}

// next returns the next live object, or false at the end.
func (c *cursor) next() (entry, bool) {
	for {
		we := c.wEntry()
		hasS := c.s != nil && c.si < c.s.len()
		switch {
		case we == nil && !hasS:
			return entry{}, false
		case we == nil || (hasS && c.s.key(c.si) < we.key):
			e := c.s.entry(c.si)
			c.si++
			return e, true
		}
		if hasS && c.s.key(c.si) == we.key {
			c.si++
		}
		c.wi++
		if !we.dead {
			return *we, true
		}
	}
}

// peekKey is the key next would return without computing its ETag ("" at the end).
func (c *cursor) peekKey() (string, bool) {
	for {
		we := c.wEntry()
		hasS := c.s != nil && c.si < c.s.len()
		switch {
		case we == nil && !hasS:
			return "", false
		case we == nil || (hasS && c.s.key(c.si) < we.key):
			return c.s.key(c.si), true
		case we.dead:
			if hasS && c.s.key(c.si) == we.key {
				c.si++
			}
			c.wi++
			continue
		}
		return we.key, true
	}
}

// bucket holds one bucket's objects. mu guards seed (set once), w and uploads.
type bucket struct {
	name    string
	created time.Time
	mu      sync.RWMutex
	seed    *seeded
	w       written
	live    int // objects (seeded + written - deleted)
}

// lookup finds the live object at k. Call with mu held.
func (b *bucket) lookup(k string) (entry, bool) {
	if e, ok := b.w.get(k); ok {
		return *e, !e.dead
	}
	if b.seed != nil {
		if i := b.seed.search(k); i < b.seed.len() && b.seed.key(i) == k {
			return b.seed.entry(i), true
		}
	}
	return entry{}, false
}

// store writes e (e.dead deletes). Call with mu held for writing.
func (b *bucket) store(e entry) {
	_, had := b.lookup(e.key)
	if e.dead {
		if !had {
			return
		}
		if b.seed == nil {
			// nothing to hide: drop the written entry instead of a tombstone
			if c, i, ok := b.w.find(e.key); ok {
				b.w.chunks[c] = slices.Delete(b.w.chunks[c], i, i+1)
				if len(b.w.chunks[c]) == 0 {
					b.w.chunks = slices.Delete(b.w.chunks, c, c+1)
				}
				b.w.n--
			}
			b.live--
			return
		}
		b.live--
	} else if !had {
		b.live++
	}
	e.key = strings.Clone(e.key) // never retain a request's buffer
	b.w.put(e)
}
