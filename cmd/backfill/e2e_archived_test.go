package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// The path README promises for archived objects: a job skips what its
// listing shows archived and --archived lists them (every run of the job
// writes the whole job's list, also a run that lists nothing); after a
// restore, the same command with --include-archived added is the same
// job, and tries the objects its checkpoint recorded archived: a restored
// one copies, one not restored yet fails InvalidObjectState (exit 3) and
// stays listed, and the next run copies it once it is restored. Dropping
// the flag again is the same job too. versitygw lists every object as
// STANDARD and has no restore: the proxy lists cold/ as GLACIER, and "not
// restored yet" is the proxy answering InvalidObjectState.
func TestArchivedRestoreAndRerun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "cold/a.exr", body: "a"}, obj{key: "cold/b.exr", body: "b"})
	e.put(e.src, obj{key: "warm/c.exr", body: "c"})
	cp, rep, archived := filepath.Join(e.dir, "cp.db"), filepath.Join(e.dir, "r.json"), filepath.Join(e.dir, "archived.csv")
	args := e.copyArgs("--checkpoint", cp, "--report", rep, "--archived", archived)
	glacier := func(r *s3test.Request) *s3test.Fault {
		if r.Op == "ListObjectsV2" && r.Bucket == e.src {
			return &s3test.Fault{Rewrite: listedAsGlacier("cold/")}
		}
		return nil
	}
	e.proxy.SetHook(glacier)
	listed := func(want ...string) {
		t.Helper()
		b, err := os.ReadFile(archived)
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				got = append(got, strings.TrimPrefix(l, e.src+","))
			}
		}
		if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("--archived lists %q (%v), want %q", got, err, want)
		}
	}

	mustCode(t, e.run(args...), 0)
	if rf := readReport(t, rep); rf.Skipped["archived"] != 2 || rf.Copied != 1 {
		t.Errorf("first run: %+v", rf)
	}
	listed("cold/a.exr", "cold/b.exr")
	mustCode(t, e.run(args...), 0) // lists nothing: the job's list all the same
	listed("cold/a.exr", "cold/b.exr")

	// cold/a.exr is restored; cold/b.exr is not yet.
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && strings.HasSuffix(r.Header.Get("X-Amz-Copy-Source"), "/cold/b.exr") {
			return &s3test.Fault{Status: 403, Code: "InvalidObjectState", Message: "The operation is not valid for the object's storage class"}
		}
		return glacier(r)
	})
	r := e.run(append(args, "--include-archived")...)
	mustCode(t, r, 3)
	if rf := readReport(t, rep); rf.Copied != 1 || rf.Failed["InvalidObjectState"] != 1 {
		t.Errorf("after a restore, with --include-archived: %+v\n%s", rf, r.stderr)
	}
	if got := e.listing(e.dst, "cold/"); len(got) != 1 || got["cold/a.exr"] == "" {
		t.Errorf("replica holds %v, want the restored cold/a.exr", got)
	}
	listed("cold/b.exr")

	e.proxy.SetHook(glacier) // cold/b.exr restored
	mustCode(t, e.run(append(args, "--include-archived")...), 0)
	if got := e.listing(e.dst, "cold/"); len(got) != 2 {
		t.Errorf("replica holds %v, want both", got)
	}
	listed()
	mustCode(t, e.run(args...), 0) // the flag dropped: the same job
}

// listedAsGlacier rewrites a ListObjectsV2 answer so that the objects
// under prefix show the GLACIER storage class.
func listedAsGlacier(prefix string) func([]byte) []byte {
	return func(body []byte) []byte {
		parts := strings.SplitAfter(string(body), "</Contents>")
		for i, p := range parts {
			if strings.Contains(p, "<Key>"+prefix) {
				parts[i] = strings.Replace(p, "<StorageClass>STANDARD</StorageClass>", "<StorageClass>GLACIER</StorageClass>", 1)
			}
		}
		return []byte(strings.Join(parts, ""))
	}
}
