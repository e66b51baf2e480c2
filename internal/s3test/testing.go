package s3test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedProc is a process that one test binary starts once, on first use,
// and Main stops.
type sharedProc[T interface{ Stop() error }] struct {
	once sync.Once
	mu   sync.Mutex
	v    T
	ok   bool
	err  error
}

func (p *sharedProc[T]) get(t testing.TB, what string, start func(context.Context) (T, error)) T {
	t.Helper()
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		v, err := start(ctx)
		p.mu.Lock()
		p.v, p.ok, p.err = v, err == nil, err
		p.mu.Unlock()
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		t.Fatalf("s3test: shared %s: %v", what, p.err)
	}
	return p.v
}

func (p *sharedProc[T]) stop() {
	p.mu.Lock()
	v, ok := p.v, p.ok
	p.mu.Unlock()
	if ok {
		if err := v.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
}

var (
	sharedServer sharedProc[*Server]
	sharedMinIO  sharedProc[*MinIO]
	sharedMoto   sharedProc[*Moto]
)

// Main runs the tests of a package that uses Shared, SharedMinIO or
// SharedMoto, stops those afterwards, runs cleanups (in order), and exits
// with the tests' status. Call it from TestMain:
// func TestMain(m *testing.M) { s3test.Main(m) }.
//
// Main never returns, so a TestMain's own defers would never run: what
// TestMain must undo (a temporary folder) goes in cleanups instead.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	sharedServer.stop()
	sharedMinIO.stop()
	sharedMoto.stop()
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

// Shared returns the test binary's one versitygw server, starting it on
// first use. Each test binary (so each package under `go test ./...`) gets
// its own port and temp folder. A failed start fails every test that asks
// for it.
func Shared(t testing.TB) *Server {
	t.Helper()
	return sharedServer.get(t, "server", func(ctx context.Context) (*Server, error) {
		return Start(ctx, Options{})
	})
}

// SharedMinIO returns the test binary's one MinIO server (region
// DefaultRegion), starting it on first use. Tests that kill, restart or
// need another region start their own with StartMinIO. A missing minio
// binary fails the test with how to install it; it never skips.
func SharedMinIO(t testing.TB) *MinIO {
	t.Helper()
	return sharedMinIO.get(t, "minio", func(ctx context.Context) (*MinIO, error) {
		return StartMinIO(ctx, MinIOOptions{})
	})
}

// SharedMoto returns the test binary's one moto_server, starting it on first
// use. Its state is shared by the tests: use fresh names. A missing
// moto_server fails the test with what to install; it never skips.
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	return sharedMoto.get(t, "moto", StartMoto)
}

// NewMinIO starts a MinIO server of its own for t (e.g. one to Kill and
// Restart, or in another region), stopped when t ends.
func NewMinIO(t testing.TB, opts MinIOOptions) *MinIO {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := StartMinIO(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// MCFor returns an MC whose configuration folder is t.TempDir().
func MCFor(t testing.TB) *MC {
	t.Helper()
	m, err := NewMC(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// NewBucket creates a bucket with a fresh valid name derived from t.Name()
// (versioning enabled if versioned) and returns its name.
func (m *MinIO) NewBucket(t testing.TB, versioned bool) string {
	t.Helper()
	return newBucket(t, m.CreateBucket, versioned)
}

// NewBucket creates a bucket with a fresh valid name derived from t.Name()
// (versioning enabled if versioned) and returns its name. Buckets are not
// deleted: they go with the server's temp folder.
func (s *Server) NewBucket(t testing.TB, versioned bool) string {
	t.Helper()
	return newBucket(t, s.CreateBucket, versioned)
}

func newBucket(t testing.TB, create func(ctx context.Context, name string, versioned bool) error, versioned bool) string {
	t.Helper()
	name := BucketName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := create(ctx, name, versioned); err != nil {
		t.Fatal(err)
	}
	return name
}

// BucketName makes a unique valid bucket name (3-63 chars of [a-z0-9-],
// starting and ending with a letter or digit) from any string.
func BucketName(hint string) string {
	var b strings.Builder
	dash := true // suppress leading and repeated dashes
	for _, r := range strings.ToLower(hint) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	prefix := strings.TrimRight(b.String(), "-")
	if prefix == "" || strings.HasPrefix(prefix, "xn") || strings.HasPrefix(prefix, "sthree") {
		prefix = "t-" + prefix
	}
	return strings.TrimRight(prefix, "-") + "-" + randString(8, "abcdefghijklmnopqrstuvwxyz0123456789")
}

// NewProxy starts a Proxy in front of s.Endpoint, closed when t ends.
func (s *Server) NewProxy(t testing.TB) *Proxy {
	t.Helper()
	return newProxy(t, s.Endpoint)
}

// NewProxy starts a Proxy in front of m.Endpoint, closed when t ends.
func (m *MinIO) NewProxy(t testing.TB) *Proxy {
	t.Helper()
	return newProxy(t, m.Endpoint)
}

func newProxy(t testing.TB, endpoint string) *Proxy {
	t.Helper()
	p, err := NewProxy(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
