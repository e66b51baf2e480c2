package awsconf

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// leanKeys are keys whose escaping could differ between two encoders.
var leanKeys = []string{
	"k", "shows/s01/e02/frames/000123.dpx", "a b+c=d&e", "dir/", "/leading", "a//b", "a/./b/../c",
	"ünïcødé/フレーム.exr", "per%cent", "q?x=1#frag", "tilde~star*(1)'!", "semi;colon,comma:at@dollar$",
}

// fullCopy is a copy with every field the lean path sends.
func fullCopy(key string) *s3.CopyObjectInput {
	return &s3.CopyObjectInput{
		Bucket: aws.String("replica"), Key: aws.String(key), CopySource: aws.String("primary/" + key),
		CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`),
		MetadataDirective: types.MetadataDirectiveCopy, TaggingDirective: types.TaggingDirectiveCopy,
		StorageClass: types.StorageClassStandardIa, ServerSideEncryption: types.ServerSideEncryptionAwsKms,
		SSEKMSKeyId: aws.String("arn:aws:kms:us-east-1:111122223333:key/k1"), BucketKeyEnabled: aws.Bool(true),
		ACL: types.ObjectCannedACLBucketOwnerFullControl, ExpectedSourceBucketOwner: aws.String("111122223333"),
		ExpectedBucketOwner: aws.String("444455556666"),
	}
}

// sdkRequest is the request the SDK would send for in, signed at a fixed
// time, captured after signing and never sent.
func sdkRequest(t *testing.T, c *Client, in *s3.CopyObjectInput) *http.Request {
	t.Helper()
	var got *http.Request
	stop := errors.New("captured")
	_, err := c.Client.CopyObject(t.Context(), in, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("capture",
				func(ctx context.Context, fi middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					got = fi.Request.(*smithyhttp.Request).Request.Clone(ctx)
					return middleware.FinalizeOutput{}, middleware.Metadata{}, stop
				}), middleware.After)
		})
	})
	if !errors.Is(err, stop) {
		t.Fatalf("SDK request: %v", err)
	}
	return got
}

// The lean request is the SDK's: the same method, host, escaped path and
// x-amz headers (the SDK adds a query naming the operation, and its own
// bookkeeping headers), and a signature that verifies: re-signed by the
// SDK's signer from what was sent, it comes out the same. For path-style
// (an endpoint, with and without a base path) and virtual-hosted (AWS)
// addressing, a bucket with dots, and keys an encoder could get wrong.
func TestLeanCopyRequestIsTheSDKs(t *testing.T) {
	for _, endpoint := range []string{"http://127.0.0.1:9000", "http://127.0.0.1:9000/base/path", ""} {
		c := optionsClient(t, Options{Endpoint: endpoint, CopyOutputUnread: true})
		if c.lean == nil {
			t.Fatal("no lean path for a client made with CopyOutputUnread")
		}
		for i, key := range leanKeys {
			in := fullCopy(key)
			if i%3 == 1 {
				in.Bucket = aws.String("replica.with.dots") // path-style on AWS too
			}
			sdk := sdkRequest(t, c, in)
			ours, name, region, err := c.lean.request(t.Context(), in)
			if err == nil {
				err = c.lean.sign(t.Context(), ours, name, region)
			}
			if err != nil {
				t.Fatalf("%q: %v", key, err)
			}
			if ours.Method != sdk.Method || ours.URL.Host != sdk.URL.Host || ours.URL.Scheme != sdk.URL.Scheme ||
				ours.URL.EscapedPath() != sdk.URL.EscapedPath() || ours.URL.Path != sdk.URL.Path {
				t.Errorf("endpoint %q key %q: %s %s://%s%s, the SDK's %s %s://%s%s", endpoint, key,
					ours.Method, ours.URL.Scheme, ours.URL.Host, ours.URL.EscapedPath(), sdk.Method, sdk.URL.Scheme, sdk.URL.Host, sdk.URL.EscapedPath())
			}
			if sdk.URL.RawQuery != "x-id=CopyObject" || ours.URL.RawQuery != "" {
				t.Errorf("queries: ours %q, the SDK's %q", ours.URL.RawQuery, sdk.URL.RawQuery)
			}
			for name := range sdk.Header {
				if !strings.HasPrefix(strings.ToLower(name), "x-amz-") || name == "X-Amz-Date" {
					continue
				}
				if got, want := ours.Header.Values(name), sdk.Header.Values(name); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("key %q header %s = %q, the SDK's %q", key, name, got, want)
				}
			}
			for name := range ours.Header {
				if sdk.Header.Get(name) == "" {
					t.Errorf("key %q: header %s the SDK does not send", key, name)
				}
			}
			checkSignature(t, ours)
		}
	}
}

// checkSignature signs a copy of req (without its signature) as a server
// would check it, and compares.
func checkSignature(t *testing.T, req *http.Request) {
	t.Helper()
	when, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	again := req.Clone(t.Context())
	again.Header.Del("Authorization")
	again.Header.Del("X-Amz-Date")
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(t.Context(), creds, again, emptySHA256, "s3", "us-east-1", when); err != nil {
		t.Fatal(err)
	}
	if got, want := req.Header.Get("Authorization"), again.Header.Get("Authorization"); got != want || got == "" {
		t.Errorf("%s: signature %q, re-signed %q", req.URL.EscapedPath(), got, want)
	}
}

// leanServer answers with a, then (after the lean attempt) with then; it
// tells the lean request (no query) from the SDK's (?x-id=CopyObject).
type leanServer struct {
	mu         sync.Mutex
	lean, sdks int
}

func (s *leanServer) start(t *testing.T, first, then answer) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := s.lean + s.sdks
		if r.URL.RawQuery == "" {
			s.lean++
		} else {
			s.sdks++
		}
		s.mu.Unlock()
		a := then
		if n == 0 {
			a = first
		}
		writeAnswer(w, a)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func answerNamed(t *testing.T, name string) answer {
	for _, a := range copyAnswers {
		if a.name == name {
			return a
		}
	}
	t.Fatalf("no answer %q", name)
	return answer{}
}

// A copy S3 answers with a whole CopyObjectResult is one lean request,
// counted once; any other answer goes on to the SDK's call, whose answer
// and error are the call's; a throttle on the lean attempt is counted in
// the throttle statistics and waits a backoff.
func TestLeanCopyOutcomes(t *testing.T) {
	ok := answerNamed(t, "copied")
	slowDown := answerNamed(t, "503 SlowDown")
	denied := answerNamed(t, "403 AccessDenied")
	for _, tc := range []struct {
		first, then    answer
		lean, sdk      int
		code           string
		throttled      int64
		leanOffAfter   bool
		countedCopyObj int64
	}{
		{first: ok, then: ok, lean: 1, countedCopyObj: 1},
		{first: answerNamed(t, "copied after heartbeat spaces"), then: ok, lean: 1, countedCopyObj: 1},
		// About the object: settled by the lean attempt, as the SDK would.
		{first: answerNamed(t, "412 PreconditionFailed"), then: ok, lean: 1, code: "PreconditionFailed", countedCopyObj: 1},
		{first: answerNamed(t, "404 NoSuchKey"), then: ok, lean: 1, code: "NoSuchKey", countedCopyObj: 1},
		// Retryable: the SDK's call follows, with one attempt spent
		// (MaxAttempts 3: three requests in all under lasting SlowDown).
		{first: slowDown, then: ok, lean: 1, sdk: 1, throttled: 1, countedCopyObj: 1},
		{first: slowDown, then: slowDown, lean: 1, sdk: 2, throttled: 3, code: "SlowDown", countedCopyObj: 1},
		{first: answerNamed(t, "200 with Error"), then: ok, lean: 1, sdk: 1, countedCopyObj: 1},
		{first: answerNamed(t, "200 cut inside the document"), then: ok, lean: 1, sdk: 1, countedCopyObj: 1},
		{first: answerNamed(t, "200 other root"), then: ok, lean: 1, sdk: 1, countedCopyObj: 1},
		// A refusal goes to the SDK; if the SDK's request is refused too,
		// the lean path stays on; if it is taken, the lean path goes off.
		{first: denied, then: denied, lean: 1, sdk: 1, code: "AccessDenied", countedCopyObj: 1},
		{first: denied, then: ok, lean: 1, sdk: 1, leanOffAfter: true, countedCopyObj: 1},
		{first: answer{status: 403, body: xmlDecl + `<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>`}, then: denied,
			lean: 1, sdk: 1, code: "AccessDenied", leanOffAfter: true, countedCopyObj: 1},
	} {
		t.Run(tc.first.name+" then "+tc.then.name+tc.first.body[len(tc.first.body)-min(len(tc.first.body), 40):], func(t *testing.T) {
			var s leanServer
			url := s.start(t, tc.first, tc.then).URL
			var reqs Requests
			var stats ThrottleStats
			c := optionsClient(t, Options{Endpoint: url, CopyOutputUnread: true, Requests: &reqs, Throttle: &stats, MaxAttempts: 3})
			_, err := c.CopyObject(t.Context(), copyInput())
			if got := s3err.Code(err); got != tc.code {
				t.Errorf("code %q (err %v), want %q", got, err, tc.code)
			}
			if tc.code != "" && (!strings.Contains(err.Error(), "operation error S3: CopyObject") || !strings.Contains(err.Error(), "StatusCode: ")) {
				t.Errorf("error %q does not read like the SDK's", err)
			}
			if got := s3err.Code(err); got != tc.code {
				t.Errorf("code %q (err %v), want %q", got, err, tc.code)
			}
			if s.lean != tc.lean || s.sdks != tc.sdk {
				t.Errorf("%d lean and %d SDK requests, want %d and %d", s.lean, s.sdks, tc.lean, tc.sdk)
			}
			if got := stats.Throttled(); got != tc.throttled {
				t.Errorf("%d throttled answers counted, want %d", got, tc.throttled)
			}
			if got := reqs.Counts()["CopyObject"]; got != tc.countedCopyObj {
				t.Errorf("CopyObject counted %d times, want %d", got, tc.countedCopyObj)
			}
			if c.lean.off.Load() != tc.leanOffAfter {
				t.Errorf("lean path off: %v, want %v", c.lean.off.Load(), tc.leanOffAfter)
			}
		})
	}
}

// Inputs with a field the lean path does not send, per-call options, a
// --debug log, or BACKFILL_SDK_COPY go to the SDK.
func TestLeanCopyOnlyPlainCopies(t *testing.T) {
	ok := answerNamed(t, "copied")
	var s leanServer
	url := s.start(t, ok, ok).URL
	c := optionsClient(t, Options{Endpoint: url, CopyOutputUnread: true})
	withMeta := copyInput()
	withMeta.Metadata = map[string]string{"a": "b"}
	withVersion := copyInput()
	withVersion.SSECustomerAlgorithm = aws.String("AES256")
	for _, in := range []*s3.CopyObjectInput{withMeta, withVersion} {
		if _, err := c.CopyObject(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CopyObject(t.Context(), copyInput(), func(*s3.Options) {}); err != nil {
		t.Fatal(err)
	}
	if s.lean != 0 || s.sdks != 3 {
		t.Errorf("%d lean and %d SDK requests, want 0 and 3", s.lean, s.sdks)
	}
	if optionsClient(t, Options{Endpoint: url, CopyOutputUnread: true, DebugLog: &strings.Builder{}}).lean != nil {
		t.Error("a --debug client has the lean path: its requests would not be logged")
	}
	if optionsClient(t, Options{Endpoint: url}).lean != nil {
		t.Error("a client without CopyOutputUnread has the lean path")
	}
	t.Setenv(noLeanEnv, "1")
	if optionsClient(t, Options{Endpoint: url, CopyOutputUnread: true}).lean != nil {
		t.Errorf("%s=1 leaves the lean path on", noLeanEnv)
	}
}

// A cancelled copy returns the cancellation, as the SDK's does.
func TestLeanCopyCancelled(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	c := optionsClient(t, Options{Endpoint: srv.URL, CopyOutputUnread: true})
	ctx, cancel := context.WithCancel(t.Context())
	var done atomic.Bool
	go func() { time.Sleep(50 * time.Millisecond); done.Store(true); cancel() }()
	_, err := c.CopyObject(ctx, copyInput())
	if !errors.Is(err, context.Canceled) || !done.Load() {
		t.Fatalf("err = %v, want the cancellation", err)
	}
}

// A server checks each lean request's SigV4 signature as S3 does, from the
// request it received (the path it decoded, re-encoded by the spec's
// UriEncode; the signed headers; the session token), and the key it
// decoded is the key: for awkward keys, another region and temporary
// credentials.
func TestLeanCopySignatureVerifies(t *testing.T) {
	t.Setenv("AWS_SESSION_TOKEN", "TOKEN/with+odd=chars")
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if msg := verifySigV4(r, "AKIDEXAMPLE", "secret", "eu-west-1"); msg != "" {
			w.WriteHeader(403)
			w.Write([]byte(xmlDecl + `<Error><Code>SignatureDoesNotMatch</Code><Message>` + msg + `</Message></Error>`))
			return
		}
		w.Write([]byte(copyOK))
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	c, err := New(t.Context(), Options{Endpoint: srv.URL, Region: "eu-west-1", CopyOutputUnread: true}, Side{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, key := range leanKeys {
		in := copyInput()
		if i%2 == 0 {
			in = fullCopy(key)
		}
		in.Key = aws.String(key)
		if a := c.lean.try(t.Context(), in); !a.done || a.err != nil {
			t.Fatalf("key %q: not copied by the lean path (%+v)", key, a)
		}
		mu.Lock()
		got := paths[len(paths)-1]
		mu.Unlock()
		if want := "/replica/" + key; got != want {
			t.Errorf("the server decoded %q, want %q", got, want)
		}
	}
}

// verifySigV4 checks r's Authorization header by AWS's Signature Version 4
// specification, written out here independently of the SDK's signer. It
// returns what is wrong, or "".
func verifySigV4(r *http.Request, id, secret, region string) string {
	auth := r.Header.Get("Authorization")
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "no SigV4 authorization"
	}
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	date := r.Header.Get("X-Amz-Date")
	scope := date[:8] + "/" + region + "/s3/aws4_request"
	if fields["Credential"] != id+"/"+scope {
		return "credential scope " + fields["Credential"]
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	var canon strings.Builder
	canon.WriteString(r.Method + "\n" + specURIEncode(r.URL.Path) + "\n" + r.URL.RawQuery + "\n")
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canon.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	canon.WriteString("\n" + fields["SignedHeaders"] + "\n" + r.Header.Get("X-Amz-Content-Sha256"))
	for _, must := range []string{"host", "x-amz-date", "x-amz-content-sha256", "x-amz-copy-source", "x-amz-security-token"} {
		if !strings.Contains(";"+fields["SignedHeaders"]+";", ";"+must+";") {
			return must + " not signed"
		}
	}
	hash := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(hash[:])
	key := []byte("AWS4" + secret)
	for _, part := range []string{date[:8], region, "s3", "aws4_request", toSign} {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(part))
		key = m.Sum(nil)
	}
	if got := fields["Signature"]; got != hex.EncodeToString(key) {
		return "signature mismatch for canonical request " + canon.String()
	}
	return ""
}

// specURIEncode is SigV4's UriEncode of a path: every byte but A-Z a-z 0-9
// - . _ ~ / becomes %XX, upper-case.
func specURIEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
