package s3test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MaxLoggedRequests caps Proxy.Requests; counts go on past it.
const MaxLoggedRequests = 200_000

// Request is one request as it reached the proxy.
type Request struct {
	Op, Method, Bucket, Key string
	Query                   url.Values
	Header                  http.Header
	Time                    time.Time
}

// Fault is what a hook makes the proxy do instead of forwarding a request.
// Status (with Code and Message) answers with an S3 XML error; Drop closes the
// connection without an answer; Cut forwards the request and cuts the
// connection partway through the answer (see SetCutRate); Rewrite forwards
// the request and answers with the server's answer, its body passed
// through Rewrite; Delay waits first and, alone, then forwards.
type Fault struct {
	Status        int
	Code, Message string
	Drop          bool
	Cut           bool
	Rewrite       func(body []byte) []byte
	Delay         time.Duration
}

// Proxy is a fault-injecting reverse proxy in front of an S3 endpoint. It keeps
// the client's Host header so SigV4 signatures made for the proxy's address
// still verify, and streams bodies. All setters are safe while traffic flows.
type Proxy struct {
	url   string
	ln    net.Listener
	srv   *http.Server
	rp    *httputil.ReverseProxy
	tr    *http.Transport
	close sync.Once

	latency   atomic.Int64  // time.Duration
	errorRate atomic.Uint64 // float64 bits
	dropRate  atomic.Uint64 // float64 bits
	cutRate   atomic.Uint64 // float64 bits
	hook      atomic.Pointer[func(*Request) *Fault]

	mu       sync.Mutex
	counts   map[string]int
	cuts     map[string]int
	total    int
	log      []Request
	rate     float64 // SlowDown above this many requests/s; 0 = off
	burst    float64
	tokens   float64
	lastFill time.Time
}

// NewProxy starts a proxy on 127.0.0.1:0 forwarding to target (e.g. s.Endpoint).
func NewProxy(target string) (*Proxy, error) {
	tu, err := url.Parse(target)
	if err != nil || tu.Scheme == "" || tu.Host == "" {
		return nil, fmt.Errorf("s3test: proxy target %q is not an absolute URL", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("s3test: proxy listen: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableCompression = true
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 1024
	quiet := log.New(io.Discard, "", 0)
	p := &Proxy{
		url:    "http://" + ln.Addr().String(),
		ln:     ln,
		tr:     tr,
		counts: map[string]int{},
		cuts:   map[string]int{},
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(tu)
			pr.Out.Host = pr.In.Host // the signature covers the host the client used
		},
		Transport:  tr,
		BufferPool: bufferPool{},
		ErrorLog:   quiet,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			writeError(w, r, http.StatusBadGateway, "BadGateway", "s3test proxy: "+err.Error())
		},
	}
	p.srv = &http.Server{Handler: p, ErrorLog: quiet, ReadHeaderTimeout: time.Minute}
	srv := p.srv // the goroutine must not read the field: NewTLSProxy replaces it
	go func() { _ = srv.Serve(ln) }()
	return p, nil
}

// URL is the proxy's endpoint, e.g. "http://127.0.0.1:40124".
func (p *Proxy) URL() string { return p.url }

// Close stops the proxy and closes its connections. Safe to call more than once.
func (p *Proxy) Close() error {
	var err error
	p.close.Do(func() {
		err = p.srv.Close()
		p.tr.CloseIdleConnections()
	})
	return err
}

// SetLatency adds d before forwarding each request.
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// SetSlowDownAbove answers 503 SlowDown to requests above rps requests per
// second (token bucket, burst rps/10 but at least 1). 0 turns it off.
func (p *Proxy) SetSlowDownAbove(rps float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = max(rps, 0)
	p.burst = max(p.rate/10, 1)
	p.tokens = p.burst
	p.lastFill = time.Now()
}

// SetErrorRate answers 500 InternalError to fraction f of the requests.
func (p *Proxy) SetErrorRate(f float64) { p.errorRate.Store(math.Float64bits(f)) }

// SetDropRate closes the connection without an answer for fraction f of the
// requests. Go's HTTP client may transparently resend a dropped idempotent
// request on a reused connection, so counts can exceed the client's attempts.
func (p *Proxy) SetDropRate(f float64) { p.dropRate.Store(math.Float64bits(f)) }

// SetHook calls h for every request before the other faults; a non-nil Fault
// is applied instead of them. nil removes the hook.
func (p *Proxy) SetHook(h func(r *Request) *Fault) {
	if h == nil {
		p.hook.Store(nil)
		return
	}
	p.hook.Store(&h)
}

// Counts returns operation name -> requests that reached the proxy (faulted ones included).
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		m[k] = v
	}
	return m
}

// Count returns how many op requests reached the proxy.
func (p *Proxy) Count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[op]
}

// Total returns how many requests reached the proxy.
func (p *Proxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Requests returns the first MaxLoggedRequests requests in arrival order.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Reset zeroes the counts, the cuts and the request log.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
	p.cuts = map[string]int{}
	p.total = 0
	p.log = nil
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key := SplitPath(r.URL.Path)
	req := Request{
		Op: Operation(r), Method: r.Method, Bucket: bucket, Key: key,
		Query: r.URL.Query(), Header: r.Header.Clone(), Time: time.Now(),
	}
	slowDown := p.record(req)

	if hp := p.hook.Load(); hp != nil {
		if f := (*hp)(&req); f != nil {
			if f.Delay > 0 && !sleep(r.Context(), f.Delay) {
				return
			}
			switch {
			case f.Drop:
				drop(w)
				return
			case f.Cut:
				p.cut(w, r, req.Op)
				return
			case f.Status != 0:
				writeError(w, r, f.Status, f.Code, f.Message)
				return
			case f.Rewrite != nil:
				p.rewrite(w, r, f.Rewrite)
				return
			}
			p.forward(w, r)
			return
		}
	}
	// An error answer costs the round trip too, as S3's does.
	rtt := func() bool {
		d := time.Duration(p.latency.Load())
		return d <= 0 || sleep(r.Context(), d)
	}
	switch {
	case chance(&p.dropRate):
		drop(w)
	case chance(&p.errorRate):
		if rtt() {
			writeError(w, r, http.StatusInternalServerError, "InternalError",
				"We encountered an internal error. Please try again.")
		}
	case slowDown:
		if rtt() {
			writeError(w, r, http.StatusServiceUnavailable, "SlowDown",
				"Please reduce your request rate.")
		}
	case chance(&p.cutRate):
		p.cut(w, r, req.Op)
	default:
		p.forward(w, r)
	}
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	if d := time.Duration(p.latency.Load()); d > 0 && !sleep(r.Context(), d) {
		return
	}
	p.rp.ServeHTTP(w, r)
}

// rewrite forwards r and answers with the server's answer, its body
// passed through fn (a compressed body is passed on as it is).
func (p *Proxy) rewrite(w http.ResponseWriter, r *http.Request, fn func([]byte) []byte) {
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") == "" {
		body = fn(body)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	w.Write(body) //nolint:errcheck // the client sees a short answer
}

// record counts and logs req and reports whether the rate limit refuses it.
func (p *Proxy) record(req Request) (slowDown bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[req.Op]++
	p.total++
	if len(p.log) < MaxLoggedRequests {
		p.log = append(p.log, req)
	}
	if p.rate <= 0 {
		return false
	}
	now := req.Time
	p.tokens = min(p.burst, p.tokens+now.Sub(p.lastFill).Seconds()*p.rate)
	p.lastFill = now
	if p.tokens >= 1 {
		p.tokens--
		return false
	}
	return true
}

// bufferPool reuses the buffers ReverseProxy copies response bodies through.
// Without one it allocates 32 KiB for every response, HEAD's included (it
// copies http.NoBody through a fresh buffer too): CPU that the proxy, the
// benchmarks' stand-in for the network, spent on the machine the tools run on.
type bufferPool struct{}

var proxyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *proxyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { proxyBuffers.Put(&b) }

func chance(bits *atomic.Uint64) bool {
	f := math.Float64frombits(bits.Load())
	return f > 0 && rand.Float64() < f
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// drop closes the client connection without writing a response.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection (HTTP/1) or resets the stream
	}
	_ = conn.Close()
}

// writeError answers with an S3 XML error (headers only for HEAD).
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	id := fmt.Sprintf("S3TEST%010X", rand.Uint64()>>24)
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		"<Error><Code>" + html.EscapeString(code) + "</Code><Message>" + html.EscapeString(msg) +
		"</Message><RequestId>" + id + "</RequestId></Error>"
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", id)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
