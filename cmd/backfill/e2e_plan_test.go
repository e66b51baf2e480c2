package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPlanCopiesNothingAndCounts(t *testing.T) {
	e := newEnv(t)
	e.put(e.src, obj{key: "a/1.exr", body: strings.Repeat("x", 100)}, obj{key: "a/2.exr", body: strings.Repeat("y", 200<<10)},
		obj{key: "b/3.mov", body: strings.Repeat("z", 7<<20)}, obj{key: "b/4.tmp", body: "t"})
	e.put(e.dst, obj{key: "a/1.exr", body: strings.Repeat("x", 100)})
	r := e.run("plan", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--exclude", "*.tmp", "--json")
	mustCode(t, r, 0)
	var p struct {
		WouldCopy struct{ Count, Bytes int64 } `json:"would_copy"`
		Skipped   map[string]struct{ Count int64 }
		Sizes     map[string]struct{ Count int64 } `json:"size_histogram"`
		Requests  int64                            `json:"copy_requests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if p.WouldCopy.Count != 2 || p.WouldCopy.Bytes != 200<<10+7<<20 || p.Skipped["exists"].Count != 1 || p.Skipped["excluded"].Count != 1 ||
		p.Sizes["64 KiB - 1 MiB"].Count != 1 || p.Sizes["1 - 64 MiB"].Count != 1 || p.Requests != 2 {
		t.Errorf("plan %+v\n%s", p, r.stdout)
	}
	for _, op := range []string{"CopyObject", "PutObject", "CreateMultipartUpload", "UploadPartCopy"} {
		if n := e.proxy.Count(op); n != 0 {
			t.Errorf("plan made %d %s", n, op)
		}
	}
	// Parts are counted with the copy's own multipart settings.
	r = e.run("plan", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--multipart-threshold", "5MiB", "--part-size", "5MiB")
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "1 in parts (2 UploadPartCopy)") || !strings.Contains(r.stdout, "exists") {
		t.Errorf("text plan:\n%s", r.stdout)
	}
}
