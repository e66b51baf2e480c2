package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// slowCopies is a source of n objects and a copier whose every copy takes
// d, counting the copies in flight at once.
func slowCopies(n int, d time.Duration) (sliceSource, *fakeCopier, *atomic.Int32) {
	var src sliceSource
	for i := range n {
		src = append(src, entry(fmt.Sprintf("k%05d", i), 1, `"e"`, time.Hour))
	}
	var in, most atomic.Int32
	f := &fakeCopier{fn: func(ctx context.Context, _ *s3.CopyObjectInput) error {
		now := in.Add(1)
		defer in.Add(-1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		return nil
	}}
	return src, f, &most
}

// TestAdaptiveRunBacksOffOnThrottles: with no fixed concurrency the run
// starts at DefaultStartConcurrency, and throttled answers (the clients' count)
// cut the limit; the requests in flight never pass it, the summary records
// each change, and OnConcurrency hears of them.
func TestAdaptiveRunBacksOffOnThrottles(t *testing.T) {
	src, f, most := slowCopies(20000, 20*time.Millisecond) // some samples long at the start of 1,024
	o := opts()
	o.Concurrency = 0
	var throttled atomic.Int64
	o.Throttles = func() int64 { return throttled.Add(5) } // S3 throttles all along
	var told []int
	o.OnConcurrency = func(n int) { told = append(told, n) }
	e, err := New(f, nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(t.Context(), src)
	if err != nil || sum.Copied != 20000 {
		t.Fatalf("copied %d, err %v", sum.Copied, err)
	}
	c := sum.Concurrency
	if c.Mode != "adaptive" || c.Start != DefaultStartConcurrency || c.Max != DefaultMaxConcurrency {
		t.Fatalf("concurrency log %+v", c)
	}
	if len(c.Steps) < 2 || c.Steps[1].Reason != AdaptSlowDown || c.Final >= DefaultStartConcurrency {
		t.Fatalf("steps %+v: want SlowDown cuts below %d", c.Steps, DefaultStartConcurrency)
	}
	if int(most.Load()) > DefaultStartConcurrency {
		t.Errorf("%d copies in flight, over the start limit %d", most.Load(), DefaultStartConcurrency)
	}
	if len(told) < 2 || told[0] != DefaultStartConcurrency || told[len(told)-1] != c.Final {
		t.Errorf("OnConcurrency heard %v, want %d first and %d last", told, DefaultStartConcurrency, c.Final)
	}
}

// TestFixedConcurrencyIsFixed: --concurrency N is N all along, and the
// log says so.
func TestFixedConcurrencyIsFixed(t *testing.T) {
	src, f, most := slowCopies(300, 5*time.Millisecond)
	o := opts()
	o.Concurrency = 7
	o.Throttles = func() int64 { return time.Now().UnixNano() } // ignored
	e, err := New(f, nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.Run(t.Context(), src)
	if err != nil || sum.Copied != 300 {
		t.Fatalf("copied %d, err %v", sum.Copied, err)
	}
	if c := sum.Concurrency; c.Mode != "fixed" || c.Start != 7 || c.Final != 7 || len(c.Steps) != 0 {
		t.Errorf("log %+v", c)
	}
	if most.Load() > 7 {
		t.Errorf("%d in flight, want at most 7", most.Load())
	}
	if st := e.Stats(); st.Concurrency != 7 {
		t.Errorf("Stats().Concurrency %d", st.Concurrency)
	}
}

// TestConcurrencyLogStaysBounded: a long run's log is thinned, never
// longer than maxSteps.
func TestConcurrencyLogStaysBounded(t *testing.T) {
	var l ConcurrencyLog
	for i := range 10 * maxSteps {
		l.add(ConcurrencyStep{Limit: i % 300, Reason: AdaptGrow})
	}
	if len(l.Steps) > maxSteps || l.Steps[0].Limit != 0 || l.Final != (10*maxSteps-1)%300 || l.Peak != 299 {
		t.Errorf("%d steps, first %+v, final %d, peak %d", len(l.Steps), l.Steps[0], l.Final, l.Peak)
	}
}
