package bops

import (
	"context"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// StartTest starts an emulator in front of srv and closes it when t ends.
// opts.S3 takes srv's key pair and, unless opts.S3.URL is set (say to an
// s3test.Proxy in front of srv, to slow or fail the jobs' S3 requests),
// srv's endpoint. The other fields keep their meaning (a test usually sets
// Step to a few milliseconds).
func StartTest(t testing.TB, srv *s3test.Server, opts Options) *Server {
	t.Helper()
	if opts.S3.URL == "" {
		opts.S3.URL = srv.Endpoint
	}
	opts.S3.AccessKey, opts.S3.SecretKey = srv.AccessKey, srv.SecretKey
	if opts.Region == "" {
		opts.Region = srv.Region
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
