package run

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// PlanFacts is what a plan counted and measured, for the advice printed
// with it (Spec.Advise): the objects a copy would copy, the requests it
// would make, and how fast this machine talked to S3 while planning.
type PlanFacts struct {
	From, To s3url.URL
	// Objects and Bytes would be copied; Large of them are over 5 GiB
	// (never in a Batch Operations copy job), needing LargeRequests
	// requests to copy in parts.
	Objects, Bytes                   int64
	Large, LargeBytes, LargeRequests int64
	// Listed is every object the plan looked at, copied or skipped.
	Listed int64
	// ByClass and BytesByClass are the objects to copy by their source
	// storage class ("" = STANDARD); StorageClass is --storage-class.
	ByClass, BytesByClass map[string]int64
	StorageClass          string
	// Requests are every request the copy would make, by operation; Look
	// the plan's own (the listing and HEADs a copy makes again).
	Requests, Look map[string]int64
	// Each side's region ("" unknown).
	SourceRegion, DestRegion string
	// Concurrency is --concurrency; Latency the mean time of the plan's
	// Timed requests; CPU the process's CPU time so far.
	Concurrency int
	// Adaptive: no --concurrency was given; Concurrency is where the
	// adaptive concurrency starts.
	Adaptive bool
	Latency  time.Duration
	Timed    int64
	CPU      time.Duration
	// Spec is the plan's description, for its AWS settings: an advisor may
	// ask S3 more (the source's replication configuration), counting its
	// requests in Requests, the plan's counter (nil when none), so the
	// plan's look says every request it made.
	Spec    *Spec
	Counter *awsconf.Requests
}

// Advice is what Spec.Advise returns: a text for the plan's text output
// and a value for its JSON ("advice").
type Advice struct {
	Text func(w io.Writer)
	JSON any
}

// facts gathers a plan's facts after its run.
func (r *copyRun) facts(sum *engine.Summary) PlanFacts {
	p := r.plan
	f := PlanFacts{From: r.spec.From, To: r.spec.To, Objects: p.WouldCopy.Count, Bytes: p.WouldCopy.Bytes,
		Large: p.Large.Count, LargeBytes: p.Large.Bytes, LargeRequests: p.LargeRequests,
		ByClass: map[string]int64{}, BytesByClass: map[string]int64{}, StorageClass: r.spec.Engine.StorageClass,
		Requests: p.ByOperation, Look: p.Look, SourceRegion: r.sides.SourceRegion, DestRegion: r.sides.DestRegion,
		Concurrency: r.spec.Engine.Concurrency, CPU: processCPU(), Spec: r.spec, Counter: r.sides.Requests}
	if f.Concurrency <= 0 {
		// Adaptive: a copy starts at DefaultStartConcurrency, grows while
		// the throughput does and probes down once a run; the start is
		// the estimate's basis (the plan says so).
		f.Concurrency, f.Adaptive = engine.DefaultStartConcurrency, true
	}
	if sum != nil {
		f.Listed = sum.Listed
	}
	for class, c := range p.StorageClass {
		f.ByClass[class], f.BytesByClass[class] = c.Count, c.Bytes
	}
	if r.sides.Requests != nil {
		f.Latency, f.Timed = r.sides.Requests.Latency()
	}
	return f
}

// advise asks Spec.Advise, if set; a failure is a note, not the plan's end.
func (r *copyRun) advise(ctx context.Context, sum *engine.Summary) *Advice {
	if r.spec.Advise == nil || r.plan == nil {
		return nil
	}
	a, err := r.spec.Advise(ctx, r.facts(sum))
	if err != nil {
		fmt.Fprintf(r.env.Stderr, "backfill: no cost estimate: %v\n", err)
		return nil
	}
	return &a
}
