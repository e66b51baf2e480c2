package awsconf

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkCopyObject measures the client side of one small CopyObject
// (the SDK's middleware, signing and XML, with backfill's endpoint cache
// and 200-error check) against a loopback server that answers at once.
// cpu-µs/op is the process's CPU per copy, the server's share included.
// It runs with the SDK decoding the answer and with CopyOutputUnread.
//
//	go test -run XXX -bench CopyObject -benchtime 20000x -count 5 ./internal/awsconf/
func BenchmarkCopyObject(b *testing.B) {
	body := []byte(copyOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write(body)
	}))
	defer srv.Close()
	b.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	b.Setenv("AWS_REGION", "us-east-1")
	for _, unread := range []bool{false, true} {
		b.Run(fmt.Sprintf("CopyOutputUnread=%v", unread), func(b *testing.B) {
			c, err := New(context.Background(), Options{Endpoint: srv.URL, Connections: 64, CopyOutputUnread: unread}, Side{}, "")
			if err != nil {
				b.Fatal(err)
			}
			benchmarkCopies(b, c)
		})
	}
}

func benchmarkCopies(b *testing.B, c *Client) {
	in := &s3.CopyObjectInput{
		Bucket:            aws.String("replica"),
		Key:               aws.String("shows/s01/e02/frames/000123.dpx"),
		CopySource:        aws.String("primary/shows/s01/e02/frames/000123.dpx"),
		CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`),
		MetadataDirective: "COPY",
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.CopyObject(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
