package cost

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestLoadPrices(t *testing.T) {
	p, err := Load("")
	if err != nil || p.BatchJob != 0.25 || p.BatchPerMillionObjects != 1 || p.PutPer1000["DEEP_ARCHIVE"] != 0.05 || !strings.Contains(p.Source, "S3-FACTS.md section 9") {
		t.Fatalf("defaults %+v %v", p, err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "p.json")
	os.WriteFile(file, []byte(`{"batch_job": 0.5, "put_per_1000": {"STANDARD": 0.0055}}`), 0o600)
	p, err = Load(file)
	if err != nil || p.BatchJob != 0.5 || p.PutPer1000["STANDARD"] != 0.0055 || p.PutPer1000["GLACIER"] != 0.03 || !strings.Contains(p.Source, file) {
		t.Errorf("override %+v %v", p, err)
	}
	for body, want := range map[string]string{
		`{"batch_jobs": 1}`:                       "unknown field",
		`{"get_per_1000": {"STANDARD": -1}}`:      "negative prices: get_per_1000.STANDARD",
		`not json`:                                "invalid character",
		`{"inter_region_per_gb": "0.02 dollars"}`: "cannot unmarshal",
	} {
		os.WriteFile(file, []byte(body), 0o600)
		if _, err := Load(file); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), file) {
			t.Errorf("%s: %v, want %q naming the file", body, err, want)
		}
	}
	if _, err := Load(filepath.Join(dir, "none.json")); err == nil || !strings.Contains(err.Error(), "--price-file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestTransfer(t *testing.T) {
	p := Default()
	for _, tc := range []struct {
		from, to string
		want     float64
		known    bool
	}{{"us-east-1", "us-east-1", 0, true}, {"us-east-1", "us-east-2", 0.01, true}, {"us-east-1", "eu-west-2", 0.02, true}, {"", "eu-west-2", 0.02, false}} {
		if got, known := p.Transfer(tc.from, tc.to); got != tc.want || known != tc.known {
			t.Errorf("%s -> %s: %v %v", tc.from, tc.to, got, known)
		}
	}
}

func TestRate(t *testing.T) {
	if r, basis := (Measure{}).Rate(); r != benchRate || !strings.Contains(basis, "BENCHMARKS.md") {
		t.Errorf("no measure: %v %s", r, basis)
	}
	// Latency-bound: 256 / 100 ms x 84% = 2150.4; CPU: 2 / 200 µs = 10000.
	r, basis := Measure{Concurrency: 256, Latency: 100 * time.Millisecond, Samples: 50, CPUPerRequest: 50 * time.Microsecond, CPUs: 2}.Rate()
	if !near(r, 2150.4) || !strings.Contains(basis, "measured latency") {
		t.Errorf("latency-bound: %v %s", r, basis)
	}
	if _, basis := (Measure{Concurrency: 256, Adaptive: true, Latency: 100 * time.Millisecond, Samples: 50, CPUs: 2}).Rate(); !strings.Contains(basis, "where the adaptive concurrency starts") {
		t.Errorf("adaptive: %s", basis)
	}
	// CPU-bound: 1 ms of CPU per request on 1 CPU = 1000/s.
	r, _ = Measure{Concurrency: 256, Latency: time.Millisecond, Samples: 50, CPUPerRequest: time.Millisecond, CPUs: 1}.Rate()
	if !near(r, 1000) {
		t.Errorf("cpu-bound: %v", r)
	}
}

func TestCompareAndRecommend(t *testing.T) {
	p := Default()
	slow := Measure{Concurrency: 1, Latency: time.Second, Samples: 100, CPUs: 1} // 0.84 requests/s
	w := Workload{Objects: 180_000_312, Bytes: 400 << 40, Large: 312, LargeBytes: 312 * 6 << 30, LargeRequests: 312 * 30,
		ByClass: map[string]int64{"STANDARD": 180_000_312}, Requests: map[string]int64{"CopyObject": 180_000_000, "ListObjectsV2": 360_000},
		Look: map[string]int64{"ListObjectsV2": 360_000}, SourceRegion: "us-east-1", DestRegion: "eu-west-2", SourceObjects: 180_000_312,
		Replication: "covers", ReplicationNote: "rule x"}
	c := Compare(w, slow, p)
	local, batch, repl := c.Options[0], c.Options[1], c.Options[2]
	if !near(batch.Fees, 0.25+180.0) || !near(local.Fees, 0) || !batch.TimeUnknown || !repl.TimeUnknown || local.TimeUnknown {
		t.Errorf("options %+v", c.Options)
	}
	if !near(local.Transfer, 400*1024*0.02) || !near(batch.Transfer, local.Transfer) {
		t.Errorf("transfer %v %v", local.Transfer, batch.Transfer)
	}
	if !near(local.Requests, 180_000_000*0.000005+360_000*0.000005) {
		t.Errorf("local requests %v", local.Requests)
	}
	if c.Recommendation.Choice != "Batch Replication" || !strings.Contains(c.Recommendation.Reason, "180M objects, keeps version ids") ||
		!strings.Contains(c.Recommendation.Reason, "312 objects over 5 GiB are copied locally either way") {
		t.Errorf("recommendation %+v", c.Recommendation)
	}
	w.Replication, w.ReplicationNote = "none", "bucket x has no replication configuration"
	c = Compare(w, slow, p)
	if c.Recommendation.Choice != "Batch Operations copy" || c.Options[2].Unavailable == "" || !strings.Contains(c.Recommendation.Reason, "so not Batch Replication") {
		t.Errorf("no replication: %+v %+v", c.Recommendation, c.Options[2])
	}
	small := Workload{Objects: 1000, Bytes: 1 << 30, ByClass: map[string]int64{"STANDARD_IA": 1000}, BytesBySourceClass: map[string]int64{"STANDARD_IA": 1 << 30},
		Requests: map[string]int64{"CopyObject": 1000, "HeadObject": 10}, Replication: "covers"}
	c = Compare(small, Measure{}, p)
	if c.Recommendation.Choice != "local copy" || !near(c.Options[0].Retrieval, 0.01) || len(c.Notes) != 1 {
		t.Errorf("small: %+v notes %v", c.Options[0], c.Notes)
	}
	if !near(c.Options[0].Requests, 1000*0.00001+10*0.0000004) {
		t.Errorf("IA copies priced %v", c.Options[0].Requests)
	}
	if c = Compare(Workload{}, Measure{}, p); c.Recommendation.Choice != "nothing" {
		t.Errorf("empty: %+v", c.Recommendation)
	}
}

func TestJob(t *testing.T) {
	o := Job(false, 2_000_000, 10<<30, "STANDARD", "us-east-1", "us-east-2", Default())
	if !near(o.Fees, 2.25) || !near(o.Requests, 10) || !near(o.Transfer, 0.1) || !o.TimeUnknown {
		t.Errorf("copy job %+v", o)
	}
	r := Job(true, 1_000_000, 0, "STANDARD", "us-east-1", "us-east-1", Default())
	if !near(r.Requests, 5+5+2) || r.Name != "Batch Replication" {
		t.Errorf("replication job %+v", r)
	}
}
