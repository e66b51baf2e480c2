package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/inventory"
)

// CopyAPI is the S3 call the engine's workers make, against the
// destination's region.
type CopyAPI interface {
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
}

var _ CopyAPI = (*s3.Client)(nil)

// Source streams entries to the engine; it sends on out until it is done or
// ctx is, and does not close out. inventory.Lister is one.
type Source interface {
	Stream(ctx context.Context, out chan<- inventory.Entry) error
}

// Engine copies the objects a Source yields. Create one per run with New.
type Engine struct {
	api  CopyAPI
	opts Options
	obs  Observer
	c    counters

	stopOnce sync.Once
	stop     chan struct{}
}

// New returns an engine; obs may be nil.
func New(api CopyAPI, opts Options, obs Observer) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if obs == nil {
		obs = nopObserver{}
	}
	return &Engine{api: api, opts: opts.withDefaults(), obs: obs, stop: make(chan struct{})}, nil
}

// Stop asks a running Run to finish gracefully: no new copies start, the
// ones in flight finish and are reported. Safe to call from any goroutine,
// more than once.
func (e *Engine) Stop() { e.stopOnce.Do(func() { close(e.stop) }) }

// Stats returns a live snapshot; safe for concurrent use.
func (e *Engine) Stats() Stats { return e.c.snapshot() }

// halted reports whether new work must not start.
func (e *Engine) halted(feedCtx context.Context) bool {
	select {
	case <-e.stop:
		return true
	default:
		return feedCtx.Err() != nil
	}
}

type task struct {
	entry   inventory.Entry
	destKey string
}

// Run copies everything src yields and returns what it did. Cancelling ctx
// aborts in-flight requests too (use Stop for a graceful end). The error is
// a *RunError (or a context error) when the run as a whole failed; failures
// of single objects are in the Summary, not in the error.
func (e *Engine) Run(ctx context.Context, src Source) (*Summary, error) {
	o := e.opts
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	cutoff := o.Start.Add(-o.MinAge)
	sum := &Summary{Started: o.Start, Skipped: map[string]int64{}, Failed: map[string]int64{}}

	base, cancelBase := context.WithCancelCause(ctx)
	defer cancelBase(nil)
	g, runCtx := errgroup.WithContext(base)
	feedCtx, cancelFeed := context.WithCancel(runCtx)
	defer cancelFeed()
	go func() {
		select {
		case <-e.stop:
			cancelFeed()
		case <-feedCtx.Done():
		}
	}()

	entries := make(chan inventory.Entry, 4*o.Concurrency)
	tasks := make(chan task, o.Concurrency)
	results := make(chan *Result, 4*o.Concurrency)

	// 1. source
	g.Go(func() error {
		defer close(entries)
		err := src.Stream(feedCtx, entries)
		if err == nil {
			e.c.listingDone.Store(true)
			return nil
		}
		if feedCtx.Err() != nil {
			return nil // stopped, or the run failed and says why elsewhere
		}
		var le *inventory.ListError
		if errors.As(err, &le) {
			if re := AsRunError(fmt.Sprintf("list s3://%s/%s", le.Bucket, le.Prefix), le.Err); re != nil {
				return re
			}
		}
		return &RunError{What: "read the source", Err: err}
	})
	// 2. plan: decide per entry; skips go straight to the collector
	g.Go(func() error {
		defer close(tasks)
		for en := range entries {
			e.c.listed.Add(1)
			e.c.listedBytes.Add(en.Source.Size)
			destKey := o.Dest.Key(en.Rel)
			if reason := e.decide(en, destKey, cutoff); reason != "" {
				results <- &Result{Outcome: Skipped, Entry: en, DestKey: destKey, Reason: reason}
				continue
			}
			e.c.toCopy.Add(1)
			e.c.toCopyBytes.Add(en.Source.Size)
			if o.DryRun {
				results <- &Result{Outcome: WouldCopy, Entry: en, DestKey: destKey}
				continue
			}
			select {
			case tasks <- task{entry: en, destKey: destKey}:
			case <-feedCtx.Done():
				return nil
			}
		}
		return nil
	})
	// 3. workers
	for range o.Concurrency {
		g.Go(func() error {
			for {
				select {
				case <-feedCtx.Done():
					return nil
				case t, ok := <-tasks:
					if !ok || e.halted(feedCtx) {
						return nil
					}
					r := e.copy(runCtx, t)
					if r == nil { // cancelled: not attempted to the end, not reported
						continue
					}
					results <- r
					if r.Outcome == Failed {
						if re := AsRunError(fmt.Sprintf("copy to s3://%s/%s", o.Dest.Bucket, t.destKey), r.Err); re != nil {
							return re
						}
					}
				}
			}
		})
	}
	var runErr error
	go func() {
		runErr = g.Wait()
		close(results)
	}()

	// 4. collector: the only goroutine that counts and reports.
	denied := 0
	for r := range results {
		switch r.Outcome {
		case Copied:
			sum.Copied++
			sum.BytesCopied += r.Entry.Source.Size
			e.c.copied.Add(1)
			e.c.copiedBytes.Add(r.Entry.Source.Size)
		case WouldCopy:
			sum.WouldCopy++
			sum.WouldCopyBytes += r.Entry.Source.Size
		case Skipped:
			sum.Skipped[r.Reason]++
			e.c.skipped.Add(1)
		case Failed:
			sum.Failed[r.Code]++
			e.c.failed.Add(1)
		}
		if r.Outcome == Failed && isDenied(r.Code) && sum.Copied == 0 {
			if denied++; denied == o.DeniedLimit {
				cancelBase(&RunError{What: fmt.Sprintf("copy from %s to %s", o.Source, o.Dest), Code: r.Code,
					Hint: fmt.Sprintf("access denied for the first %d copies and none succeeded: the credentials cannot read the source or write the destination", denied),
					Err:  r.Err})
			}
		}
		e.obs.Result(r)
	}
	sum.Finished = time.Now()
	sum.Listed, sum.ListedBytes = e.c.listed.Load(), e.c.listedBytes.Load()

	var re *RunError
	if cause := context.Cause(base); errors.As(cause, &re) {
		runErr = cause // the collector stopped the run
	}
	if runErr != nil {
		if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
			sum.Interrupted = true
		}
		return sum, runErr
	}
	select {
	case <-e.stop:
		sum.Interrupted = !e.c.listingDone.Load() || sum.Listed > sum.Copied+sum.SkippedTotal()+sum.FailedTotal()+sum.WouldCopy
	default:
	}
	return sum, nil
}
