package s3test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestProxyCut: a cut answer reaches the client with its status and
// headers and fewer body bytes than it has, then the connection closes;
// the server did the request all the same. An answer without a body is
// lost whole.
func TestProxyCut(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.ClientWith(p.URL(), noRetry)
	ctx := context.Background()
	body := strings.Repeat("0123456789", 1000)
	put(t, c, b, "k", body)
	p.SetCutRate(1)

	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatalf("GetObject: the status and headers should arrive: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) >= len(body) || aws.ToInt64(out.ContentLength) != int64(len(body)) {
		t.Errorf("GetObject body: %d of %d bytes, error %v; want fewer bytes and io.ErrUnexpectedEOF", len(got), len(body), err)
	}
	if !strings.HasPrefix(body, string(got)) {
		t.Error("the bytes before the cut are not the body's")
	}

	// A listing's XML is cut: the SDK fails to decode it.
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ListObjectsV2: want an error wrapping io.ErrUnexpectedEOF, got %v", err)
	}

	// A copy's answer is cut after S3 made the copy.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/k")})
	if err == nil {
		t.Error("CopyObject: the cut answer was taken as whole")
	}
	// Answers without a body (HEAD, an empty PUT answer) are lost whole,
	// after the server did the request.
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k")}); err == nil || apiCode(err) != "" {
		t.Errorf("HeadObject: want a transport error, got %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("put"), Body: strings.NewReader("p")})
	if err == nil || apiCode(err) != "" {
		t.Errorf("PutObject: want a transport error, got %v", err)
	}

	p.SetCutRate(0)
	if got := get(t, c, b, "copy"); got != body {
		t.Errorf("the copy whose answer was cut: %d bytes", len(got))
	}
	if got := get(t, c, b, "put"); got != "p" {
		t.Errorf("the put whose answer was cut: %q", got)
	}
	cuts := p.Cuts()
	for _, op := range []string{"GetObject", "ListObjectsV2", "CopyObject", "HeadObject", "PutObject"} {
		if cuts[op] < 1 {
			t.Errorf("cuts %v: no %s cut", cuts, op)
		}
	}
	if cuts["GetObject"] != 1 {
		t.Errorf("cuts %v: the GetObjects after the rate went to 0 were cut", cuts)
	}
}

// TestProxyCutRate: the cut requests are the ones the client sees fail,
// about the fraction asked for; a hook's Cut applies to the requests it
// chooses.
func TestProxyCutRate(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.ClientWith(p.URL(), noRetry)
	ctx := context.Background()
	put(t, c, b, "k", strings.Repeat("x", 2000))
	p.SetCutRate(0.3)
	const n = 300
	failed := 0
	for range n {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &b, Key: aws.String("k")})
		if err == nil {
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
		}
		if err != nil {
			failed++
		}
	}
	p.SetCutRate(0)
	if cuts := p.Cuts()["GetObject"]; cuts != failed || cuts < n/10 || cuts > n/2 {
		t.Errorf("%d cuts, %d failed reads of %d at rate 0.3", cuts, failed, n)
	}

	p.Reset()
	p.SetHook(func(r *Request) *Fault {
		if r.Op == "ListObjectsV2" {
			return &Fault{Cut: true}
		}
		return nil
	})
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ListObjectsV2 with a Cut hook: %v", err)
	}
	if got := get(t, c, b, "k"); len(got) != 2000 {
		t.Errorf("GetObject with a hook for listings: %d bytes", len(got))
	}
	if cuts := p.Cuts(); cuts["ListObjectsV2"] != 1 || len(cuts) != 1 {
		t.Errorf("cuts %v", cuts)
	}
}
