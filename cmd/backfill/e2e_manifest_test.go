package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// TestFailuresFedBackAsManifest: the --failures file of one run is the
// --manifest of the next, which copies exactly those objects without
// listing, from a local file or from S3.
func TestFailuresFedBackAsManifest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 12 {
		objs = append(objs, obj{key: "shots/frame " + string(rune('a'+i)) + "+1.exr", body: "f", meta: map[string]string{"n": "1"}})
	}
	e.put(e.src, objs...)
	deny := map[string]bool{"shots/frame c+1.exr": true, "shots/frame h+1.exr": true}
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && deny[r.Key] {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "no"}
		}
		return nil
	})
	fails := filepath.Join(e.dir, "failed.csv")
	mustCode(t, e.run(e.copyArgs("--failures", fails, "--checkpoint", filepath.Join(e.dir, "first.db"))...), 3)
	e.proxy.SetHook(nil)

	for i, manifest := range []string{fails, "s3://" + e.src + "/manifests/failed.csv"} {
		if strings.HasPrefix(manifest, "s3://") {
			b, _ := os.ReadFile(fails)
			e.put(e.src, obj{key: "manifests/failed.csv", body: string(b)})
		}
		e.proxy.Reset()
		rep := filepath.Join(e.dir, "r.json")
		r := e.run(e.copyArgs("--manifest", manifest, "--report", rep, "--checkpoint", filepath.Join(e.dir, fmt.Sprintf("m%d.db", i)))...)
		mustCode(t, r, 0)
		c := e.proxy.Counts()
		copies := 0
		for _, req := range e.proxy.Requests() {
			if req.Op == "CopyObject" {
				copies++
				if !deny[req.Key] {
					t.Errorf("%s: copied %q, which the manifest does not name", manifest, req.Key)
				}
			}
		}
		// With the replica holding them after the first manifest run, the
		// second finds both in place.
		if manifest == fails && (copies != 2 || c["ListObjectsV2"] > 2) {
			t.Errorf("%s: requests %v", manifest, c)
		}
		if rf := readReport(t, rep); rf.Copied+rf.Skipped["exists"] != 2 {
			t.Errorf("%s: report %+v", manifest, rf)
		}
	}
	for k := range deny {
		if h := e.head(e.dst, k); h["meta"] != "map[n:1]" {
			t.Errorf("%q: %v", k, h)
		}
	}
}

func TestBadManifestCopiesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"}, obj{key: "b", body: "b"})
	for name, tc := range map[string]struct{ content, want string }{
		"wrong field count": {e.src + ",a\n" + e.src + ",b\n" + e.src + ",c,v1,x\n", "bad.csv:3: 4 fields"},
		"bad escape":        {e.src + ",a\n" + e.src + ",b%zz\n", "bad.csv:2: key \"b%zz\" is not URL-encoded"},
		"another bucket":    {e.src + ",a\nsomebody-else,b\n", `bad.csv:2: bucket "somebody-else"`},
		"header row":        {"Bucket,Key\n" + e.src + ",a\n", "bad.csv:1: a header row"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(e.dir, "bad.csv")
			os.WriteFile(path, []byte(tc.content), 0o600)
			e.proxy.Reset()
			r := e.run(e.copyArgs("--manifest", path, "--no-checkpoint")...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "nothing was copied") {
				t.Errorf("exit %d\n%s\nwant %q", r.code, r.stderr, tc.want)
			}
			if c := e.proxy.Counts(); c["CopyObject"]+c["HeadObject"] != 0 {
				t.Errorf("requests %v", c)
			}
		})
	}
	path := filepath.Join(e.dir, "empty.csv")
	os.WriteFile(path, nil, 0o600)
	r := e.run(e.copyArgs("--manifest", path, "--no-checkpoint")...)
	if r.code != 0 || !strings.Contains(r.stdout, "empty: nothing to do") {
		t.Errorf("empty manifest: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if len(e.listing(e.dst, "")) != 0 {
		t.Error("something was copied")
	}
	_, _ = s3.GetObjectInput{}, aws.String
}
