package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// binary is the backfill binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backfill-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "backfill")
	args := []string{"build", "-o", binary}
	if raceBuild {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build backfill:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// s3test.Main exits the process: a defer here would never run.
	s3test.Main(m, func() { os.RemoveAll(dir) })
}

// env is one test's S3 world: the shared server, a proxy in front of it and
// fresh buckets.
type env struct {
	t      *testing.T
	server *server        // the server the test runs on (servers_test.go)
	srv    *s3test.Server // versitygw's, for versitygw-only tests; nil on another server
	proxy  *s3test.Proxy
	client *s3.Client // direct to the server, not counted by the proxy
	src    string
	dst    string
	dir    string
}

// newEnv is an env on versitygw; onEachServer runs a test on every server.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOn(t, versitygw(t))
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the built binary against the proxy and waits for it.
func (e *env) run(args ...string) result {
	e.t.Helper()
	cmd := e.command(args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run backfill: %v", err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}

func (e *env) command(args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	e.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(e.server.env(e.proxy.URL()), "AWS_REGION=us-east-1")
	cmd.Dir = e.dir
	return cmd
}

// copyArgs are the usual flags of a copy from e.src to e.dst.
func (e *env) copyArgs(extra ...string) []string {
	return append([]string{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress"}, extra...)
}

type obj struct {
	key, body string
	meta      map[string]string
	tags      string
	ctype     string
}

func (e *env) put(bucket string, objs ...obj) {
	e.t.Helper()
	g, ctx := errgroup.WithContext(e.t.Context())
	g.SetLimit(16)
	for _, o := range objs {
		g.Go(func() error {
			in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: strings.NewReader(o.body), Metadata: o.meta}
			if o.tags != "" {
				in.Tagging = aws.String(o.tags)
			}
			if o.ctype != "" {
				in.ContentType = aws.String(o.ctype)
			}
			_, err := e.client.PutObject(ctx, in)
			if err != nil {
				return fmt.Errorf("put %q: %w", o.key, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		e.t.Fatal(err)
	}
}

// listing is key -> ETag of everything in a bucket under prefix.
func (e *env) listing(bucket, prefix string) map[string]string {
	e.t.Helper()
	m := map[string]string{}
	p := s3.NewListObjectsV2Paginator(e.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return m
}

func (e *env) body(bucket, key string) string {
	e.t.Helper()
	out, err := e.client.GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

type reportFile struct {
	Copied      int64            `json:"copied"`
	BytesCopied int64            `json:"bytes_copied"`
	Listed      int64            `json:"listed"`
	WouldCopy   int64            `json:"would_copy"`
	Skipped     map[string]int64 `json:"skipped"`
	Failed      map[string]int64 `json:"failed"`
	Started     time.Time        `json:"started"`
	Finished    time.Time        `json:"finished"`
	Interrupted bool             `json:"interrupted"`
	ExitCode    int              `json:"exit_code"`
}

func readReport(t *testing.T, path string) reportFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r reportFile
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report %s: %v\n%s", path, err, b)
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func mustCode(t *testing.T, r result, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// byBucket counts the requests of op to bucket the proxy saw since its
// last Reset.
func byBucket(p *s3test.Proxy, op, bucket string) int {
	n := 0
	for _, r := range p.Requests() {
		if r.Op == op && r.Bucket == bucket {
			n++
		}
	}
	return n
}
