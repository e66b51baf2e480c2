package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// server is an S3 server the e2e tests run on. The copy suite runs the same
// test body on versitygw and on MinIO (onEachServer); a test that needs
// something only one server does says so by asking for it (age, quirks).
type server struct {
	name   string
	client *s3.Client // direct to the server, not counted by a proxy
	// env is a child process's environment: the server's credentials and
	// region, endpoint (a proxy's URL), empty shared config files, no
	// other AWS_* variable but AWS_CA_BUNDLE.
	env       func(endpoint string) []string
	newBucket func(t testing.TB, versioned bool) string
	newProxy  func(t testing.TB) *s3test.Proxy
	// age makes an object look modified d ago.
	age func(t testing.TB, bucket, key string, d time.Duration)
	quirks
}

// quirks are what a server does differently, as observed here (README,
// "Compatibility notes"). The tests assert them, so a server that changes
// fails the test that describes it.
type quirks struct {
	// markers are "folder/" objects (empty, key ending in "/") that the
	// server stores and copies exactly; versitygw stores them but refuses
	// to copy them.
	markers []string
	// keys: what the server does with the keys the common awkward set
	// leaves out (see TestCopyKeysEachServerTreatsItsOwnWay).
	keys []keyRule
	// copyKeepsExpires: CopyObject with the COPY metadata directive keeps
	// the Expires header (MinIO's does not).
	copyKeepsExpires bool
	// storageClass is a class other than STANDARD that the server stores
	// and reports ("" when it reports STANDARD whatever is sent).
	storageClass string
	// partChecksums: UploadPartCopy works into an upload created with a
	// checksum algorithm (MinIO refuses every such part).
	partChecksums bool
}

// keyRule is what a server does with one key.
type keyRule struct {
	key      string
	putCode  string // PutObject's refusal ("" = stored)
	listedAs string // the key a listing shows, when stored
	copyCode string // backfill's copy fails with this code ("" = copied exactly)
}

// versitygw is the test binary's shared versitygw (v1.8.0, posix backend):
// keys are file paths.
func versitygw(t testing.TB) *server {
	t.Helper()
	s := s3test.Shared(t)
	return &server{
		name: "versitygw", client: s.Client(""), env: s.Env, newBucket: s.NewBucket, newProxy: s.NewProxy,
		age: func(t testing.TB, bucket, key string, d time.Duration) {
			t.Helper()
			ago := time.Now().Add(-d) // LastModified is the backing file's mtime
			if err := os.Chtimes(filepath.Join(s.RootDir, bucket, key), ago, ago); err != nil {
				t.Fatal(err)
			}
		},
		quirks: quirks{
			keys: []keyRule{
				{key: "x//y", listedAs: "x/y"},   // paths are cleaned
				{key: "p/./q", listedAs: "p/q"},  // likewise
				{key: "/lead", listedAs: "lead"}, // likewise
				{key: "dir/", listedAs: "dir/", copyCode: "DirectoryObjectContainsData"},
			},
			copyKeepsExpires: true,
			partChecksums:    true,
		},
	}
}

// minio is the test binary's shared MinIO (the pinned build, one drive).
func minio(t testing.TB) *server {
	t.Helper()
	m := s3test.SharedMinIO(t)
	return &server{
		name: "minio", client: m.Client(), newBucket: m.NewBucket, newProxy: m.NewProxy,
		env: func(endpoint string) []string { return withEndpoint(m.Env(), endpoint) },
		age: func(t testing.TB, _, _ string, _ time.Duration) {
			t.Helper()
			t.Fatal("MinIO keeps objects in its own format (xl.meta): an object's LastModified cannot be set from outside; age objects on versitygw")
		},
		quirks: quirks{
			markers: []string{"empty dir/", "shows/été/"},
			keys: []keyRule{
				{key: "x//y", putCode: "XMinioInvalidObjectName"},
				{key: "p/./q", putCode: "XMinioInvalidResourceName"},
				{key: "/lead", listedAs: "lead"},
				{key: "dir/", listedAs: "dir/"},
			},
			storageClass: "REDUCED_REDUNDANCY",
		},
	}
}

// withEndpoint is env with AWS_ENDPOINT_URL set to endpoint ("" = as is).
func withEndpoint(env []string, endpoint string) []string {
	if endpoint == "" {
		return env
	}
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") })
	return append(env, "AWS_ENDPOINT_URL="+endpoint)
}

// servers are the S3 servers the copy suite runs on, by subtest name.
var servers = []struct {
	name  string
	start func(testing.TB) *server
}{{"versitygw", versitygw}, {"minio", minio}}

// onEachServer runs body once per server, as the subtests "versitygw" and
// "minio", each with an env of its own (fresh buckets, a proxy in front).
// A server that cannot start fails its subtest with the harness's message
// (how to install it); nothing skips.
func onEachServer(t *testing.T, body func(t *testing.T, e *env)) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { body(t, newEnvOn(t, s.start(t))) })
	}
}

// newEnvOn is newEnv on server s: fresh source and destination buckets and
// a proxy in front of s. e.srv is versitygw's *s3test.Server on versitygw
// and nil elsewhere.
func newEnvOn(t *testing.T, s *server) *env {
	t.Helper()
	e := &env{t: t, server: s, proxy: s.newProxy(t), client: s.client,
		src: s.newBucket(t, false), dst: s.newBucket(t, false), dir: t.TempDir()}
	if s.name == "versitygw" {
		e.srv = s3test.Shared(t)
	}
	return e
}
