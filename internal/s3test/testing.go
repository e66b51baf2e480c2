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

var shared struct {
	once sync.Once
	mu   sync.Mutex
	srv  *Server
	err  error
}

// Main runs the tests of a package that uses Shared, stops the shared
// server afterwards, runs cleanups (in order), and exits with the tests'
// status. Call it from TestMain: func TestMain(m *testing.M) { s3test.Main(m) }.
//
// Main never returns, so a TestMain's own defers would never run: what
// TestMain must undo (a temporary folder) goes in cleanups instead.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	shared.mu.Lock()
	srv := shared.srv
	shared.mu.Unlock()
	if srv != nil {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

// Shared returns the test binary's one server, starting it on first use.
// Each test binary (so each package under `go test ./...`) gets its own port
// and temp folder. A failed start fails every test that asks for it.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		srv, err := Start(ctx, Options{})
		shared.mu.Lock()
		shared.srv, shared.err = srv, err
		shared.mu.Unlock()
	})
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		t.Fatalf("s3test: shared server: %v", shared.err)
	}
	return shared.srv
}

// NewBucket creates a bucket with a fresh valid name derived from t.Name()
// (versioning enabled if versioned) and returns its name. Buckets are not
// deleted: they go with the server's temp folder.
func (s *Server) NewBucket(t testing.TB, versioned bool) string {
	t.Helper()
	name := BucketName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.CreateBucket(ctx, name, versioned); err != nil {
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
	p, err := NewProxy(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}
