package s3test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// maxRecordedBody caps the body a Recorder keeps of one request.
const maxRecordedBody = 1 << 20

// Recorded is one request a Recorder forwarded, with its body.
type Recorded struct {
	// Op is the AWS operation: the Action of a query-protocol request (IAM,
	// STS: "CreateRole", "GetCallerIdentity"), else the S3 operation as
	// Operation names it ("PutBucketReplication", "HeadBucket").
	Op     string
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	Status int // the server's answer
}

// Recorder is a reverse proxy that records every request with its body and
// the status it got, for tests that assert on what a client sent (moto
// accepts almost anything, so its state alone proves little). It serves
// S3, IAM and STS alike (moto serves all three on one port).
type Recorder struct {
	url string
	srv *http.Server

	mu  sync.Mutex
	log []Recorded
}

// NewRecorder starts a Recorder on a loopback port in front of target,
// closed when t ends.
func NewRecorder(t testing.TB, target string) *Recorder {
	t.Helper()
	tu, err := url.Parse(target)
	if err != nil || tu.Host == "" {
		t.Fatalf("s3test: recorder target %q is not an absolute URL", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("s3test: recorder listen: %v", err)
	}
	r := &Recorder{url: "http://" + ln.Addr().String()}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(tu)
		pr.Out.Host = pr.In.Host // SigV4 covers the host the client used
	}}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, maxRecordedBody))
		req.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rp.ServeHTTP(sw, req)
		r.mu.Lock()
		r.log = append(r.log, Recorded{Op: recordedOp(req, body), Method: req.Method, Path: req.URL.Path,
			Query: req.URL.Query(), Header: req.Header.Clone(), Body: body, Status: sw.status})
		r.mu.Unlock()
	})}
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

// URL is the recorder's endpoint.
func (r *Recorder) URL() string { return r.url }

// Requests returns the requests recorded so far, oldest first.
func (r *Recorder) Requests() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.log...)
}

// Ops returns the operations recorded so far, oldest first.
func (r *Recorder) Ops() []string {
	var ops []string
	for _, q := range r.Requests() {
		ops = append(ops, q.Op)
	}
	return ops
}

// Reset forgets the requests recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

func recordedOp(req *http.Request, body []byte) string {
	if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			return form.Get("Action")
		}
	}
	return Operation(req)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
