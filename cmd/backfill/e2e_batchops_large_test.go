//go:build large

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// An object over 5 GiB (a sparse file in the server's folder) never goes
// into the copy job: --large-locally copies it here, in parts, with its
// headers; the job copies the rest. It writes 5 GiB (about 100 s on 2
// cores): run by `make test-large`, not by `make test`.
func TestBatchopsLargeObjectsLocally(t *testing.T) {
	b := newBopsEnv(t)
	keys := b.media(3)
	const size = 5<<30 + 1
	path := filepath.Join(b.srv.RootDir, b.src, "shows", "feature.mov")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head of the film"), 0)
	f.WriteAt([]byte("end credits!"), size-12)
	f.Close()
	if err := syscall.Setxattr(path, "user.etag", []byte("0123456789abcdef0123456789abcdef-640"), 0); err != nil {
		t.Fatalf("user xattrs are needed to serve a placed file: %v", err)
	}
	syscall.Setxattr(path, "user.content-type", []byte("video/quicktime"), 0)

	// The first submit's CreateJob answer is lost (the job is made): it
	// stops there, before the local copy. The same command run again
	// finds the job and copies the object over 5 GiB it listed.
	d, url := newDropCreate(t, b.emu.URL())
	d.drop.Store(true)
	environ := b.srv.Env(url)
	args := append([]string{"batchops"}, b.submitArgs("--large-locally", "--max-attempts", "2")...)
	r := b.runWith(environ, args...)
	if r.code != 1 || !strings.Contains(r.stdout, "3 objects") || !strings.Contains(r.stdout, "over 5 GiB    1 object") {
		t.Errorf("first submit: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, ok := b.listing(b.dst, "")["shows/feature.mov"]; ok || len(b.jobs()) != 1 {
		t.Fatalf("the first submit copied the large object, or made %d jobs", len(b.jobs()))
	}
	d.drop.Store(false)
	r = b.runWith(environ, args...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	if !strings.Contains(r.stdout, "nothing new was submitted") || !strings.Contains(r.stdout, "Copying the 1 object over 5 GiB") {
		t.Errorf("second submit:\n%s", r.stdout)
	}
	mustCode(t, b.bo(b.acct("confirm", id)...), 0)
	if n := b.describe(id).ProgressSummary; n != nil && aws.ToInt64(n.TotalNumberOfTasks) > 3 {
		t.Errorf("the job has %d tasks", aws.ToInt64(n.TotalNumberOfTasks))
	}
	b.waitJob(id, 0)
	b.exact(keys, "")
	h := b.head(b.dst, "shows/feature.mov")
	if h["Content-Length"] != fmt.Sprint(size) || h["Content-Type"] != "video/quicktime" {
		t.Errorf("large object in the replica: %v", h)
	}
	large, err := os.ReadFile(filepath.Join(b.dir, "backfill-large-objects.csv"))
	if err != nil || string(large) != b.src+",shows/feature.mov\n" {
		t.Errorf("large manifest %q %v", large, err)
	}
	// A third run has nothing left to do: the state file says the copy
	// finished.
	r = b.runWith(environ, args...)
	mustCode(t, r, 0)
	if strings.Contains(r.stdout, "Copying the") || len(b.jobs()) != 1 {
		t.Errorf("third submit:\n%s", r.stdout)
	}
}
