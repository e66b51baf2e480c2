package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// EnvBinary names the environment variable that overrides the versitygw binary.
const EnvBinary = "BACKFILL_VERSITYGW"

// InstallCommand is the command that installs the pinned versitygw where Binary looks first.
const InstallCommand = "GOBIN=<module root>/.tools/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// DefaultRegion is the region every Server answers for.
const DefaultRegion = "us-east-1"

const startTimeout = 20 * time.Second

// Server is a running versitygw (posix backend) on a loopback port.
type Server struct {
	Endpoint  string // e.g. "http://127.0.0.1:40123"
	AccessKey string
	SecretKey string
	Region    string // "us-east-1"
	RootDir   string // posix backend root: each bucket is a folder here

	dir        string // working folder: RootDir, versions/, aws/ live here
	ownDir     bool   // dir was created by Start and is removed by Stop
	cmd        *exec.Cmd
	exited     chan struct{}
	out        *tailBuffer
	stopOnce   sync.Once
	stopErr    error
	clientOnce sync.Once
	client     *s3.Client
}

// Options configure Start. The zero value is fine.
type Options struct {
	Binary string // versitygw to run; default: Binary()
	Dir    string // working folder (kept on Stop); default: a new os.MkdirTemp folder (removed on Stop)
	// TempParent is where that default folder is made (the benchmarks put
	// the server on tmpfs with it); default: os.TempDir(). Unused with Dir.
	TempParent string
	Stderr     io.Writer // receives versitygw's stdout and stderr; default: discarded (the tail is kept for error messages)
}

// Binary finds the versitygw binary: $BACKFILL_VERSITYGW if set, else
// <module root>/.tools/bin/versitygw, else the pinned build in ToolsCache,
// else versitygw on PATH.
func Binary() (string, error) { return versitygwTool.find() }

// moduleRoot walks up from the working directory to the folder holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Start runs versitygw with its posix backend on a free loopback port, with a
// fresh root and versioning folder and random credentials, and returns once it
// answers a signed request. ctx bounds the start only, not the server's life.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = Binary(); err != nil {
			return nil, err
		}
	}
	s := &Server{
		AccessKey: "S3T" + randString(17, upperAlnum),
		SecretKey: randString(40, upperAlnum+"abcdefghijklmnopqrstuvwxyz/+"),
		Region:    DefaultRegion,
		dir:       opts.Dir,
	}
	if s.dir == "" {
		d, err := os.MkdirTemp(opts.TempParent, "s3test-")
		if err != nil {
			return nil, fmt.Errorf("s3test: %w", err)
		}
		s.dir, s.ownDir = d, true
	}
	s.RootDir = filepath.Join(s.dir, "buckets")
	for _, d := range []string{s.RootDir, s.versionsDir(), filepath.Join(s.dir, "aws")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("s3test: %w", err)
		}
	}
	for _, f := range []string{s.awsConfigFile(), s.awsCredentialsFile()} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("s3test: %w", err)
		}
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var retry bool
		retry, err = s.launch(ctx, bin, opts.Stderr)
		if err == nil {
			return s, nil
		}
		if !retry {
			break
		}
	}
	s.cleanup()
	return nil, err
}

// launch starts one versitygw on a fresh port. retry reports a lost port race.
func (s *Server) launch(ctx context.Context, bin string, stderr io.Writer) (retry bool, err error) {
	port, err := freePort()
	if err != nil {
		return false, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.Endpoint = "http://" + addr
	c, err := startChild(bin, s.Args(addr), serverEnv(), s.dir, stderr)
	if err != nil {
		return false, err
	}
	s.cmd, s.exited, s.out = c.cmd, c.exited, c.out

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	probe := s.ClientWith("", func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		_, perr := probe.ListBuckets(pctx, &s3.ListBucketsInput{})
		pcancel()
		if perr == nil {
			return false, nil
		}
		select {
		case <-s.exited:
			out := s.out.String()
			return strings.Contains(out, "address already in use"),
				fmt.Errorf("s3test: versitygw exited during start (%s): %s", c.cmd.ProcessState, out)
		case <-ctx.Done():
			s.kill()
			return false, fmt.Errorf("s3test: versitygw at %s did not answer within %s: last error: %v; output: %s",
				s.Endpoint, startTimeout, perr, s.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Args is the versitygw command line (without the binary) for listen address addr.
func (s *Server) Args(addr string) []string {
	return []string{
		"--port", addr,
		"--access", s.AccessKey,
		"--secret", s.SecretKey,
		"--region", s.Region,
		"--keep-alive",
		"--quiet",
		"posix",
		"--versioning-dir", s.versionsDir(),
		s.RootDir,
	}
}

func (s *Server) versionsDir() string        { return filepath.Join(s.dir, "versions") }
func (s *Server) awsConfigFile() string      { return filepath.Join(s.dir, "aws", "config") }
func (s *Server) awsCredentialsFile() string { return filepath.Join(s.dir, "aws", "credentials") }

// PID is the versitygw process's id (0 before it started).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Output returns the last 16 KiB versitygw wrote to stdout and stderr.
func (s *Server) Output() string { return s.out.String() }

// Stop kills versitygw (and its process group), waits for it, and removes the
// working folder if Start created it. Safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.kill()
		s.cleanup()
	})
	return s.stopErr
}

func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	(&child{cmd: s.cmd, exited: s.exited}).stop()
}

func (s *Server) cleanup() {
	if s.ownDir {
		if err := os.RemoveAll(s.dir); err != nil && s.stopErr == nil {
			s.stopErr = fmt.Errorf("s3test: remove %s: %w", s.dir, err)
		}
	}
}

// Client returns an SDK client for endpoint ("" = s.Endpoint) with the
// server's static credentials, path-style addressing and the SDK's default
// configuration otherwise (so AWS_CA_BUNDLE etc. apply). It panics if the
// default configuration cannot be loaded; use NewClient to get the error.
func (s *Server) Client(endpoint string) *s3.Client {
	if endpoint == "" || endpoint == s.Endpoint {
		s.clientOnce.Do(func() { s.client = s.ClientWith("") })
		return s.client
	}
	return s.ClientWith(endpoint)
}

// ClientWith is Client with extra options, e.g. o.Retryer = aws.NopRetryer{}.
func (s *Server) ClientWith(endpoint string, optFns ...func(*s3.Options)) *s3.Client {
	c, err := s.NewClient(context.Background(), endpoint, optFns...)
	if err != nil {
		panic(err)
	}
	return c
}

// NewClient is ClientWith returning the configuration error instead of panicking.
func (s *Server) NewClient(ctx context.Context, endpoint string, optFns ...func(*s3.Options)) (*s3.Client, error) {
	if endpoint == "" {
		endpoint = s.Endpoint
	}
	return newS3Client(ctx, endpoint, s.AccessKey, s.SecretKey, s.Region, optFns...)
}

// newS3Client is an SDK client for endpoint with static credentials,
// path-style addressing and the SDK's default configuration otherwise.
func newS3Client(ctx context.Context, endpoint, accessKey, secretKey, region string, optFns ...func(*s3.Options)) (*s3.Client, error) {
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey, Source: "s3test"}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(
			func(context.Context) (aws.Credentials, error) { return creds, nil })),
	)
	if err != nil {
		return nil, fmt.Errorf("s3test: load AWS config: %w", err)
	}
	fns := append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	}}, optFns...)
	return s3.NewFromConfig(cfg, fns...), nil
}

// CreateBucket creates bucket name and, if versioned, enables versioning on it.
func (s *Server) CreateBucket(ctx context.Context, name string, versioned bool) error {
	return createBucket(ctx, s.Client(""), name, versioned)
}

func createBucket(ctx context.Context, c *s3.Client, name string, versioned bool) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("s3test: create bucket %s: %w", name, err)
	}
	if versioned {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			return fmt.Errorf("s3test: enable versioning on %s: %w", name, err)
		}
	}
	return nil
}

// Env returns os.Environ() without any AWS_* variable except AWS_CA_BUNDLE,
// plus this server's credentials, region and endpoint ("" = s.Endpoint), IMDS
// disabled, and empty shared config/credentials files, for a child process.
func (s *Server) Env(endpoint string) []string {
	if endpoint == "" {
		endpoint = s.Endpoint
	}
	return clientEnv(filepath.Join(s.dir, "aws"),
		"AWS_ACCESS_KEY_ID="+s.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+s.SecretKey,
		"AWS_REGION="+s.Region,
		"AWS_ENDPOINT_URL="+endpoint,
	)
}

// serverEnv is the environment for versitygw: without the VGW_*/ROOT_* and
// AWS_* variables it would read, so only its command line configures it.
func serverEnv() []string {
	return cleanEnv([]string{"VGW_", "ROOT_", "AWS_", "LOGFILE=", "WEBHOOK="})
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("s3test: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}

// StartWithProxy starts a server with opts and a Proxy in front of it, for
// programs (the benchmarks) rather than tests; stop stops both.
func StartWithProxy(ctx context.Context, opts Options) (srv *Server, proxy *Proxy, stop func(), err error) {
	if srv, err = Start(ctx, opts); err != nil {
		return nil, nil, nil, err
	}
	if proxy, err = NewProxy(srv.Endpoint); err != nil {
		srv.Stop()
		return nil, nil, nil, err
	}
	return srv, proxy, func() { proxy.Close(); srv.Stop() }, nil
}
