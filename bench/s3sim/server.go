package s3sim

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// Options configure a Sim. The zero value is fine: no latency, no limits.
type Options struct {
	Region string // answered by GetBucketLocation and HeadBucket; default "us-east-1"
	// Latency is slept before every answer (the round trip to a far region).
	Latency time.Duration
	// ReadRate and WriteRate limit requests per second per key prefix
	// (GET/HEAD, and PUT/POST/DELETE); 0 = unlimited. S3 documents 5,500
	// and 3,500. Over the limit a request is answered 503 SlowDown.
	ReadRate, WriteRate float64
	// Burst is the token bucket's size per prefix; default: one second of the rate.
	Burst float64
	// PrefixDepth is how many "/"-separated segments of a key form its rate
	// limit prefix; default 1 ("shows/" for "shows/s01/e01/f.dpx").
	PrefixDepth int
	// SeedTime is the LastModified of seeded objects; default: a day before New.
	SeedTime time.Time
}

// Sim is an in-memory S3 endpoint. Its methods are safe for concurrent use.
type Sim struct {
	opts    Options
	latency atomic.Int64
	limits  *limiter
	ceil    ceiling

	mu      sync.RWMutex
	buckets map[string]*bucket

	upMu    sync.Mutex
	uploads map[string]*upload
	upSeq   atomic.Uint64

	counts    map[string]*atomic.Int64 // fixed keys: read without a lock
	slowDowns atomic.Int64
	errMu     sync.Mutex
	errs      map[string]int64
	reqSeq    atomic.Uint64
	inFlight  atomic.Int64
	epoch     time.Time    // monotonic base of firstCopy and lastCopy
	firstCopy atomic.Int64 // ns after epoch of the first copy request's arrival since ResetCounts (0: none)
	lastCopy  atomic.Int64 // ns after epoch of the latest copy answer

	srv *http.Server
	url string
}

// ops are the operation names Counts reports.
var ops = []string{"ListBuckets", "HeadBucket", "GetBucketLocation", "GetBucketVersioning", "CreateBucket",
	"DeleteBucket", "ListObjectsV2", "ListObjects", "ListMultipartUploads", "DeleteObjects", "HeadObject",
	"GetObject", "PutObject", "DeleteObject", "CopyObject", "GetObjectTagging", "PutObjectTagging",
	"DeleteObjectTagging", "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload",
	"AbortMultipartUpload", "ListParts", "NotImplemented"}

// New makes a Sim that is not listening yet: use it as an http.Handler, or call Start.
func New(o Options) *Sim {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.PrefixDepth <= 0 {
		o.PrefixDepth = 1
	}
	if o.SeedTime.IsZero() {
		o.SeedTime = time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	}
	s := &Sim{opts: o, buckets: map[string]*bucket{}, uploads: map[string]*upload{},
		counts: map[string]*atomic.Int64{}, errs: map[string]int64{}, limits: newLimiter(o.PrefixDepth), epoch: time.Now()}
	for _, op := range ops {
		s.counts[op] = new(atomic.Int64)
	}
	s.SetLatency(o.Latency)
	s.SetRateLimits(o.ReadRate, o.WriteRate, o.Burst)
	return s
}

// Start makes a Sim and serves it on a free 127.0.0.1 port.
func Start(o Options) (*Sim, error) {
	s := New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("s3sim: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: time.Minute, IdleTimeout: 5 * time.Minute}
	go s.srv.Serve(ln) //nolint:errcheck // ErrServerClosed after Close
	return s, nil
}

// URL is the endpoint ("http://127.0.0.1:PORT") of a started Sim.
func (s *Sim) URL() string { return s.url }

// Close stops a started Sim, dropping open connections.
func (s *Sim) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// SetLatency changes the delay slept before every answer.
func (s *Sim) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// PrefixOf is key's rate-limit prefix: its first PrefixDepth segments.
func (s *Sim) PrefixOf(key string) string { return prefixOf(key, s.opts.PrefixDepth) }

// SetRateLimits changes the per-prefix limits (requests/s; 0 = unlimited)
// and the burst (0 = one second of the rate). Token buckets start full.
func (s *Sim) SetRateLimits(read, write, burst float64) { s.limits.set(read, write, burst) }

// Counts is the number of requests received by operation (nonzero ones),
// SlowDown answers included.
func (s *Sim) Counts() map[string]int64 {
	m := map[string]int64{}
	for op, c := range s.counts {
		if n := c.Load(); n > 0 {
			m[op] = n
		}
	}
	return m
}

// SlowDowns is the number of requests answered 503 SlowDown.
func (s *Sim) SlowDowns() int64 { return s.slowDowns.Load() }

// Errors is the number of error answers by S3 error code (SlowDown included).
func (s *Sim) Errors() map[string]int64 {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	m := make(map[string]int64, len(s.errs))
	for k, v := range s.errs {
		m[k] = v
	}
	return m
}

// ResetCounts zeroes Counts, SlowDowns and Errors.
func (s *Sim) ResetCounts() {
	for _, c := range s.counts {
		c.Store(0)
	}
	s.slowDowns.Store(0)
	s.firstCopy.Store(0)
	s.lastCopy.Store(0)
	s.errMu.Lock()
	clear(s.errs)
	s.errMu.Unlock()
}

// request is one parsed request.
type request struct {
	w           http.ResponseWriter
	r           *http.Request
	q           url.Values
	op          string
	bucket, key string
}

// CopyWindow is when the first copy request (CopyObject or UploadPartCopy)
// since ResetCounts arrived and the last one was answered (whatever the
// answer: SlowDowns and errors count), on the monotonic clock; ok is false
// when there was none.
func (s *Sim) CopyWindow() (first, last time.Time, ok bool) {
	f, l := s.firstCopy.Load(), s.lastCopy.Load()
	if f == 0 {
		return time.Time{}, time.Time{}, false
	}
	return s.epoch.Add(time.Duration(f)), s.epoch.Add(time.Duration(l)), true
}

// sinceEpoch is the time since s.epoch in ns, at least 1.
func (s *Sim) sinceEpoch() int64 { return max(int64(time.Since(s.epoch)), 1) }

// InFlight is the number of requests being answered now (sleeping included).
func (s *Sim) InFlight() int64 { return s.inFlight.Load() }

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	bkt, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	rq := &request{w: w, r: r, q: q, bucket: bkt, key: key}
	rq.op = s.classify(r, q)
	s.counts[rq.op].Add(1)
	if rq.op == "CopyObject" || rq.op == "UploadPartCopy" {
		s.firstCopy.CompareAndSwap(0, s.sinceEpoch())
		defer func() {
			now := s.sinceEpoch()
			for l := s.lastCopy.Load(); l < now && !s.lastCopy.CompareAndSwap(l, now); l = s.lastCopy.Load() {
			}
		}()
	}
	w.Header().Set("x-amz-request-id", fmt.Sprintf("%016X", s.reqSeq.Add(1)))
	w.Header().Set("Server", "s3sim")

	limited := false
	if bkt != "" && (key != "" || rq.op == "ListObjectsV2" || rq.op == "ListObjects") {
		k := key
		if key == "" {
			k = q.Get("prefix")
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		limited = !s.limits.allow(bkt, k, write)
	}
	if bkt != "" && !limited {
		limited = !s.ceil.allow()
	}
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if limited {
		s.slowDowns.Add(1)
		s.fail(rq, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		return
	}
	s.dispatch(rq)
}

// objectSubresources that select an operation the simulator does not implement.
var unsupported = []string{"acl", "attributes", "retention", "legal-hold", "restore", "select", "torrent",
	"policy", "policyStatus", "cors", "lifecycle", "replication", "encryption", "publicAccessBlock",
	"ownershipControls", "object-lock", "notification", "website", "logging", "requestPayment",
	"accelerate", "analytics", "metrics", "inventory", "intelligent-tiering", "versions"}

// classify names the operation as the test harness's proxy does
// (s3test.Operation), or NotImplemented for one the simulator lacks.
func (s *Sim) classify(r *http.Request, q url.Values) string {
	for _, sub := range unsupported {
		if q.Has(sub) {
			return "NotImplemented"
		}
	}
	if op := s3test.Operation(r); s.counts[op] != nil {
		return op
	}
	return "NotImplemented"
}

func (s *Sim) dispatch(rq *request) {
	switch rq.op {
	case "ListBuckets":
		s.listBuckets(rq)
	case "HeadBucket", "GetBucketLocation", "GetBucketVersioning":
		s.bucketInfo(rq)
	case "CreateBucket":
		s.createBucket(rq)
	case "DeleteBucket":
		s.deleteBucket(rq)
	case "ListObjectsV2", "ListObjects":
		s.listObjects(rq)
	case "DeleteObjects":
		s.deleteObjects(rq)
	case "HeadObject", "GetObject":
		s.getObject(rq)
	case "PutObject":
		s.putObject(rq)
	case "DeleteObject":
		s.deleteObject(rq)
	case "CopyObject":
		s.copyObject(rq)
	case "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging":
		s.tagging(rq)
	case "CreateMultipartUpload":
		s.createUpload(rq)
	case "UploadPart", "UploadPartCopy":
		s.uploadPart(rq)
	case "CompleteMultipartUpload":
		s.completeUpload(rq)
	case "AbortMultipartUpload":
		s.abortUpload(rq)
	case "ListParts":
		s.listParts(rq)
	case "ListMultipartUploads":
		s.listUploads(rq)
	default:
		s.fail(rq, http.StatusNotImplemented, "NotImplemented", "s3sim does not implement this operation.")
	}
}

// bucketOf returns the request's bucket or answers NoSuchBucket.
func (s *Sim) bucketOf(rq *request, name string) *bucket {
	s.mu.RLock()
	b := s.buckets[name]
	s.mu.RUnlock()
	if b == nil {
		s.fail(rq, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	}
	return b
}
