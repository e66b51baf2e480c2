package engine

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// headless are n entries whose replica the engine looks at with a HEAD.
func headless(n int) sliceSource {
	var s sliceSource
	for i := range n {
		en := entry(fmt.Sprintf("k%03d", i), 10, `"e"`, time.Hour)
		en.ReplicaKnown = false
		s = append(s, en)
	}
	return s
}

// A HEAD's bare 400 after the session token expired: the probe's listing
// names the cause, the run stops with it, and no object is recorded
// failed for it.
func TestUnexplainedHeadFailureOfTheRun(t *testing.T) {
	fc := &fakeCopier{head: func(*s3.HeadObjectInput) (*s3.HeadObjectOutput, error) { return nil, apiErr("BadRequest") }}
	o := opts()
	var probes atomic.Int32
	o.Probe = func(context.Context) error {
		probes.Add(1)
		return &RunError{What: "source s3://src/p/", Code: "ExpiredToken", Hint: "the credentials have expired"}
	}
	obs := &collect{}
	e, _ := New(fc, nil, o, obs)
	sum, err := e.Run(t.Context(), headless(200))
	var re *RunError
	if !errors.As(err, &re) || re.Code != "ExpiredToken" {
		t.Fatalf("err %v; want the probe's ExpiredToken", err)
	}
	if sum.FailedTotal() != 0 || len(obs.rs) != 0 || len(fc.calls) != 0 {
		t.Errorf("%d failures, %d results, %d copies; want none", sum.FailedTotal(), len(obs.rs), len(fc.calls))
	}
	if p := probes.Load(); p > int32(o.Concurrency) {
		t.Errorf("%d probes for %d workers", p, o.Concurrency)
	}
}

// The same 400 when the buckets answer is the object's (an SSE-C object):
// recorded, and the run goes on; the failures share probes.
func TestUnexplainedHeadFailureOfTheObject(t *testing.T) {
	fc := &fakeCopier{head: func(*s3.HeadObjectInput) (*s3.HeadObjectOutput, error) { return nil, apiErr("BadRequest") }}
	o := opts()
	var probes atomic.Int32
	o.Probe = func(context.Context) error { probes.Add(1); time.Sleep(time.Millisecond); return nil }
	e, _ := New(fc, nil, o, nil)
	const n = 200
	sum, err := e.Run(t.Context(), headless(n))
	if err != nil || sum.Failed["BadRequest"] != n {
		t.Fatalf("run: %v, failed %v; want %d BadRequest", err, sum.Failed, n)
	}
	if p := probes.Load(); p < 1 || p > n {
		t.Errorf("%d probes for %d failures", p, n)
	}
	if !s3err.Unexplained("BadRequest") || s3err.Unexplained("AccessDenied") {
		t.Error("Unexplained")
	}
}
