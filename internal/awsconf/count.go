package awsconf

import (
	"context"
	"maps"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Requests counts the S3 operations clients call, by operation name (one
// per call, whatever its retries). Safe for concurrent use.
type Requests struct {
	mu      sync.Mutex
	n       map[string]int64
	timed   int64         // calls that ended without error
	latency time.Duration // their total time, retries included
}

// Latency is the mean time of the calls that succeeded (retries and
// backoff included), and how many there were: a plan's measure of the
// round trip its copies would wait for.
func (r *Requests) Latency() (time.Duration, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timed == 0 {
		return 0, 0
	}
	return r.latency / time.Duration(r.timed), r.timed
}

// Counts returns a copy of the counts so far.
func (r *Requests) Counts() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.n)
}

func (r *Requests) add(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int64{}
	}
	r.n[op]++
}

// record counts a call of op (the lean copy's) that succeeded in d, or
// failed when d < 0. A nil Requests counts nothing.
func (r *Requests) record(op string, d time.Duration) {
	if r == nil {
		return
	}
	r.add(op)
	if d >= 0 {
		r.timeOne(d)
	}
}

func (r *Requests) timeOne(d time.Duration) {
	r.mu.Lock()
	r.timed++
	r.latency += d
	r.mu.Unlock()
}

// middleware counts each operation as it starts.
func (r *Requests) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("backfill/count-requests",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.add(awsmiddleware.GetOperationName(ctx))
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			if err == nil {
				r.timeOne(time.Since(start))
			}
			return out, md, err
		}), middleware.After)
}
