package engine

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// limiter is the engine's request budget: at most limit requests in
// flight, and a limit that can change while the run goes on (the
// concurrency controller, adapt.go). It is a semaphore like
// x/sync/semaphore.Weighted, first come first served, whose size is
// resizable: a larger limit wakes waiters at once; a smaller one lets the
// requests in flight finish and admits no new one until fewer than the
// new limit are in flight.
//
// It also measures what the controller needs, under the lock it already
// takes: the requests completed, and the integral of requests in flight
// over time (so the mean in flight over an interval, and by Little's law
// the mean time a request held its slot: in flight / completions per
// second).
type limiter struct {
	now func() time.Time

	mu      sync.Mutex
	limit   int64
	used    int64
	waiters list.List // of *waiter, first come first

	done  int64     // releases
	area  float64   // ∫ used dt, request-seconds
	since time.Time // when area was last brought up to date
}

type limitWaiter struct {
	n     int64
	ready chan struct{}
}

func newLimiter(limit int, now func() time.Time) *limiter {
	if now == nil {
		now = time.Now
	}
	return &limiter{limit: int64(max(limit, 1)), now: now, since: now()}
}

// tick brings the in-flight integral up to now; mu is held.
func (l *limiter) tick() {
	t := l.now()
	l.area += float64(l.used) * t.Sub(l.since).Seconds()
	l.since = t
}

// Acquire takes n slots, waiting until they are free or ctx is done.
func (l *limiter) Acquire(ctx context.Context, n int64) error {
	l.mu.Lock()
	if l.used+n <= l.limit && l.waiters.Len() == 0 {
		l.tick()
		l.used += n
		l.mu.Unlock()
		return nil
	}
	w := &limitWaiter{n: n, ready: make(chan struct{})}
	elem := l.waiters.PushBack(w)
	l.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		select {
		case <-w.ready:
			// Granted just as ctx ended: give the slots back.
			l.tick()
			l.used -= n
			l.wakeLocked()
		default:
			isFront := l.waiters.Front() == elem
			l.waiters.Remove(elem)
			if isFront {
				l.wakeLocked() // the head left: the next may fit
			}
		}
		l.mu.Unlock()
		return ctx.Err()
	}
}

// Release gives n slots back; each release counts as one completed
// request.
func (l *limiter) Release(n int64) {
	l.mu.Lock()
	l.tick()
	l.used -= n
	if l.used < 0 {
		l.mu.Unlock()
		panic("engine: limiter released more than held")
	}
	l.done++
	l.wakeLocked()
	l.mu.Unlock()
}

// SetLimit changes the number of slots (at least 1).
func (l *limiter) SetLimit(n int) {
	l.mu.Lock()
	l.limit = int64(max(n, 1))
	l.wakeLocked()
	l.mu.Unlock()
}

// Limit is the number of slots now.
func (l *limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.limit)
}

// wakeLocked grants waiters in order while they fit.
func (l *limiter) wakeLocked() {
	for {
		front := l.waiters.Front()
		if front == nil {
			return
		}
		w := front.Value.(*limitWaiter)
		if l.used+w.n > l.limit {
			return
		}
		l.tick()
		l.used += w.n
		l.waiters.Remove(front)
		close(w.ready)
	}
}

// limiterReading is the limiter's counters at one moment.
type limiterReading struct {
	at      time.Time
	done    int64   // requests completed so far
	area    float64 // request-seconds in flight so far
	used    int64   // in flight now
	waiting int     // callers waiting for a slot now
	limit   int64
}

func (l *limiter) read() limiterReading {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tick()
	return limiterReading{at: l.since, done: l.done, area: l.area, used: l.used, waiting: l.waiters.Len(), limit: l.limit}
}
