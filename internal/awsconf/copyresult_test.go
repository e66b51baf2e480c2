package awsconf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// answer is one way a server can answer a CopyObject.
type answer struct {
	name    string
	status  int
	body    string
	cutAt   int  // when > 0: Content-Length claims more, and the body stops after cutAt bytes
	attempt int  // attempts the client makes
	fast    bool // settled without decoding (copyOutputUnread's own path)
	hangUp  bool // the server closes the connection before answering
}

var copyAnswers = []answer{
	{name: "copied", status: 200, body: copyOK, fast: true},
	{name: "copied, prefixed root", status: 200, fast: true,
		body: `<s3:CopyObjectResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"abc"</ETag></s3:CopyObjectResult>`},
	{name: "copied after heartbeat spaces", status: 200, body: "   \n   \n" + copyOK + "\n", fast: true},
	{name: "connection closed before the answer", hangUp: true},
	{name: "connection closed before the answer, retried", hangUp: true, attempt: 2},
	{name: "200 with Error", status: 200, body: copyError},
	{name: "200 with Error, retried", status: 200, body: copyError, attempt: 3},
	{name: "200 empty", status: 200, body: ""},
	{name: "200 whitespace only", status: 200, body: "   \n  "},
	{name: "200 other root", status: 200, body: `<Other><ETag>"x"</ETag></Other>`},
	{name: "200 cut after the document", status: 200, body: copyOK, cutAt: len(copyOK)},
	{name: "200 cut inside the document", status: 200, body: copyOK, cutAt: len(copyOK) - 40},
	{name: "200 cut before the root", status: 200, body: copyOK, cutAt: 10},
	{name: "200 document not ended", status: 200, body: `<CopyObjectResult><ETag>"x"</ETag>`},
	{name: "200 end tag of another element", status: 200, body: `<CopyObjectResult><ETag>"x"</ETag>  `},
	{name: "200 comment after the document", status: 200, body: copyOK + "<!-- x -->"},
	{name: "404 NoSuchKey", status: 404, body: xmlDecl + `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>R2</RequestId></Error>`},
	{name: "412 PreconditionFailed", status: 412, body: xmlDecl + `<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><RequestId>R3</RequestId></Error>`},
	{name: "403 AccessDenied", status: 403, body: xmlDecl + `<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R4</RequestId></Error>`},
	{name: "503 SlowDown", status: 503, body: xmlDecl + `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>R5</RequestId></Error>`},
	{name: "500 HTML", status: 500, body: "<html><body>bad gateway</body></html>"},
	{name: "301 PermanentRedirect", status: 301, body: xmlDecl + `<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Endpoint>replica.s3.eu-west-1.amazonaws.com</Endpoint></Error>`},
	{name: "400 no body", status: 400},
}

// serve answers every request with a, counting them.
func serve(t *testing.T, a answer, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		if a.hangUp {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("x-amz-request-id", "REQ1")
		w.Header().Set("x-amz-id-2", "HOST1")
		writeAnswer(w, a)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// writeAnswer writes a's status and XML body, cut short after a.cutAt
// bytes (of a longer Content-Length) when a.cutAt > 0.
func writeAnswer(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/xml")
	body := a.body
	if a.cutAt > 0 {
		w.Header().Set("Content-Length", strconv.Itoa(len(a.body)+1000))
		body = a.body[:a.cutAt]
	}
	w.WriteHeader(a.status)
	io.WriteString(w, body)
}

// With CopyOutputUnread, every answer but a whole CopyObjectResult goes to
// the SDK's deserializer: the same error text (code, message, status,
// request IDs), the same number of attempts; and a copy is a copy.
func TestCopyOutputUnreadMatchesTheSDK(t *testing.T) {
	for _, a := range copyAnswers {
		t.Run(a.name, func(t *testing.T) {
			attempts := max(a.attempt, 1)
			var sdkCalls, ourCalls atomic.Int32
			sdk := testClient(t, serve(t, a, &sdkCalls).URL, attempts)
			ours := unreadClient(t, serve(t, a, &ourCalls).URL, attempts)
			sdkOut, sdkErr := sdk.CopyObject(t.Context(), copyInput())
			out, err := ours.CopyObject(t.Context(), copyInput(), requireUnread(t))
			if (err == nil) != (sdkErr == nil) {
				t.Fatalf("err = %v; the SDK's = %v", err, sdkErr)
			}
			if err != nil && err.Error() != replaceHost(sdkErr.Error(), sdk, ours) {
				t.Errorf("err = %v\nthe SDK's = %v", err, sdkErr)
			}
			if err == nil && (out == nil || sdkOut == nil) {
				t.Fatalf("no output: ours %v, the SDK's %v", out, sdkOut)
			}
			if err == nil {
				// The SDK's deserializer always fills CopyObjectResult from
				// a document; copyOutputUnread leaves it nil.
				if fast := out.CopyObjectResult == nil; fast != a.fast {
					t.Errorf("settled without decoding: %v, want %v", fast, a.fast)
				}
				if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != "REQ1" {
					t.Errorf("request ID %q in the output's metadata, want REQ1", id)
				}
			}
			if ourCalls.Load() != sdkCalls.Load() {
				t.Errorf("%d requests; the SDK made %d", ourCalls.Load(), sdkCalls.Load())
			}
		})
	}
}

// The answer is not decoded: a whole CopyObjectResult the SDK cannot parse
// (a bad date, a malformed tag inside) still says the copy finished, and
// the output is empty. This is where the two differ, by design.
func TestCopyOutputUnreadDoesNotDecode(t *testing.T) {
	for _, body := range []string{
		`<CopyObjectResult><LastModified>yesterday</LastModified><ETag>"abc"</ETag></CopyObjectResult>`,
		`<CopyObjectResult><ETag>"x"</Tag></CopyObjectResult>` + "\n",
	} {
		notDecoded(t, answer{status: 200, body: body})
	}
}

func notDecoded(t *testing.T, a answer) {
	var calls atomic.Int32
	url := serve(t, a, &calls).URL
	if _, err := testClient(t, url, 1).CopyObject(t.Context(), copyInput()); err == nil {
		t.Fatal("the SDK decoded the answer; the test needs one it fails")
	}
	out, err := unreadClient(t, url, 1).CopyObject(t.Context(), copyInput())
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if out.CopyObjectResult != nil {
		t.Errorf("the result was decoded: %+v", out.CopyObjectResult)
	}
	if calls.Load() != 2 {
		t.Errorf("%d requests, want 2 (one per client)", calls.Load())
	}
}

// Other operations keep the SDK's deserializer, and a client without the
// option keeps it for CopyObject too.
func TestCopyOutputUnreadOnlyCopyObject(t *testing.T) {
	for _, op := range []string{"UploadPartCopy", "HeadObject", "GetObject"} {
		st := middleware.NewStack(op, nil)
		sdk := middleware.DeserializeMiddlewareFunc(sdkDeserializerID, nil)
		st.Deserialize.Add(sdk, middleware.After)
		st.Deserialize.Add(error200{}, middleware.After)
		if err := skipCopyOutput(st); err != nil {
			t.Fatal(err)
		}
		if m, _ := st.Deserialize.Get(sdkDeserializerID); reflect.TypeOf(m) != reflect.TypeOf(sdk) {
			t.Errorf("%s: the deserializer is %T", op, m)
		}
	}
	// CopyObject without backfill's 200-error check: nothing has read the
	// answer, so the SDK's deserializer stays.
	st := middleware.NewStack("CopyObject", nil)
	st.Deserialize.Add(middleware.DeserializeMiddlewareFunc(sdkDeserializerID, nil), middleware.After)
	if err := skipCopyOutput(st); err != nil {
		t.Fatal(err)
	}
	if m, _ := st.Deserialize.Get(sdkDeserializerID); reflect.TypeOf(m) == reflect.TypeOf(copyOutputUnread{}) {
		t.Error("swapped without the 200-error check")
	}
	var calls atomic.Int32
	c := testClient(t, serve(t, answer{status: 200, body: copyOK}, &calls).URL, 1)
	if _, err := c.CopyObject(t.Context(), copyInput(), func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			if m, _ := st.Deserialize.Get(sdkDeserializerID); reflect.TypeOf(m) == reflect.TypeOf(copyOutputUnread{}) {
				t.Error("a client without CopyOutputUnread skips the output")
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
}

// requireUnread fails the test unless the call's stack has copyOutputUnread.
func requireUnread(t *testing.T) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			// APIOptions run in order; this one is appended after the
			// client's own, so the swap has happened.
			if m, _ := st.Deserialize.Get(sdkDeserializerID); reflect.TypeOf(m) != reflect.TypeOf(copyOutputUnread{}) {
				t.Errorf("the CopyObject deserializer is %T, not copyOutputUnread", m)
			}
			return nil
		})
	}
}

func unreadClient(t *testing.T, url string, attempts int) *Client {
	return optionsClient(t, Options{Endpoint: url, MaxAttempts: attempts, CopyOutputUnread: true})
}

// replaceHost puts ours's endpoint where sdk's appears in s: the two
// clients talk to two servers.
func replaceHost(s string, sdk, ours *Client) string {
	return strings.ReplaceAll(s, sdk.Endpoint, ours.Endpoint)
}
