package awsconf

import (
	"context"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) add(d time.Duration)     { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)} }
func within(got, want, tol float64) bool { return got >= want*(1-tol) && got <= want*(1+tol) }
func ms(n int) time.Duration             { return time.Duration(n) * time.Millisecond }

// simulate drives a sendLimit for d as backfill's 256 workers do (each
// always has a copy to send), against a server that accepts ceiling
// requests/s (a token bucket with a tenth of a second of burst) and
// answers after 25 ms; a throttled request is retried after a backoff of
// up to a second, as the SDK does. It returns the requests the server
// accepted and the limit's rate at the end.
func simulate(l *sendLimit, c *clock, ceiling float64, d time.Duration) (accepted int, rate float64) {
	type worker struct {
		readyAt, sentAt, answerAt time.Time
		inFlight, throttled       bool
	}
	ws := make([]worker, 256)
	for i := range ws {
		ws[i].readyAt = c.t
	}
	server, last := ceiling/10, c.t
	seed := uint32(1)
	rnd := func() float64 { seed = seed*1664525 + 1013904223; return float64(seed>>8) / (1 << 24) }
	end := c.t.Add(d)
	for c.t.Before(end) {
		for i := range ws {
			w := &ws[i]
			if w.inFlight && !w.answerAt.After(c.t) {
				w.inFlight = false
				l.done(w.throttled, !w.throttled, w.sentAt)
				if w.throttled {
					w.readyAt = c.t.Add(time.Duration(rnd() * float64(time.Second)))
				} else {
					accepted++
					w.readyAt = c.t
				}
			}
		}
		for i := range ws {
			w := &ws[i]
			if w.inFlight || w.readyAt.After(c.t) {
				continue
			}
			if l.take() > 0 {
				break
			}
			server = min(ceiling/10, server+c.t.Sub(last).Seconds()*ceiling)
			last = c.t
			w.throttled = server < 1
			if !w.throttled {
				server--
			}
			w.inFlight, w.sentAt, w.answerAt = true, c.t, c.t.Add(ms(25))
		}
		c.add(ms(1))
	}
	return accepted, l.Rate()
}

func TestSendLimitIsOffUntilThrottled(t *testing.T) {
	c := newClock()
	l := newSendLimit(c.now)
	for range 10000 {
		if l.take() > 0 {
			t.Fatal("a limit before any throttle")
		}
		l.done(false, true, c.t)
	}
	if l.Rate() != 0 {
		t.Errorf("rate %v", l.Rate())
	}
}

// TestSendLimitSettlesUnderACeiling: from 256 requests at once against a
// 300 requests/s ceiling, the limit settles close under the ceiling within
// a few seconds and keeps most of it (no collapse to a crawl).
func TestSendLimitSettlesUnderACeiling(t *testing.T) {
	for _, ceiling := range []float64{50, 300, 3500} {
		c := newClock()
		l := newSendLimit(c.now)
		simulate(l, c, ceiling, 3*time.Second)
		accepted, rate := simulate(l, c, ceiling, 20*time.Second)
		if got := float64(accepted) / 20; got < 0.85*ceiling {
			t.Errorf("ceiling %v: accepted %.0f/s after settling, want at least 85%%", ceiling, got)
		}
		if !within(rate, ceiling, 0.15) {
			t.Errorf("ceiling %v: rate %.0f/s", ceiling, rate)
		}
	}
}

// TestSendLimitRisesWhenRoomReturns: after the ceiling is lifted, the rate
// climbs again.
func TestSendLimitRisesWhenRoomReturns(t *testing.T) {
	c := newClock()
	l := newSendLimit(c.now)
	simulate(l, c, 100, 5*time.Second)
	before := l.Rate()
	simulate(l, c, 1000, 10*time.Second)
	if after := l.Rate(); after < 5*before {
		t.Errorf("rate %.0f -> %.0f after the ceiling went from 100 to 1000/s", before, after)
	}
}

// limited is a sendLimit already throttled to rate, with no tokens yet.
func limited(rate float64) *sendLimit {
	l := newSendLimit(time.Now)
	l.rate, l.lastFill = rate, time.Now()
	return l
}

// TestSendLimitWakesAboutTwicePerToken: 256 callers waiting on a limited
// rate look for a token about twice per token granted, not each of them
// for every token (the thundering herd that was 43% of a throttled run's
// CPU). Counts are checked, not times.
func TestSendLimitWakesAboutTwicePerToken(t *testing.T) {
	l := limited(4000)
	const callers, each = 256, 4
	start := time.Now()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for range each {
				if _, err := l.wait(t.Context()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	// The queue still holds the rate: no faster than the burst plus 4000/s
	// (a lower bound, which a loaded machine cannot break).
	if took, least := time.Since(start), time.Duration(float64(callers*each-200)/4000*float64(time.Second)); took < least*9/10 {
		t.Errorf("%d tokens in %v; the rate allows them in no less than %v", callers*each, took, least)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if granted := callers * each; l.polls > 4*granted {
		t.Errorf("%d looks for %d tokens: waiters wake for tokens that are not theirs", l.polls, granted)
	}
	if len(l.queue) != 0 {
		t.Errorf("%d callers left in the queue", len(l.queue))
	}
}

// TestSendLimitQueueIsFirstComeFirstServed: waiters get tokens in the
// order they came; a cancelled one, head or not, leaves the queue and the
// others go on.
func TestSendLimitQueueIsFirstComeFirstServed(t *testing.T) {
	l := limited(0.001) // no token while the queue forms
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	cancels := make([]context.CancelFunc, 6)
	for i := range 6 {
		ctx, cancel := context.WithCancel(t.Context())
		cancels[i] = cancel
		wg.Go(func() {
			if _, err := l.wait(ctx); err == nil {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
			}
		})
		waitQueued(t, l, i+1) // each caller in the queue before the next comes
	}
	cancels[3]() // one in the middle
	waitQueued(t, l, 5)
	l.mu.Lock()
	// Tokens flow, one per 20 ms (each caller records its turn long before
	// the next token); the head (0) still sleeps on its old wait.
	l.rate, l.tokens, l.lastFill = 50, 0, time.Now()
	l.mu.Unlock()
	cancels[0]() // the head leaves and wakes the next
	wg.Wait()
	for _, c := range cancels {
		c()
	}
	if want := []int{1, 2, 4, 5}; !equalInts(order, want) {
		t.Errorf("tokens went to %v, want %v", order, want)
	}
	if n := queued(l); n != 0 {
		t.Errorf("%d callers left in the queue", n)
	}
}

// waitQueued waits until n callers are in l's queue.
func waitQueued(t *testing.T, l *sendLimit, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); queued(l) != n; time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d callers in the queue, want %d", queued(l), n)
		}
	}
}

func queued(l *sendLimit) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
