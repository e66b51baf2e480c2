package inventory

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// cuttingS3 serves one object whose answers are cut after cutAfter bytes
// while cuts last, honouring Range ("bytes=N-") and If-Match.
type cuttingS3 struct {
	body, etag string
	cuts       int
	cutAfter   int
	calls      []*s3.GetObjectInput
}

func (f *cuttingS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.calls = append(f.calls, in)
	if in.IfMatch != nil && *in.IfMatch != f.etag {
		return nil, &smithy.GenericAPIError{Code: "PreconditionFailed"}
	}
	rest := f.body
	if r := aws.ToString(in.Range); r != "" {
		from, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r, "bytes="), "-"))
		rest = rest[from:]
	}
	var body io.Reader = strings.NewReader(rest)
	if f.cuts > 0 {
		f.cuts--
		body = io.MultiReader(strings.NewReader(rest[:min(f.cutAfter, len(rest))]), errReader{io.ErrUnexpectedEOF})
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(body), ETag: aws.String(f.etag)}, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// A download cut partway through is taken up where it stopped, of the
// same version: every byte once, in order.
func TestDownloadResumesAfterACut(t *testing.T) {
	f := &cuttingS3{body: strings.Repeat("0123456789", 100), etag: `"v1"`, cuts: 3, cutAfter: 150}
	got, err := getAll(t.Context(), f, "b", "k")
	if err != nil || string(got) != f.body {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	var ranges []string
	for _, c := range f.calls {
		ranges = append(ranges, aws.ToString(c.Range)+" "+aws.ToString(c.IfMatch))
	}
	want := []string{" ", `bytes=150- "v1"`, `bytes=300- "v1"`, `bytes=450- "v1"`}
	if strings.Join(ranges, "|") != strings.Join(want, "|") {
		t.Errorf("requests %q, want %q", ranges, want)
	}
	path, err := downloadTemp(t.Context(), &cuttingS3{body: f.body, etag: `"v1"`, cuts: 1, cutAfter: 7}, "b", "k", "fetch-test-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	if b, _ := os.ReadFile(path); string(b) != f.body {
		t.Errorf("temp file: %d bytes", len(b))
	}
}

// A download is not resumed from another version, nor without end, nor
// when the bytes could not be written.
func TestDownloadResumeLimits(t *testing.T) {
	changed := &cuttingS3{body: "abcdef", etag: `"v1"`, cuts: 1, cutAfter: 2}
	first := true
	wrapped := getFunc(func(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
		out, err := changed.GetObject(ctx, in)
		if first {
			first, changed.etag = false, `"v2"` // rewritten after the first answer
		}
		return out, err
	})
	var ae smithy.APIError
	if _, err := getAll(t.Context(), wrapped, "b", "k"); !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed" {
		t.Errorf("changed object: %v", err)
	}
	always := &cuttingS3{body: "abcdef", etag: `"v1"`, cuts: 100, cutAfter: 0}
	if _, err := getAll(t.Context(), always, "b", "k"); !errors.Is(err, io.ErrUnexpectedEOF) || len(always.calls) != maxResumes+1 {
		t.Errorf("always cut: %v after %d requests", err, len(always.calls))
	}
	full := &cuttingS3{body: "abcdef", etag: `"v1"`, cuts: 1, cutAfter: 2}
	if err := getBody(t.Context(), full, "b", "k", failingWriter{}); err == nil || len(full.calls) != 1 {
		t.Errorf("write error: %v after %d requests", err, len(full.calls))
	}
}

type getFunc func(ctx context.Context, in *s3.GetObjectInput) (*s3.GetObjectOutput, error)

func (f getFunc) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return f(ctx, in)
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }
