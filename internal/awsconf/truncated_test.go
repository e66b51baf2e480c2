package awsconf

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const listOK = xmlDecl + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated>` +
	`<Contents><Key>k</Key><Size>3</Size><ETag>"e"</ETag></Contents></ListBucketResult>`

// cutOnce answers the first request with the first n bytes of body under a
// Content-Length of all of it (the connection then closes: the client
// reads io.ErrUnexpectedEOF), and the next ones whole.
func cutOnce(t *testing.T, body string, n int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", "1000000")
			w.WriteHeader(200)
			io.WriteString(w, body[:n])
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// A listing page whose answer is cut short is asked again.
func TestTruncatedListingIsRetried(t *testing.T) {
	for _, n := range []int{0, len(xmlDecl) + 10, len(listOK) - 20} {
		srv, calls := cutOnce(t, listOK, n)
		out, err := testClient(t, srv.URL, 3).ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("b")})
		if err != nil || calls.Load() != 2 || len(out.Contents) != 1 {
			t.Errorf("cut after %d bytes: err %v, %d calls; want the second answer", n, err, calls.Load())
		}
	}
}

// A copy whose answer is cut short, before or inside its result document,
// is sent again (it is conditional: the same copy).
func TestTruncatedCopyIsRetried(t *testing.T) {
	for _, n := range []int{0, len(xmlDecl), len(copyOK) - 40} {
		srv, calls := cutOnce(t, copyOK, n)
		_, err := testClient(t, srv.URL, 3).CopyObject(t.Context(), copyInput())
		if err != nil || calls.Load() != 2 {
			t.Errorf("cut after %d bytes: err %v, %d calls; want the second answer", n, err, calls.Load())
		}
		srv, calls = cutOnce(t, copyOK, n)
		_, err = optionsClient(t, Options{Endpoint: srv.URL, MaxAttempts: 3, CopyOutputUnread: true}).CopyObject(t.Context(), copyInput())
		if err != nil || calls.Load() != 2 {
			t.Errorf("CopyOutputUnread, cut after %d bytes: err %v, %d calls; want the second answer", n, err, calls.Load())
		}
	}
}

// A whole answer that cannot be decoded is not a cut: not retried.
func TestMalformedAnswerIsNotRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, xmlDecl+`<ListBucketResult><KeyCount>many</KeyCount></ListBucketResult>`)
	}))
	defer srv.Close()
	if _, err := testClient(t, srv.URL, 3).ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("b")}); err == nil || calls.Load() != 1 {
		t.Errorf("err %v, %d calls; want the decoding error, not retried", err, calls.Load())
	}
}
