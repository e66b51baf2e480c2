package engine

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// The workers follow the concurrency in use: a worker that takes a task
// while fewer workers run than the limit starts one more (so a larger
// limit fills at once, as tasks come), and a worker that finishes a task
// while more run than the limit leaves. The budget, not the number of
// workers, bounds the requests in flight (a worker may make several, and
// a multipart copy runs its parts beside it); a worker per slot keeps the
// budget fed without thousands of idle goroutines for the collector to
// scan when the limit is low.
type workers struct {
	e       *Engine
	g       *errgroup.Group
	running atomic.Int64
	body    func() error
}

// startWorkers starts the first worker; the others start as tasks come.
func (e *Engine) startWorkers(g *errgroup.Group, feedCtx, runCtx context.Context, tasks <-chan task, results chan<- *Result) {
	w := &workers{e: e, g: g}
	w.body = func() error { return w.loop(feedCtx, runCtx, tasks, results) }
	w.spawn()
}

func (w *workers) spawn() {
	w.running.Add(1)
	w.g.Go(w.body)
}

// grow starts one more worker if fewer run than the limit. It is called
// from a running worker, so the errgroup's count is never zero here.
func (w *workers) grow() {
	for {
		n := w.running.Load()
		if n >= int64(w.e.budget.Limit()) {
			return
		}
		if w.running.CompareAndSwap(n, n+1) {
			w.g.Go(w.body)
			return
		}
	}
}

// shrink reports whether this worker should leave (more run than the
// limit; the last one always stays), counting it out if so.
func (w *workers) shrink() bool {
	for {
		n := w.running.Load()
		if n <= 1 || n <= int64(w.e.budget.Limit()) {
			return false
		}
		if w.running.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func (w *workers) loop(feedCtx, runCtx context.Context, tasks <-chan task, results chan<- *Result) error {
	e := w.e
	left := false
	defer func() {
		if !left {
			w.running.Add(-1)
		}
	}()
	for {
		if w.shrink() {
			left = true
			return nil
		}
		select {
		case <-feedCtx.Done():
			return nil
		case t, ok := <-tasks:
			if !ok || e.halted(feedCtx) {
				return nil
			}
			w.grow()
			r := e.process(runCtx, t, results)
			if r == nil { // cancelled: not attempted to the end, not reported
				continue
			}
			if r.Outcome == Failed {
				// A failure of the run itself is not the object's: it is
				// neither reported nor recorded against it (only its
				// upload's state is; runfail.go).
				var re *RunError
				if r, re = e.judge(runCtx, t, r); r != nil {
					results <- r
				}
				if re != nil {
					return re
				}
				continue
			}
			results <- r
		}
	}
}
