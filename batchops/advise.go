package batchops

import (
	"context"
	"io"
	"time"

	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/run"
)

// Advisor is what `backfill plan` asks after its dry run (run.Spec.Advise):
// the cost and time of a local copy, a Batch Operations copy job and Batch
// Replication for what it counted, at prices p, and a one-line
// recommendation. It reads the source's replication configuration (one
// GetBucketReplication) to know whether Batch Replication is possible.
func Advisor(p cost.Prices) func(ctx context.Context, f run.PlanFacts) (run.Advice, error) {
	return func(ctx context.Context, f run.PlanFacts) (run.Advice, error) {
		w := workload(f)
		cov := Coverage{Note: "not looked at"}
		if f.Spec != nil {
			ao := f.Spec.AWS
			ao.Requests = f.Counter
			if api, err := awsconf.New(ctx, ao, f.Spec.SrcSide, f.From.Bucket); err == nil {
				cov = ReplicationCoverage(ctx, api, f.From)
			} else {
				cov.Note = err.Error()
			}
		}
		w.Replication, w.ReplicationNote = cov.State, cov.Note
		m := cost.Measure{Concurrency: f.Concurrency, Adaptive: f.Adaptive, Latency: f.Latency, Samples: f.Timed}
		if n := sumOf(f.Look); n > 0 {
			m.CPUPerRequest = f.CPU / time.Duration(n)
		}
		c := cost.Compare(w, m, p)
		return run.Advice{Text: func(out io.Writer) { c.Print(out) }, JSON: c}, nil
	}
}

// workload is a plan's facts as the cost package counts them.
func workload(f run.PlanFacts) cost.Workload {
	w := cost.Workload{Objects: f.Objects, Bytes: f.Bytes, Large: f.Large, LargeBytes: f.LargeBytes, LargeRequests: f.LargeRequests,
		ByClass: map[string]int64{}, BytesBySourceClass: map[string]int64{}, Requests: f.Requests, Look: f.Look,
		SourceRegion: f.SourceRegion, DestRegion: f.DestRegion, SourceObjects: f.Listed}
	for src, n := range f.ByClass {
		class := src
		if class == "" {
			class = "STANDARD"
		}
		w.BytesBySourceClass[class] += f.BytesByClass[src]
		if f.StorageClass != "" {
			class = f.StorageClass // the copies' class
		}
		w.ByClass[class] += n
	}
	return w
}

func sumOf(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
