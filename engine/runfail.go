package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// judge decides a failed result's fate: a failure of the run itself stops
// the run (re), and is neither reported nor recorded against the object;
// then only its upload's state goes on (report, nil when there is none).
// Otherwise the failure is the object's and r is reported as it is.
//
// Most answers say which by their code (AsRunError). An error answer
// without a body, a HEAD's, does not: its status is all there is, and a
// 400 or 403 may be about the object (an SSE-C object, a KMS key denied)
// or about the run (an expired session token is a 400, a revoked key a
// 403). For those the buckets are probed (Options.Probe, a listing of
// each, whose error answers have a body): when the probe fails for a
// reason about the run, that is the run's failure. When the run stopped
// for another reason while the probe ran, the failure is left unjudged,
// like a request the stop cancelled: not reported.
func (e *Engine) judge(ctx context.Context, t task, r *Result) (report *Result, re *RunError) {
	if re := AsRunError(fmt.Sprintf("copy to s3://%s/%s", e.opts.Dest.Bucket, t.destKey), r.Err); re != nil {
		return uploadOnly(r), re
	}
	if !s3err.Unexplained(r.Code) || e.opts.Probe == nil {
		return r, nil
	}
	if re := e.probe.check(ctx, e.opts.Probe, time.Now()); re != nil {
		return uploadOnly(r), re
	}
	if ctx.Err() != nil {
		return uploadOnly(r), nil
	}
	return r, nil
}

// uploadOnly is what is left of a result that is not the object's: the
// state of its upload, if it has one.
func uploadOnly(r *Result) *Result {
	if r.upload == nil {
		return nil
	}
	return &Result{Entry: r.Entry, upload: r.upload}
}

// prober runs the probes of unexplained failures one at a time. A failure
// that a successful probe started after is covered by it: the buckets
// answered after the failure, so it was the object's. Failures arriving
// together so share one probe, and the probes cost at most one listing
// of each bucket per round trip, however many objects fail so.
type prober struct {
	mu   sync.Mutex
	okAt time.Time // when the last probe that found the buckets answering started
}

func (p *prober) check(ctx context.Context, probe func(context.Context) error, failedAt time.Time) *RunError {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.okAt.After(failedAt) {
		return nil
	}
	start := time.Now()
	err := probe(ctx)
	var re *RunError
	switch {
	case err == nil:
		p.okAt = start
	case errors.As(err, &re) && (s3err.IsRunCode(re.Code) || s3err.IsDenied(re.Code)):
		return re
	}
	return nil // the probe failed for another reason (the network): the object's failure stands
}
