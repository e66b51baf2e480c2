package s3test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// cleanupMarkEnv names a file the cleanup of TestMain writes: set only for
// the child process of TestMainRunsCleanups.
const cleanupMarkEnv = "S3TEST_CLEANUP_MARK"

func TestMain(m *testing.M) {
	Main(m, func() {
		if p := os.Getenv(cleanupMarkEnv); p != "" {
			os.WriteFile(p, []byte("cleaned"), 0o600) //nolint:errcheck // the parent test checks it
		}
	})
}

// TestMainRunsCleanups runs this test binary again (one trivial test) and
// checks that Main ran its cleanup before exiting: a TestMain's defers
// never run after os.Exit, so without it temporary folders stay behind.
func TestMainRunsCleanups(t *testing.T) {
	if os.Getenv(cleanupMarkEnv) != "" {
		return // the child: nothing to do, TestMain's cleanup is the test
	}
	mark := filepath.Join(t.TempDir(), "mark")
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainRunsCleanups$", "-test.count=1")
	cmd.Env = append(os.Environ(), cleanupMarkEnv+"="+mark)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child test binary: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(mark); err != nil || string(b) != "cleaned" {
		t.Errorf("Main did not run the cleanup: %q, %v", b, err)
	}
}

func noRetry(o *s3.Options) { o.Retryer = aws.NopRetryer{} }

func put(t *testing.T, c *s3.Client, bucket, key, body string, fns ...func(*s3.PutObjectInput)) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	for _, f := range fns {
		f(in)
	}
	if _, err := c.PutObject(context.Background(), in); err != nil {
		t.Fatalf("PutObject %q: %v", key, err)
	}
}

func get(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject %q: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestServerBasics(t *testing.T) {
	s := Shared(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") || s.Region != "us-east-1" || s.AccessKey == "" {
		t.Fatalf("unexpected server %+v", s)
	}
	b := s.NewBucket(t, false)
	if st, err := os.Stat(filepath.Join(s.RootDir, b)); err != nil || !st.IsDir() {
		t.Fatalf("bucket folder: %v", err)
	}
	env := strings.Join(s.Env(""), "\n")
	for _, want := range []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_ENDPOINT_URL=" + s.Endpoint, "AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %s", want)
		}
	}
	if ca := os.Getenv("AWS_CA_BUNDLE"); ca != "" && !strings.Contains(env, "AWS_CA_BUNDLE="+ca) {
		t.Error("Env dropped AWS_CA_BUNDLE")
	}
	vb := s.NewBucket(t, true)
	out, err := s.Client("").GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: &vb})
	if err != nil || out.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning = %v, %v", out, err)
	}
}

func TestStartStop(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.dir
	if err := s.CreateBucket(context.Background(), "own-bucket", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temp dir left behind: %v", err)
	}
	if _, err := http.Get(s.Endpoint); err == nil {
		t.Error("server still answers after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestProxyCountsPutGet(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.Client(p.URL())
	put(t, c, b, "dir/hello.txt", "hello")
	if got := get(t, c, b, "dir/hello.txt"); got != "hello" {
		t.Fatalf("got %q", got)
	}
	if p.Count("PutObject") != 1 || p.Count("GetObject") != 1 || p.Total() != 2 {
		t.Fatalf("counts = %v", p.Counts())
	}
	reqs := p.Requests()
	if len(reqs) != 2 || reqs[0].Op != "PutObject" || reqs[0].Bucket != b || reqs[0].Key != "dir/hello.txt" {
		t.Fatalf("requests = %+v", reqs)
	}
	p.Reset()
	if p.Total() != 0 || len(p.Requests()) != 0 {
		t.Fatal("Reset did not clear")
	}
}

func TestProxyCopyClassification(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.Client(p.URL())
	ctx := context.Background()
	put(t, c, b, "src", strings.Repeat("x", 1000))
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("dst"), CopySource: aws.String(b + "/src")}); err != nil {
		t.Fatal(err)
	}
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: aws.String("mp"), UploadId: mpu.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src"), CopySourceRange: aws.String("bytes=0-99")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &b, Key: aws.String("mp"), UploadId: mpu.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.CopyPartResult.ETag}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, c, b, "mp"); got != strings.Repeat("x", 100) {
		t.Fatalf("mp = %d bytes", len(got))
	}
	want := map[string]int{"PutObject": 1, "CopyObject": 1, "CreateMultipartUpload": 1, "UploadPartCopy": 1,
		"ListParts": 1, "CompleteMultipartUpload": 1, "ListObjectsV2": 1, "GetObject": 1}
	if got := p.Counts(); !equalCounts(got, want) {
		t.Fatalf("counts = %v, want %v", got, want)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestProxyFaults(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.ClientWith(p.URL(), noRetry)
	ctx := context.Background()
	put(t, c, b, "k", "v")
	getErr := func(key string) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String(key)})
		if err == nil {
			out.Body.Close()
		}
		return err
	}

	p.SetErrorRate(1)
	if err := getErr("k"); apiCode(err) != "InternalError" {
		t.Fatalf("error rate 1: %v", err)
	}
	p.SetErrorRate(0)

	p.SetDropRate(1)
	err := getErr("k")
	if err == nil || apiCode(err) != "" {
		t.Fatalf("drop: want a transport error, got %v", err)
	}
	p.SetDropRate(0)

	p.SetSlowDownAbove(1) // burst 1: the second request in a row is refused
	var slow int
	for range 3 {
		if err := getErr("k"); apiCode(err) == "SlowDown" {
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() != 503 {
				t.Errorf("SlowDown status %d", re.HTTPStatusCode())
			}
			slow++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if slow < 1 {
		t.Fatal("no SlowDown at 1 rps")
	}
	p.SetSlowDownAbove(0)
	if err := getErr("k"); err != nil {
		t.Fatalf("after faults off: %v", err)
	}
}

func TestProxyHook(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.ClientWith(p.URL(), noRetry)
	put(t, c, b, "open", "1")
	put(t, c, b, "secret", "2")
	p.SetHook(func(r *Request) *Fault {
		if r.Key == "secret" {
			return &Fault{Status: http.StatusForbidden, Code: "AccessDenied", Message: "no"}
		}
		return nil
	})
	if got := get(t, c, b, "open"); got != "1" {
		t.Fatalf("open = %q", got)
	}
	_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &b, Key: aws.String("secret")})
	if apiCode(err) != "AccessDenied" {
		t.Fatalf("secret: %v", err)
	}
	if p.Count("GetObject") != 2 {
		t.Fatalf("counts = %v", p.Counts())
	}
	p.SetHook(nil)
	if got := get(t, c, b, "secret"); got != "2" {
		t.Fatalf("secret after hook removed = %q", got)
	}
}

func TestProxyLatency(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.Client(p.URL())
	put(t, c, b, "k", "v")
	const d = 150 * time.Millisecond
	p.SetLatency(d)
	start := time.Now()
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < d {
		t.Fatalf("HeadObject took %s, want >= %s", el, d)
	}
}

func TestBucketName(t *testing.T) {
	for _, hint := range []string{"TestX/sub_test#01", "", "---", "xn--foo", strings.Repeat("A", 200), "Sthree-x"} {
		n := BucketName(hint)
		if len(n) < 3 || len(n) > 63 || strings.Contains(n, "--") || strings.HasPrefix(n, "-") || strings.HasPrefix(n, "xn") {
			t.Errorf("BucketName(%q) = %q", hint, n)
		}
		for _, r := range n {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				t.Errorf("BucketName(%q) = %q", hint, n)
			}
		}
	}
}

func TestProxyStreamsLargeBodies(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.Client(p.URL())
	body := strings.Repeat("0123456789abcdef", 8<<20/16) // 8 MiB: the SDK sends Expect: 100-continue
	put(t, c, b, "big", body)
	if got := get(t, c, b, "big"); got != body {
		t.Fatalf("got %d bytes back", len(got))
	}
}

func TestProxyConcurrentSettings(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.ClientWith(p.URL(), noRetry)
	put(t, c, b, "k", "v")
	done := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 25 {
				_, err = c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")})
			}
			errs <- err
		}()
	}
	go func() {
		defer close(done)
		for i := range 50 {
			p.SetErrorRate(float64(i%2) / 4)
			p.SetLatency(time.Duration(i%3) * time.Millisecond)
			p.SetSlowDownAbove(float64(i % 2 * 1000))
			p.SetHook(func(*Request) *Fault { return nil })
			_ = p.Counts()
			_ = p.Requests()
		}
	}()
	for range 8 {
		<-errs
	}
	<-done
	if got := p.Count("HeadObject"); got < 200 {
		t.Fatalf("HeadObject count %d, want >= 200", got)
	}
}

func TestBinary(t *testing.T) {
	if b, err := Binary(); err != nil || filepath.Base(b) != "versitygw" {
		t.Fatalf("Binary() = %q, %v", b, err)
	}
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "missing"))
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), EnvBinary) {
		t.Fatalf("missing override: %v", err)
	}
	t.Setenv(EnvBinary, "")
	t.Setenv(EnvToolsCache, t.TempDir()) // an empty tools cache
	t.Chdir(t.TempDir())                 // no go.mod above, nothing on PATH
	t.Setenv("PATH", "")
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("absent binary: %v", err)
	}
}
