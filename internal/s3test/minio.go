package s3test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MinIO is a running MinIO server (one drive, in its own data folder) on a
// loopback port: the S3 server of the harness that really replicates.
type MinIO struct {
	Endpoint  string // e.g. "http://127.0.0.1:40123"
	AccessKey string // MINIO_ROOT_USER
	SecretKey string // MINIO_ROOT_PASSWORD
	Region    string // MINIO_REGION
	DataDir   string // the drive: kept across Kill and Restart

	dir    string // working folder: data/, certs/, aws/
	ownDir bool   // dir was created by StartMinIO and is removed by Stop
	addr   string // host:port, the same after Restart
	bin    string
	stderr io.Writer

	mu       sync.Mutex
	proc     *child // nil once killed
	stopped  bool
	stopOnce sync.Once
	stopErr  error

	clientOnce sync.Once
	client     *s3.Client
}

// MinIOOptions configure StartMinIO. The zero value is fine.
type MinIOOptions struct {
	Region     string    // MINIO_REGION; default DefaultRegion
	Dir        string    // working folder (kept on Stop); default: a new temp folder (removed on Stop)
	TempParent string    // where that default folder is made; default os.TempDir()
	Binary     string    // minio to run; default: found as MinIOBinary says
	Stderr     io.Writer // receives minio's output; default: discarded (the tail is kept for error messages)
}

// MinIOBinary finds the minio binary: $BACKFILL_MINIO if set, else
// <module root>/.tools/bin/minio, else the pinned build in ToolsCache, else
// minio on PATH. The error says how to install it (`make tools`).
func MinIOBinary() (string, error) { return minioTool.find() }

// StartMinIO runs `minio server` on a free loopback port with a fresh data
// folder, random root credentials and MINIO_REGION set, and returns once
// /minio/health/ready answers 200. ctx bounds the start only.
func StartMinIO(ctx context.Context, opts MinIOOptions) (*MinIO, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = MinIOBinary(); err != nil {
			return nil, err
		}
	}
	m := &MinIO{
		AccessKey: "MINIO" + randString(15, upperAlnum),
		// Letters and digits only: the secret goes into mc's --remote-bucket URL.
		SecretKey: randString(40, upperAlnum+"abcdefghijklmnopqrstuvwxyz"),
		Region:    opts.Region,
		dir:       opts.Dir,
		bin:       bin,
		stderr:    opts.Stderr,
	}
	if m.Region == "" {
		m.Region = DefaultRegion
	}
	if m.dir == "" {
		d, err := os.MkdirTemp(opts.TempParent, "s3test-minio-")
		if err != nil {
			return nil, fmt.Errorf("s3test: %w", err)
		}
		m.dir, m.ownDir = d, true
	}
	m.DataDir = filepath.Join(m.dir, "data")
	err := os.MkdirAll(m.DataDir, 0o755)
	if err == nil {
		_, err = makeAWSDir(m.dir)
	}
	if err != nil {
		m.cleanup()
		return nil, fmt.Errorf("s3test: %w", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, perr := freePort()
		if perr != nil {
			m.cleanup()
			return nil, perr
		}
		m.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		m.Endpoint = "http://" + m.addr
		var portTaken bool
		if portTaken, err = m.launch(ctx); err == nil {
			return m, nil
		} else if !portTaken {
			break
		}
	}
	m.cleanup()
	return nil, err
}

// launch starts minio on m.addr and waits for readiness. portTaken reports
// that another process had the port.
func (m *MinIO) launch(ctx context.Context) (portTaken bool, err error) {
	c, err := startChild(m.bin, m.args(), m.serverEnv(), m.dir, m.stderr)
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	m.proc = c
	m.mu.Unlock()
	if err := m.waitReady(ctx, c); err != nil {
		out := c.out.String()
		if c.running() {
			c.kill()
		}
		m.mu.Lock()
		m.proc = nil
		m.mu.Unlock()
		return strings.Contains(out, "address already in use"), fmt.Errorf("%w; output: %s", err, out)
	}
	return false, nil
}

func (m *MinIO) args() []string {
	return []string{"server",
		"--address", m.addr,
		"--certs-dir", filepath.Join(m.dir, "certs"), // not ~/.minio/certs
		"--quiet",
		m.DataDir,
	}
}

// serverEnv is minio's environment: none of the MINIO_*, MC_* or AWS_*
// variables the caller has, only the ones set here, and HOME in the working
// folder (minio makes ~/.minio even with --certs-dir).
func (m *MinIO) serverEnv() []string {
	return cleanEnv([]string{"MINIO_", "MC_", "AWS_", "_MINIO", "HOME="},
		"HOME="+m.dir,
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_REGION="+m.Region,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
}

// waitReady polls /minio/health/ready until it answers 200.
func (m *MinIO) waitReady(ctx context.Context, c *child) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	url := m.Endpoint + "/minio/health/ready"
	var last error
	for {
		last = probe(ctx, url)
		if last == nil {
			// Ready by its health check, MinIO may still answer 503
			// XMinioServerNotInitialized for a while on a loaded machine:
			// ready means a signed request is served.
			if _, last = m.Client().ListBuckets(ctx, &s3.ListBucketsInput{}); last == nil {
				return nil
			}
		}
		select {
		case <-c.exited:
			return fmt.Errorf("s3test: minio exited during start (%s)", c.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("s3test: minio at %s not ready within %s: last error: %v", m.Endpoint, startTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// probe GETs url and wants 200.
func probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// Output returns the last 16 KiB minio wrote since it last started.
func (m *MinIO) Output() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return ""
	}
	return m.proc.out.String()
}

// Kill ends the server at once (SIGKILL, as in a crash) and keeps its data
// folder and port for Restart. Its clients get connection errors meanwhile.
func (m *MinIO) Kill() {
	m.mu.Lock()
	c := m.proc
	m.proc = nil
	m.mu.Unlock()
	if c != nil && c.running() {
		c.kill()
	}
}

// Restart kills the server if it runs and starts it again on the same port
// with the same data folder and credentials (a stopped replication target
// comes back). It returns once the server is ready again.
func (m *MinIO) Restart(ctx context.Context) error {
	m.mu.Lock()
	stopped := m.stopped
	m.mu.Unlock()
	if stopped {
		return fmt.Errorf("s3test: minio at %s was stopped; Restart needs Kill", m.Endpoint)
	}
	m.Kill()
	if _, err := m.launch(ctx); err != nil {
		return fmt.Errorf("s3test: restart minio: %w", err)
	}
	return nil
}

// Stop ends the server (SIGTERM, then SIGKILL after 3 s) and removes the
// working folder if StartMinIO created it. Safe to call more than once.
func (m *MinIO) Stop() error {
	m.stopOnce.Do(func() {
		m.mu.Lock()
		c := m.proc
		m.proc, m.stopped = nil, true
		m.mu.Unlock()
		if c != nil && c.running() {
			c.stop()
		}
		m.cleanup()
	})
	return m.stopErr
}

func (m *MinIO) cleanup() {
	if m.ownDir {
		if err := os.RemoveAll(m.dir); err != nil && m.stopErr == nil {
			m.stopErr = fmt.Errorf("s3test: remove %s: %w", m.dir, err)
		}
	}
}

// Client returns an SDK S3 client for this server (root credentials, its
// region, path-style addressing). It panics if the SDK's default
// configuration cannot be loaded; use NewClient to get the error.
func (m *MinIO) Client() *s3.Client {
	m.clientOnce.Do(func() { m.client = m.ClientWith() })
	return m.client
}

// ClientWith is Client with extra options, e.g. o.Retryer = aws.NopRetryer{}.
func (m *MinIO) ClientWith(optFns ...func(*s3.Options)) *s3.Client {
	c, err := m.NewClient(context.Background(), optFns...)
	if err != nil {
		panic(err)
	}
	return c
}

// NewClient is Client with extra options, returning the configuration error.
func (m *MinIO) NewClient(ctx context.Context, optFns ...func(*s3.Options)) (*s3.Client, error) {
	return newS3Client(ctx, m.Endpoint, m.AccessKey, m.SecretKey, m.Region, optFns...)
}

// CreateBucket creates bucket name and, if versioned, enables versioning on
// it (replication needs versioning on both sides).
func (m *MinIO) CreateBucket(ctx context.Context, name string, versioned bool) error {
	return createBucket(ctx, m.Client(), name, versioned)
}

// Env returns, for a child process, os.Environ() without any AWS_* variable
// except AWS_CA_BUNDLE, plus this server's credentials, region and endpoint,
// IMDS disabled, and empty shared config/credentials files.
func (m *MinIO) Env() []string {
	return clientEnv(filepath.Join(m.dir, "aws"),
		"AWS_ACCESS_KEY_ID="+m.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+m.SecretKey,
		"AWS_REGION="+m.Region,
		"AWS_ENDPOINT_URL="+m.Endpoint,
	)
}
