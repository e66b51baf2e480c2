package bops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultAccountID is the account the emulator answers for unless
// Options.AccountID says otherwise.
const DefaultAccountID = "123456789012"

// DefaultStep is the default pause between two job phases.
const DefaultStep = 50 * time.Millisecond

// DefaultConcurrency is the default number of tasks a job runs at once.
const DefaultConcurrency = 8

// maxBodySize bounds the control-plane request bodies the emulator reads.
const maxBodySize = 1 << 20

// S3Endpoint is the S3 server (versitygw) jobs run against and the
// credentials it accepts.
type S3Endpoint struct {
	URL       string // e.g. "http://127.0.0.1:40123"
	AccessKey string
	SecretKey string
}

// Options configure New and Start. S3 is required; zero values elsewhere
// mean the documented default.
type Options struct {
	S3 S3Endpoint
	// AccountID is the only account the emulator serves (x-amz-account-id);
	// default DefaultAccountID.
	AccountID string
	// Region the emulator answers for (SigV4 scope, job ARNs); default us-east-1.
	Region string
	// AccessKey and SecretKey are the one key pair whose SigV4 signatures
	// are accepted; default S3.AccessKey and S3.SecretKey, so a client
	// configured for the S3 server reaches the emulator unchanged.
	AccessKey, SecretKey string
	// Step is the pause between job phases (New -> Preparing -> Ready ->
	// Active ...); default DefaultStep. Tests set a few milliseconds.
	Step time.Duration
	// Concurrency bounds the tasks a job runs at once; default DefaultConcurrency.
	Concurrency int
	// Logf, if set, receives one line per job transition (no credentials).
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() (Options, error) {
	if o.S3.URL == "" || o.S3.AccessKey == "" || o.S3.SecretKey == "" {
		return o, errors.New("bops: Options.S3 needs URL, AccessKey and SecretKey")
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if !accountIDRe.MatchString(o.AccountID) {
		return o, fmt.Errorf("bops: AccountID %q is not 12 digits", o.AccountID)
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccessKey == "" {
		o.AccessKey, o.SecretKey = o.S3.AccessKey, o.S3.SecretKey
	}
	if o.Step <= 0 {
		o.Step = DefaultStep
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o, nil
}

// Server is the emulator: an http.Handler serving the S3 Control job API
// and, for every other path, an S3 proxy in front of Options.S3 that answers
// the bucket replication configuration itself. Start also listens on
// loopback. All methods are safe for concurrent use.
type Server struct {
	opts  Options
	s3    *s3.Client
	proxy *httputil.ReverseProxy
	repl  *replicationStore

	ctx    context.Context // ends on Close; jobs stop with it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	jobs   map[string]*job
	order  []*job // creation order
	tokens map[string]*job

	url       string
	httpSrv   *http.Server
	closeOnce sync.Once
}

var _ http.Handler = (*Server)(nil)

// New builds an emulator without listening: mount it with ServeHTTP.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(opts.S3.URL)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("bops: S3 URL %q is not an absolute URL", opts.S3.URL)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:   opts,
		s3:     newS3Client(opts),
		repl:   newReplicationStore(),
		ctx:    ctx,
		cancel: cancel,
		jobs:   map[string]*job{},
		tokens: map[string]*job{},
	}
	s.proxy = s.newProxy(target)
	return s, nil
}

// Start builds an emulator and serves it on a free 127.0.0.1 port until
// Close. ctx bounds the start only.
func Start(ctx context.Context, opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("bops: listen: %w", err)
	}
	s.url = "http://" + ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: time.Minute, ErrorLog: log.New(io.Discard, "", 0)}
	srv := s.httpSrv
	go func() { _ = srv.Serve(ln) }()
	return s, nil
}

// URL is the emulator's endpoint, e.g. "http://127.0.0.1:40125" ("" before Start).
func (s *Server) URL() string { return s.url }

// AccountID is the account the emulator serves.
func (s *Server) AccountID() string { return s.opts.AccountID }

// Region is the region the emulator answers for.
func (s *Server) Region() string { return s.opts.Region }

// Close stops the listener and every job (jobs stay in their last status)
// and waits for them. Safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.httpSrv != nil {
			err = s.httpSrv.Close()
		}
		s.mu.Lock()
		s.closed = true // no job starts after this
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
	})
	return err
}

// ServeHTTP routes S3 Control job requests (/v20180820/...) to the job API
// and everything else to the S3 proxy.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/v20180820/"):
		s.serveControl(w, r)
	case isReplicationRequest(r):
		s.serveReplication(w, r)
	default:
		s.proxy.ServeHTTP(w, r)
	}
}

func newS3Client(o Options) *s3.Client {
	creds := aws.Credentials{AccessKeyID: o.S3.AccessKey, SecretAccessKey: o.S3.SecretKey, Source: "bops"}
	return s3.New(s3.Options{
		Region:       o.Region,
		BaseEndpoint: aws.String(o.S3.URL),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		RetryMaxAttempts: 3,
	})
}

// readBody reads a request body up to maxBodySize.
func readBody(r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "IncompleteBody", Message: err.Error()}
	}
	if len(b) > maxBodySize {
		return nil, &apiError{Status: http.StatusBadRequest, Code: "MaxMessageLengthExceeded",
			Message: "Your request was too big."}
	}
	return b, nil
}
