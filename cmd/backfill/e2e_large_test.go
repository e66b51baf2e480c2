//go:build large

package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestObjectOver5GiBWithDefaults copies a real object of 5 GiB + 1 byte
// with the default settings: above the CopyObject limit, so in parts. The
// source is a sparse file placed in the server's backing folder (no 5 GiB
// written to make it); the copy writes 5 GiB. Run by `make test-large`
// (about a minute on 2 cores), not by `make test`.
func TestObjectOver5GiBWithDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "movies/small.mov", body: "small"})
	const size = 5<<30 + 1
	path := filepath.Join(e.srv.RootDir, e.src, "movies", "feature.mov")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("head of the film"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("end credits!"), size-12); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := syscall.Setxattr(path, "user.etag", []byte("0123456789abcdef0123456789abcdef-640"), 0); err != nil {
		t.Fatalf("user xattrs are needed to serve a placed file: %v", err)
	}
	if err := syscall.Setxattr(path, "user.content-type", []byte("video/quicktime"), 0); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(e.dir, "r.json")
	mustCode(t, e.run(e.copyArgs("--report", rep)...), 0)
	if rf := readReport(t, rep); rf.Copied != 2 || rf.BytesCopied != size+5 {
		t.Errorf("report %+v", rf)
	}
	c := e.proxy.Counts()
	if c["CreateMultipartUpload"] != 1 || c["UploadPartCopy"] != 21 || c["CompleteMultipartUpload"] != 1 || c["CopyObject"] != 1 {
		t.Errorf("requests %v: want one multipart copy in 21 parts of 256 MiB, and one CopyObject", c)
	}
	h := e.head(e.dst, "movies/feature.mov")
	if h["Content-Length"] != fmt.Sprint(size) || h["Content-Type"] != "video/quicktime" {
		t.Errorf("replica head %v", h)
	}
	if got, want := digest(t, e, e.dst, "movies/feature.mov"), digest(t, e, e.src, "movies/feature.mov"); got != want {
		t.Errorf("replica digest %s, source %s", got, want)
	}
	e.noUploads(e.dst)
}

func digest(t *testing.T, e *env, bucket, key string) string {
	t.Helper()
	out, err := e.client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
