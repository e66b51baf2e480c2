package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// statsWatcher checks every snapshot it takes against the one before:
// Queued and Settled never decrease, Settled never passes Queued, and once
// AllQueued is set Queued never changes.
type statsWatcher struct {
	t    *testing.T
	mu   sync.Mutex
	last Stats
}

// check takes a snapshot and checks it; snapshots are taken one at a
// time, so each is compared with the one just before it.
func (w *statsWatcher) check(e *Engine) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := e.Stats()
	l := w.last
	switch {
	case st.Settled > st.Queued:
		w.t.Errorf("settled %d > queued %d", st.Settled, st.Queued)
	case st.Queued < l.Queued || st.Settled < l.Settled:
		w.t.Errorf("went backwards: %+v after %+v", st, l)
	case l.AllQueued && (!st.AllQueued || st.Queued != l.Queued):
		w.t.Errorf("the total moved after AllQueued: %+v after %+v", st, l)
	}
	w.last = st
}

// progressSource mixes what a progress bar meets: entries to copy,
// entries the replica listing already has (skipped before any worker),
// excluded ones, and entries whose replica a worker looks at first (HEAD:
// half of them exist, and are skipped by the worker).
func progressSource(n int) sliceSource {
	var src sliceSource
	for i := range n {
		rel := fmt.Sprintf("k%04d", i)
		switch i % 4 {
		case 0:
			src = append(src, entry(rel, 10, `"a"`, time.Hour))
		case 1:
			src = append(src, withReplica(entry(rel, 10, `"a"`, time.Hour), 10, `"a"`, time.Hour))
		case 2:
			src = append(src, entry(rel+".tmp", 10, `"a"`, time.Hour))
		case 3:
			en := entry(rel, 10, `"a"`, time.Hour)
			en.ReplicaKnown = false
			src = append(src, en)
		}
	}
	return src
}

type statsObserver struct {
	e *Engine
	w *statsWatcher
}

func (o *statsObserver) Result(*Result) { o.w.check(o.e) }

func TestStatsProgressNeverGoesBackwards(t *testing.T) {
	for _, dry := range []bool{false, true} {
		t.Run(fmt.Sprint("dry-run=", dry), func(t *testing.T) {
			fc := &fakeCopier{head: func(in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
				if i, _ := strconv.Atoi(strings.TrimPrefix(aws.ToString(in.Key), "q/k")); i/4%2 == 1 { // k0007, k0015...: every other one exists
					return &s3.HeadObjectOutput{ContentLength: aws.Int64(10), ETag: aws.String(`"a"`), LastModified: aws.Time(start.Add(-time.Hour))}, nil
				}
				return nil, apiErr("NotFound")
			}}
			o := opts()
			o.Filter, _ = NewFilter(nil, []string{"*.tmp"})
			o.DryRun = dry
			w := &statsWatcher{t: t}
			obs := &statsObserver{w: w}
			e, err := New(fc, nil, o, obs)
			if err != nil {
				t.Fatal(err)
			}
			obs.e = e
			ctx, cancel := context.WithCancel(t.Context())
			polled := make(chan struct{})
			go func() { // a progress display, reading while the run goes
				defer close(polled)
				for ctx.Err() == nil {
					w.check(e)
				}
			}()
			const n = 400
			sum, err := e.Run(t.Context(), progressSource(n))
			cancel()
			<-polled
			if err != nil {
				t.Fatal(err)
			}
			w.check(e)
			st := e.Stats()
			// Queued: the n/4 to copy and the n/4 whose replica a worker
			// looks at; the worker skips half of those.
			if !st.AllQueued || st.Queued != n/2 || st.Settled != n/2 {
				t.Errorf("final stats %+v, want queued = settled = %d", st, n/2)
			}
			if done := sum.Copied + sum.WouldCopy; done != n/4+n/8 || st.Skipped != n/4+n/4+n/8 {
				t.Errorf("summary %+v, stats %+v", sum, st)
			}
		})
	}
}
