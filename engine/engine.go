package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/inventory"
)

// CopyAPI is what the engine's workers call, against the destination's
// region: CopyObject, HeadObject for entries whose source did not look at
// the replica, and the multipart calls for large objects.
type CopyAPI interface {
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	MultipartAPI
}

var _ CopyAPI = (*s3.Client)(nil)

// Source streams entries to the engine; it sends on out until it is done or
// ctx is, and does not close out. inventory.Lister is one.
type Source interface {
	Stream(ctx context.Context, out chan<- inventory.Entry) error
}

// Engine copies the objects a Source yields. Create one per run with New.
type Engine struct {
	api    CopyAPI
	srcAPI SourceAPI
	opts   Options
	// budget bounds the requests in flight (copies, HEADs, parts) to the
	// concurrency in use, whatever mix of small and large objects is
	// running; the adaptive controller resizes it (adapt.go).
	budget *limiter
	adapt  *adapter
	obs    Observer
	c      counters
	// cutoff is Start - MinAge: objects modified after it are too new.
	cutoff time.Time

	stopOnce sync.Once
	stop     chan struct{}

	// refusedChecksums holds the checksum algorithms the destination
	// refused on part copies in this run (see checksum.go).
	refusedChecksums sync.Map
	// probe looks at the buckets when an object's failure does not say
	// whether it is about the run (runfail.go).
	probe prober
}

// New returns an engine copying with dst (the destination's client) and
// reading large objects' metadata with src (the source's); obs may be nil.
func New(dst CopyAPI, src SourceAPI, opts Options, obs Observer) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if obs == nil {
		obs = nopObserver{}
	}
	opts = opts.withDefaults()
	return &Engine{api: dst, srcAPI: src, opts: opts, obs: obs, stop: make(chan struct{}),
		budget: newLimiter(opts.startConcurrency(), nil)}, nil
}

// Stop asks a running Run to finish gracefully: no new copies start, the
// ones in flight finish and are reported. Safe to call from any goroutine,
// more than once.
func (e *Engine) Stop() { e.stopOnce.Do(func() { close(e.stop) }) }

// Stats returns a live snapshot; safe for concurrent use.
func (e *Engine) Stats() Stats {
	st := e.c.snapshot()
	r := e.budget.read()
	st.Concurrency, st.InFlight = int(r.limit), int(r.used)
	return st
}

// halted reports whether new work must not start.
func (e *Engine) halted(feedCtx context.Context) bool {
	select {
	case <-e.stop:
		return true
	default:
		return feedCtx.Err() != nil
	}
}

// queue hands t to the workers, counting its objects (every version) in
// Queued first, so that Settled never passes it; false when the feed
// stopped (t stays counted, unsettled, like the queued tasks no worker
// takes after a stop).
func (e *Engine) queue(feedCtx context.Context, tasks chan<- task, t task) bool {
	e.c.queued.Add(int64(1 + len(t.entry.Older)))
	select {
	case tasks <- t:
		return true
	case <-feedCtx.Done():
		return false
	}
}

type task struct {
	entry    inventory.Entry
	destKey  string
	attempts int
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
	e.cutoff = cutoff
	sum := &Summary{Started: o.Start, Skipped: map[string]int64{}, Failed: map[string]int64{}}
	var track *checkpoint.Tracker
	if o.Checkpoint != nil && o.TrackShards {
		track = checkpoint.NewTracker()
		for _, sh := range o.Resume {
			track.Resume(sh.Prefix, sh.Depth, sh.Watermark, sh.Mode)
		}
	}

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

	entries := make(chan inventory.Entry, 4*o.MaxConcurrency)
	tasks := make(chan task, o.MaxConcurrency)
	results := make(chan *Result, 4*o.MaxConcurrency)
	e.adapt = newAdapter(e, o.Start)
	stopAdapt, adaptDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(adaptDone); e.adapt.run(stopAdapt) }()
	var adaptOnce sync.Once
	// The controller is stopped and gone before its log is read and before
	// Run returns: nothing it calls (OnConcurrency) runs after that.
	endAdapt := func() { adaptOnce.Do(func() { close(stopAdapt); <-adaptDone }) }
	defer endAdapt()

	// 1. source. A listing that fails (after the SDK's retries) stops the
	// feed like a Stop: the copies in flight finish and are recorded, then
	// the run reports the listing's error.
	var listErr error
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
		switch {
		case errors.As(err, &le):
			what := fmt.Sprintf("list s3://%s/%s", le.Bucket, le.Prefix)
			if re := AsRunError(what, le.Err); re != nil {
				listErr = re
			} else {
				listErr = &RunError{What: what, Code: ErrorCode(le.Err), Hint: "the listing failed after retries; run again to resume", Err: le.Err}
			}
		default:
			listErr = &RunError{What: "read the source", Err: err}
		}
		cancelFeed()
		return nil
	})
	// 2. plan: decide per entry; skips and shard events go straight to the
	// collector, copies to the workers.
	g.Go(func() error {
		defer close(tasks)
		for en := range entries {
			if en.Kind != inventory.KindObject {
				results <- &Result{Entry: en, event: en.Kind}
				continue
			}
			e.c.listed.Add(1 + int64(len(en.Older)))
			e.c.listedBytes.Add(en.Source.Size)
			for _, v := range en.Older {
				e.c.listedBytes.Add(v.Size)
			}
			if track != nil && !en.Untracked {
				track.Add(en.Shard, en.Rel)
			}
			destKey := o.Dest.Key(en.Rel)
			if len(en.Older) > 0 {
				// A key with older versions: a worker settles each version,
				// in order (settleVersions).
				if en.SkipReason != "" {
					skipGroup(en, destKey, results)
					continue
				}
				if !e.queue(feedCtx, tasks, task{entry: en, destKey: destKey}) {
					return nil
				}
				continue
			}
			attempts := 0
			if o.Checkpoint != nil && !o.FreshCheckpoint {
				rec, ok, err := o.Checkpoint.Lookup(en.Rel, en.Source.VersionID)
				if err != nil {
					return &RunError{What: "read the checkpoint", Err: err}
				}
				if ok && rec.State == checkpointDone && rec.ETag == en.Source.ETag && rec.Size == en.Source.Size {
					results <- &Result{Outcome: Skipped, Entry: en, DestKey: destKey, Reason: ReasonDone}
					continue
				}
				if ok && rec.State == checkpointFailed {
					attempts = rec.Attempts
				}
			}
			reason := en.SkipReason
			if reason == "" {
				reason = e.decide(en, destKey, cutoff)
			}
			if reason != "" {
				results <- &Result{Outcome: Skipped, Entry: en, DestKey: destKey, Reason: reason, attempts: attempts}
				continue
			}
			if en.ReplicaKnown && sourceComplete(en.Source) && en.SourceErr == nil {
				e.c.toCopy.Add(1)
				e.c.toCopyBytes.Add(en.Source.Size)
				if o.DryRun {
					e.c.queued.Add(1)
					results <- &Result{Outcome: WouldCopy, Entry: en, DestKey: destKey, attempts: attempts}
					continue
				}
			}
			if !e.queue(feedCtx, tasks, task{entry: en, destKey: destKey, attempts: attempts}) {
				return nil
			}
		}
		if e.c.listingDone.Load() {
			e.c.allQueued.Store(true)
		}
		return nil
	})
	// 3. workers, as many as the concurrency in use (workers.go)
	e.startWorkers(g, feedCtx, runCtx, tasks, results)
	var runErr error
	go func() {
		runErr = g.Wait()
		close(results)
	}()

	// 4. collector: the only goroutine that counts, reports and writes the
	// checkpoint.
	col := newCollector(runCtx, e, sum, track, cancelBase)
	col.run(results)
	sum.Finished = time.Now()
	sum.Listed, sum.ListedBytes = e.c.listed.Load(), e.c.listedBytes.Load()
	endAdapt()
	sum.Concurrency = e.adapt.Log()

	var re *RunError
	if cause := context.Cause(base); errors.As(cause, &re) {
		runErr = cause // the collector stopped the run
	}
	if runErr == nil && listErr != nil {
		runErr = listErr
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
