package cost

import (
	"fmt"
	"math"
	"runtime"
	"time"
)

// gib is the billing gigabyte.
const gib = 1 << 30

// LocalLimit is how long a local copy may take before a Batch Operations
// job is recommended instead: a night and a day of one machine.
const LocalLimit = 24 * time.Hour

// Benchmark figures (BENCHMARKS.md) used when a plan measured too little.
const (
	// benchRate is backfill's copy rate at 100 ms per request (about a
	// cross-region CopyObject) with --concurrency 256 on 2 cores
	// (make bench-concurrency at a8ebff3, 2026-12-02: 1,034 objects/s;
	// BENCHMARKS.md, "Figures the plan's cost estimate falls back on").
	benchRate = 1034.0
	// benchEfficiency is the share of concurrency/latency backfill reached
	// copying a million objects on the S3 simulator (bench-scale: 83.7%).
	benchEfficiency = 0.84
	// benchCPUPerCopy is the CPU one copy costs (the micro-benchmark:
	// 160-213 cpu-µs per copy on the slower host).
	benchCPUPerCopy = 200 * time.Microsecond
	// minSamples is the number of timed requests a measure needs.
	minSamples = 10
)

// Workload is what a plan counted: the objects a copy would copy, and the
// requests a local copy would make.
type Workload struct {
	Objects, Bytes int64 // to copy, large ones included
	// Large are the objects over 5 GiB: never in a copy job, copied
	// locally in parts whichever option is chosen.
	Large, LargeBytes int64
	// ByClass counts the objects to copy by the storage class of the copy;
	// BytesBySourceClass their bytes by the source's class (retrieval fees).
	ByClass, BytesBySourceClass map[string]int64
	// Requests are every request a local copy would make, by operation;
	// Look the part of them that only looks at the buckets (listing,
	// HEADs), which building a manifest makes too; LargeRequests the part
	// for the large objects (HEAD, tagging, create, parts, complete).
	Requests, Look map[string]int64
	LargeRequests  int64
	// SourceRegion and DestRegion price the transfer ("" unknown).
	SourceRegion, DestRegion string
	// SourceObjects are the objects under the source prefix (the
	// generator's fee counts the whole source bucket: a lower bound).
	SourceObjects int64
	// Replication says whether the source's replication configuration
	// covers the source prefix: "covers", "none" or "" (unknown), with why.
	Replication, ReplicationNote string
}

// Measure is what a plan measured of this machine and S3.
type Measure struct {
	Concurrency int
	// Adaptive: Concurrency is where the adaptive concurrency starts (no
	// --concurrency given); it grows from there while throughput does, and
	// probes down once a run.
	Adaptive      bool
	Latency       time.Duration // mean time of the plan's requests
	Samples       int64         // how many were timed
	CPUPerRequest time.Duration // the process's CPU time per request of the plan
	CPUs          int           // 0 = runtime.NumCPU()
}

// Rate is the objects (requests) per second a local copy would reach, and
// how that figure was made.
func (m Measure) Rate() (float64, string) {
	cpus := m.CPUs
	if cpus <= 0 {
		cpus = runtime.NumCPU()
	}
	if m.Samples < minSamples || m.Latency <= 0 || m.Concurrency <= 0 {
		return benchRate, fmt.Sprintf("the benchmark's %.0f requests/s (BENCHMARKS.md: --concurrency 256, 100 ms per request, 2 cores); this plan timed too few requests to measure", benchRate)
	}
	latencyLimit := float64(m.Concurrency) / m.Latency.Seconds() * benchEfficiency
	cpu := m.CPUPerRequest
	basisCPU := fmt.Sprintf("%s CPU per request measured", cpu.Round(time.Microsecond))
	if cpu < benchCPUPerCopy {
		cpu, basisCPU = benchCPUPerCopy, fmt.Sprintf("%s CPU per copy (BENCHMARKS.md)", benchCPUPerCopy)
	}
	cpuLimit := float64(cpus) / cpu.Seconds()
	rate := math.Min(latencyLimit, cpuLimit)
	conc := fmt.Sprintf("--concurrency %d", m.Concurrency)
	if m.Adaptive {
		conc = fmt.Sprintf("concurrency %d (where the adaptive concurrency starts; it grows while the throughput does, and probes lower once)", m.Concurrency)
	}
	return rate, fmt.Sprintf("%.0f requests/s: the lower of %s / %s measured latency x %.0f%% (BENCHMARKS.md) = %.0f, and %d CPUs / %s = %.0f",
		rate, conc, m.Latency.Round(time.Millisecond), benchEfficiency*100, latencyLimit, cpus, basisCPU, cpuLimit)
}

// Option is one way to make the copy, priced.
type Option struct {
	Name      string  `json:"name"`
	Requests  float64 `json:"requests_usd"`
	Fees      float64 `json:"batch_fees_usd"`
	Transfer  float64 `json:"transfer_usd"`
	Retrieval float64 `json:"retrieval_usd"`
	Total     float64 `json:"total_usd"`
	// Seconds is the time it takes, 0 when TimeUnknown.
	Seconds     float64 `json:"time_seconds,omitempty"`
	TimeUnknown bool    `json:"time_unknown"`
	Time        string  `json:"time"`
	// MachineHours is the time a local machine runs backfill for it.
	MachineHours float64  `json:"machine_hours"`
	Unavailable  string   `json:"unavailable,omitempty"`
	Notes        []string `json:"notes,omitempty"`
}

// Recommendation is the option a plan recommends and why, in one line.
type Recommendation struct {
	Choice string `json:"choice"`
	Reason string `json:"reason"`
}

// Comparison is a plan's estimate of the three ways to copy.
type Comparison struct {
	Prices         Prices         `json:"prices"`
	Rate           float64        `json:"local_requests_per_second"`
	RateBasis      string         `json:"local_rate_basis"`
	Options        []Option       `json:"options"`
	Recommendation Recommendation `json:"recommendation"`
	Notes          []string       `json:"notes,omitempty"`
}

// Compare prices a local copy, a Batch Operations copy job and Batch
// Replication for w, and recommends one.
func Compare(w Workload, m Measure, p Prices) Comparison {
	rate, basis := m.Rate()
	c := Comparison{Prices: p, Rate: rate, RateBasis: basis}
	transfer, known := p.Transfer(w.SourceRegion, w.DestRegion)
	if !known {
		c.Notes = append(c.Notes, fmt.Sprintf("a region is unknown: transfer priced at the inter-region $%.3f/GB", transfer))
	}
	common := Option{Transfer: float64(w.Bytes) / gib * transfer, Retrieval: retrieval(w, p)}
	local, batch, repl := common, common, common
	c.localOption(&local, w, p)
	c.batchCopyOption(&batch, w, p)
	c.replicationOption(&repl, w, p)
	c.Options = []Option{local, batch, repl}
	c.Recommendation = recommend(w, local, batch, repl)
	return c
}

func retrieval(w Workload, p Prices) float64 {
	var usd float64
	for class, b := range w.BytesBySourceClass {
		usd += float64(b) / gib * p.RetrievalPerGB[class]
	}
	return usd
}

// putMean is the mean PUT-class price per object written, over the
// classes of the copies.
func putMean(w Workload, p Prices) float64 {
	var n, usd float64
	for class, k := range w.ByClass {
		n += float64(k)
		usd += float64(k) * p.put(class)
	}
	if n == 0 {
		return p.put("STANDARD")
	}
	return usd / n
}

// requestsUSD prices requests by operation: reads at GET rates, the rest
// (writes, LIST) at PUT rates, writes in the copies' classes.
func requestsUSD(reqs map[string]int64, w Workload, p Prices) float64 {
	var usd float64
	for op, n := range reqs {
		switch op {
		case "HeadObject", "GetObject", "GetObjectTagging", "HeadBucket":
			usd += float64(n) * p.get("STANDARD")
		case "ListObjectsV2", "ListObjectVersions", "ListParts":
			usd += float64(n) * p.put("STANDARD")
		default:
			usd += float64(n) * putMean(w, p)
		}
	}
	return usd
}

func total(o *Option) { o.Total = o.Requests + o.Fees + o.Transfer + o.Retrieval }

func (c Comparison) localSeconds(requests int64) float64 {
	if c.Rate <= 0 {
		return 0
	}
	return float64(requests) / c.Rate
}

func (c *Comparison) localOption(o *Option, w Workload, p Prices) {
	o.Name = "local copy"
	o.Requests = requestsUSD(w.Requests, w, p)
	o.Seconds = c.localSeconds(sumOf(w.Requests))
	o.Time = About(o.Seconds) + " on this machine (a lower bound: big objects take longer than one round trip)"
	o.MachineHours = o.Seconds / 3600
	total(o)
}

func (c *Comparison) batchCopyOption(o *Option, w Workload, p Prices) {
	o.Name = "Batch Operations copy"
	inJob := w.Objects - w.Large
	o.Fees = p.BatchJob + float64(inJob)/1e6*p.BatchPerMillionObjects
	o.Requests = float64(inJob)*putMean(w, p) + requestsUSD(w.Look, w, p) + float64(w.LargeRequests)*putMean(w, p) + p.put("STANDARD")
	c.batchTime(o, w)
	o.Notes = append(o.Notes, "COPY requests billed at the copies' storage class; the manifest comes from a listing like this plan's")
	total(o)
}

func (c *Comparison) replicationOption(o *Option, w Workload, p Prices) {
	o.Name = "Batch Replication"
	inJob := w.Objects - w.Large
	o.Fees = p.BatchJob + float64(inJob)/1e6*p.BatchPerMillionObjects + float64(max(w.SourceObjects, w.Objects))/1e6*p.GeneratePerMillionObjects
	// Live replication's requests per object: one PUT to the destination,
	// one PUT and up to five GET/HEAD to the source (S3-FACTS 9).
	o.Requests = float64(inJob)*(putMean(w, p)+p.put("STANDARD")+5*p.get("STANDARD")) + float64(w.LargeRequests)*putMean(w, p)
	c.batchTime(o, w)
	o.Notes = append(o.Notes, "with a generated manifest (NONE and FAILED replication statuses); up to five GET/HEAD per object counted; keeps version ids and creation times, sets REPLICA")
	switch w.Replication {
	case "none":
		o.Unavailable = "no replication configuration covers the source: " + w.ReplicationNote
	case "":
		o.Notes = append(o.Notes, "whether a replication configuration covers the source is unknown ("+w.ReplicationNote+")")
	}
	total(o)
}

// batchTime says a job's time: unknown (AWS publishes no throughput and no
// length for the Preparing phase), plus the large objects' local copies.
func (c *Comparison) batchTime(o *Option, w Workload) {
	o.TimeUnknown = true
	o.Time = "unknown: AWS publishes no Batch Operations throughput or Preparing time"
	if w.Large > 0 {
		s := c.localSeconds(w.LargeRequests)
		o.MachineHours = s / 3600
		o.Time += fmt.Sprintf("; the %d objects over 5 GiB are copied on this machine (%s, a lower bound)", w.Large, About(s))
	}
}

func sumOf(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Job prices one Batch Operations job of objects (bytes in all): the job
// and per-object fees, each task's requests (a COPY billed in class, or
// what replication makes per object) and the transfer between the
// regions. Its time is unknown.
func Job(replicate bool, objects, bytes int64, class, srcRegion, dstRegion string, p Prices) Option {
	w := Workload{ByClass: map[string]int64{class: objects}}
	o := Option{Name: "Batch Operations copy", TimeUnknown: true, Time: "unknown: AWS publishes no Batch Operations throughput or Preparing time"}
	o.Fees = p.BatchJob + float64(objects)/1e6*p.BatchPerMillionObjects
	o.Requests = float64(objects) * putMean(w, p)
	if replicate {
		o.Name = "Batch Replication"
		o.Requests += float64(objects) * (p.put("STANDARD") + 5*p.get("STANDARD"))
	}
	perGB, _ := p.Transfer(srcRegion, dstRegion)
	o.Transfer = float64(bytes) / gib * perGB
	total(&o)
	return o
}
