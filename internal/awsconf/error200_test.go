package awsconf

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyxml "github.com/aws/smithy-go/encoding/xml"
	"github.com/aws/smithy-go/middleware"
)

const (
	xmlDecl   = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	copyOK    = xmlDecl + `<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-11-25T00:00:00.000Z</LastModified><ETag>"abc"</ETag></CopyObjectResult>`
	copyError = xmlDecl + "          \n   \n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>R1</RequestId></Error>"
)

// sdkRootIsError is the SDK's own decision (customizations'
// processResponseFor200ErrorMiddleware), for comparison.
func sdkRootIsError(b []byte) (bool, error) {
	t, err := smithyxml.FetchRootElement(xml.NewDecoder(strings.NewReader(string(b))))
	if err == io.EOF {
		return false, nil // no root element: the SDK's check lets the answer through
	}
	if err != nil {
		return false, err
	}
	return strings.EqualFold(t.Name.Local, "Error"), nil
}

// rootIsError is rootElement's verdict alone, the part the SDK's check has.
func rootIsError(b []byte) bool {
	root, _ := rootElement(b)
	return bytes.EqualFold(root, []byte("Error"))
}

var rootSeeds = []string{
	copyOK, copyError, "", "   ", "<Error/>", "<error>", "<ERROR >", "<s3:Error xmlns:s3='x'>",
	"<Errors>", "<ErrorX/>", "<Err>", "\xef\xbb\xbf<Error>", "<!-- <Error> --><CopyObjectResult>",
	"<!-- c --><Error>", "<!DOCTYPE Error><Result>", "<?pi <Error> ?>\n<Error>", "\t\r\n<Error\n>",
	"<CompleteMultipartUploadResult><Error>", "<CopyPartResult/>", "<:Error>", "<Error:>", "<x:Error>",
	"<!---><Error>-->", "<![CDATA[<Error>]]><Result>", "text only", "<",
}

func TestRootIsErrorMatchesTheSDK(t *testing.T) {
	for _, s := range rootSeeds {
		want, err := sdkRootIsError([]byte(s))
		if err != nil {
			continue // the SDK fails the call; ours hands the body to the deserializer, which fails it
		}
		if got := rootIsError([]byte(s)); got != want {
			t.Errorf("rootIsError(%q) = %v, the SDK says %v", s, got, want)
		}
	}
	if !rootIsError([]byte(copyError)) || rootIsError([]byte(copyOK)) {
		t.Fatal("the basic cases are wrong")
	}
}

func FuzzRootIsError(f *testing.F) {
	for _, s := range rootSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := sdkRootIsError([]byte(s))
		if err != nil {
			return
		}
		if got := rootIsError([]byte(s)); got != want {
			t.Errorf("rootIsError(%q) = %v, the SDK says %v", s, got, want)
		}
	})
}

// A CopyObject answered "200 OK" with an Error body (S3's way of failing a
// copy after it started) is an error, retried like a 500; the next answer
// is parsed from the body the check read.
func TestCopy200ErrorIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(200)
		if calls.Add(1) == 1 {
			io.WriteString(w, copyError)
			return
		}
		io.WriteString(w, copyOK)
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, 3)
	swapped := func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			if m, _ := st.Deserialize.Get(sdk200ErrorID); reflect.TypeOf(m) != reflect.TypeOf(error200{}) {
				t.Errorf("the 200-error check is %T, not backfill's", m)
			}
			return nil
		})
	}
	out, err := c.CopyObject(t.Context(), copyInput(), swapped)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if calls.Load() != 2 || aws.ToString(out.CopyObjectResult.ETag) != `"abc"` {
		t.Errorf("%d calls, ETag %q; want 2 calls and the second answer's ETag", calls.Load(), aws.ToString(out.CopyObjectResult.ETag))
	}
}

func TestCopy200ErrorFailsWithItsCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, copyError)
	}))
	defer srv.Close()
	_, err := testClient(t, srv.URL, 1).CopyObject(t.Context(), copyInput())
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InternalError" {
		t.Fatalf("err = %v, want the InternalError in the body", err)
	}
}

// A 2xx copy answer without a result document is not a copy: retried.
func TestCopy200EmptyIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		if calls.Add(1) == 1 {
			io.WriteString(w, "  \n ")
			return
		}
		io.WriteString(w, copyOK)
	}))
	defer srv.Close()
	out, err := testClient(t, srv.URL, 3).CopyObject(t.Context(), copyInput())
	if err != nil || calls.Load() != 2 || aws.ToString(out.CopyObjectResult.ETag) != `"abc"` {
		t.Fatalf("err %v, %d calls; want the second answer", err, calls.Load())
	}
}

// The connection breaking after a whole result document loses nothing:
// the copy is done, as the SDK (which stops reading at the root element)
// would say.
func TestCopyReadErrorAfterTheDocument(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000") // more than is sent: the client reads an unexpected EOF
		w.WriteHeader(200)
		io.WriteString(w, copyOK)
	}))
	defer srv.Close()
	out, err := testClient(t, srv.URL, 1).CopyObject(t.Context(), copyInput())
	if err != nil || aws.ToString(out.CopyObjectResult.ETag) != `"abc"` {
		t.Fatalf("copy: %v, %+v", err, out)
	}
	// Broken inside the document: an error, not a copy.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(200)
		io.WriteString(w, copyOK[:len(copyOK)-40])
	}))
	defer srv2.Close()
	if _, err := testClient(t, srv2.URL, 1).CopyObject(t.Context(), copyInput()); err == nil {
		t.Fatal("a copy answer cut inside its document counted as a copy")
	}
}

// UploadPartCopy gets the same check: a 200+Error part copy is retried and
// the part's ETag comes from the good answer.
func TestUploadPartCopy200ErrorIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		if calls.Add(1) == 1 {
			io.WriteString(w, copyError)
			return
		}
		io.WriteString(w, xmlDecl+`<CopyPartResult><LastModified>2026-11-25T00:00:00.000Z</LastModified><ETag>"part1"</ETag></CopyPartResult>`)
	}))
	defer srv.Close()
	out, err := testClient(t, srv.URL, 3).UploadPartCopy(t.Context(), &s3.UploadPartCopyInput{Bucket: aws.String("replica"),
		Key: aws.String("k"), CopySource: aws.String("primary/k"), UploadId: aws.String("u1"), PartNumber: aws.Int32(1)})
	if err != nil || calls.Load() != 2 || aws.ToString(out.CopyPartResult.ETag) != `"part1"` {
		t.Fatalf("err %v, %d calls, result %+v", err, calls.Load(), out)
	}
}

func testClient(t *testing.T, url string, attempts int) *Client {
	return optionsClient(t, Options{Endpoint: url, MaxAttempts: attempts})
}

// optionsClient is a client made with o and test credentials.
func optionsClient(t *testing.T, o Options) *Client {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	c, err := New(context.Background(), o, Side{}, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func copyInput() *s3.CopyObjectInput {
	return &s3.CopyObjectInput{Bucket: aws.String("replica"), Key: aws.String("k"), CopySource: aws.String("primary/k")}
}
