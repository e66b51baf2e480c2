package s3sim

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// limiter keeps one token bucket per (bucket, key prefix, read|write).
type limiter struct {
	depth int
	cfg   atomic.Pointer[limits]
	tb    sync.Map // string -> *tokenBucket
}

type limits struct {
	read, write, burst float64
	gen                int64 // a change of limits refills every bucket
}

type tokenBucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
	gen    int64
}

func newLimiter(depth int) *limiter {
	l := &limiter{depth: depth}
	l.cfg.Store(&limits{})
	return l
}

func (l *limiter) set(read, write, burst float64) {
	old := l.cfg.Load()
	l.cfg.Store(&limits{read: read, write: write, burst: burst, gen: old.gen + 1})
}

// prefixOf is key's rate-limit prefix: its first depth "/"-separated
// segments, each with its "/" ("" for a key with no "/").
func prefixOf(key string, depth int) string {
	end := 0
	for range depth {
		i := strings.IndexByte(key[end:], '/')
		if i < 0 {
			break
		}
		end += i + 1
	}
	return key[:end]
}

// allow takes a token for one request on key, or reports that there is none.
func (l *limiter) allow(bucket, key string, write bool) bool {
	c := l.cfg.Load()
	rate := c.read
	kind := "\x00r"
	if write {
		rate, kind = c.write, "\x00w"
	}
	if rate <= 0 {
		return true
	}
	burst := c.burst
	if burst <= 0 {
		burst = rate
	}
	id := bucket + "\x00" + prefixOf(key, l.depth) + kind
	v, ok := l.tb.Load(id)
	if !ok {
		v, _ = l.tb.LoadOrStore(id, &tokenBucket{})
	}
	tb := v.(*tokenBucket)
	now := time.Now()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if tb.gen != c.gen || tb.last.IsZero() {
		tb.tokens, tb.last, tb.gen = burst, now, c.gen
	}
	tb.tokens = min(burst, tb.tokens+now.Sub(tb.last).Seconds()*rate)
	tb.last = now
	if tb.tokens < 1 {
		return false
	}
	tb.tokens--
	return true
}
