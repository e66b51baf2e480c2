package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimiterResizes: a larger limit admits waiters at once; a smaller one
// lets the holders finish and admits nobody until fewer than it hold.
func TestLimiterResizes(t *testing.T) {
	l := newLimiter(2, nil)
	ctx := context.Background()
	for range 2 {
		if err := l.Acquire(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	var got atomic.Int32
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Acquire(ctx, 1); err == nil {
				got.Add(1)
			}
		}()
	}
	waitFor(t, func() bool { return l.read().waiting == 3 })
	l.SetLimit(4)
	waitFor(t, func() bool { return got.Load() == 2 })
	if r := l.read(); r.used != 4 || r.waiting != 1 {
		t.Fatalf("after growing to 4: used %d, waiting %d", r.used, r.waiting)
	}
	l.SetLimit(2) // 4 in flight, one waiting: nobody more until 1 in flight
	l.Release(1)
	l.Release(1)
	time.Sleep(20 * time.Millisecond)
	if got.Load() != 2 {
		t.Fatal("a waiter was admitted while the new limit was reached")
	}
	l.Release(1) // 1 in flight of 2: the last waiter goes
	wg.Wait()
	if r := l.read(); got.Load() != 3 || r.used != 2 || r.done != 3 {
		t.Fatalf("got %d, used %d, done %d", got.Load(), r.used, r.done)
	}
}

// TestLimiterCancelledWaiterLeaves: a waiter whose context ends leaves the
// queue without a slot, and the ones behind it move up.
func TestLimiterCancelledWaiterLeaves(t *testing.T) {
	l := newLimiter(1, nil)
	bg := context.Background()
	if err := l.Acquire(bg, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	errc := make(chan error, 1)
	go func() { errc <- l.Acquire(ctx, 1) }()
	waitFor(t, func() bool { return l.read().waiting == 1 })
	second := make(chan error, 1)
	go func() { second <- l.Acquire(bg, 1) }()
	waitFor(t, func() bool { return l.read().waiting == 2 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a cancelled Acquire succeeded")
	}
	l.Release(1)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if r := l.read(); r.used != 1 || r.waiting != 0 {
		t.Fatalf("used %d, waiting %d", r.used, r.waiting)
	}
}

// TestLimiterMeasuresInFlight: the in-flight integral and the count of
// completions give the mean in flight and, by Little's law, the time a
// request held its slot.
func TestLimiterMeasuresInFlight(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(10, func() time.Time { return now })
	ctx := context.Background()
	r0 := l.read()
	for range 4 {
		l.Acquire(ctx, 1) //nolint:errcheck
	}
	now = now.Add(2 * time.Second)
	for range 4 {
		l.Release(1)
	}
	r1 := l.read()
	if inFlight := (r1.area - r0.area) / r1.at.Sub(r0.at).Seconds(); inFlight != 4 {
		t.Errorf("mean in flight %v, want 4", inFlight)
	}
	if lat := (r1.area - r0.area) / float64(r1.done-r0.done); lat != 2 {
		t.Errorf("latency %v s, want 2", lat)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
