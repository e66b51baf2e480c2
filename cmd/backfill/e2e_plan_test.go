package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanCopiesNothingAndCounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a/1.exr", body: strings.Repeat("x", 100)}, obj{key: "a/2.exr", body: strings.Repeat("y", 200<<10)},
		obj{key: "b/3.mov", body: strings.Repeat("z", 7<<20)}, obj{key: "b/4.tmp", body: "t"})
	e.put(e.dst, obj{key: "a/1.exr", body: strings.Repeat("x", 100)})
	e.proxy.Reset()
	r := e.run("plan", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--exclude", "*.tmp", "--json")
	mustCode(t, r, 0)
	var p struct {
		WouldCopy struct{ Count, Bytes int64 } `json:"would_copy"`
		Skipped   map[string]struct{ Count int64 }
		Sizes     map[string]struct{ Count int64 } `json:"size_histogram"`
		Requests  int64                            `json:"copy_requests"`
		Look      map[string]int64                 `json:"look_requests"`
		ByOp      map[string]int64                 `json:"requests_by_operation"`
		Total     int64                            `json:"requests_total"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if p.WouldCopy.Count != 2 || p.WouldCopy.Bytes != 200<<10+7<<20 || p.Skipped["exists"].Count != 1 || p.Skipped["excluded"].Count != 1 ||
		p.Sizes["64 KiB - 1 MiB"].Count != 1 || p.Sizes["1 - 64 MiB"].Count != 1 || p.Requests != 2 {
		t.Errorf("plan %+v\n%s", p, r.stdout)
	}
	// The plan's look is what the server saw; the copy adds its copies.
	for op, n := range e.proxy.Counts() {
		if p.Look[op] != int64(n) {
			t.Errorf("plan counted %d %s, the server saw %d (plan %v)", p.Look[op], op, n, p.Look)
		}
	}
	if p.ByOp["CopyObject"] != 2 || p.ByOp["ListObjectsV2"] != p.Look["ListObjectsV2"] || p.Total != sum(p.Look)+2 {
		t.Errorf("requests by operation %v, total %d", p.ByOp, p.Total)
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

// TestPlanFromInventory: the same counts from an inventory: its own
// fields' skips, by storage class, and the requests the copy would make
// again: the replica's listing, or its HEADs with --replica-lookup head.
func TestPlanFromInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, k := range []string{"a.exr", "b.exr", "done.exr", "cold.exr", "ia.exr"} {
		e.put(e.src, obj{key: k, body: k})
	}
	e.put(e.dst, obj{key: "b.exr", body: "b.exr"})
	rows := e.inventoryRows()
	set := func(k string, f func(*invRow)) { r := rows[k]; f(&r); rows[k] = r }
	set("done.exr", func(r *invRow) { r.repl = "COMPLETED" })
	set("cold.exr", func(r *invRow) { r.class = "DEEP_ARCHIVE" })
	set("ia.exr", func(r *invRow) { r.class = "STANDARD_IA" })
	var data strings.Builder
	for _, r := range rows {
		data.WriteString(r.csvLine(e.src))
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	e.proxy.Reset()
	r := e.run("plan", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--inventory", manifest, "--json")
	mustCode(t, r, 0)
	var p struct {
		WouldCopy struct{ Count int64 } `json:"would_copy"`
		Skipped   map[string]struct{ Count int64 }
		Classes   map[string]struct{ Count int64 } `json:"by_storage_class"`
		ByOp      map[string]int64                 `json:"requests_by_operation"`
		Lookup    string                           `json:"replica_lookup"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if p.WouldCopy.Count != 2 || p.Skipped["replicated"].Count != 1 || p.Skipped["archived"].Count != 1 || p.Skipped["exists"].Count != 1 ||
		p.Classes["STANDARD"].Count != 1 || p.Classes["STANDARD_IA"].Count != 1 {
		t.Errorf("plan %+v\n%s", p, r.stdout)
	}
	// The replica listed once beside the pre-flight checks (a page of each
	// side), joined with the inventory's keys: no HEAD.
	if p.ByOp["HeadObject"] != 0 || e.proxy.Count("HeadObject") != 0 || p.ByOp["CopyObject"] != 2 || p.ByOp["ListObjectsV2"] != 3 ||
		!strings.HasPrefix(p.Lookup, "listed under s3://"+e.dst) {
		t.Errorf("requests %v (server saw %v), replica lookup %q", p.ByOp, e.proxy.Counts(), p.Lookup)
	}
	// --replica-lookup head: one HEAD of the replica per object its fields
	// did not skip, and the same plan.
	e.proxy.Reset()
	r = e.run("plan", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--inventory", manifest, "--json", "--replica-lookup", "head")
	mustCode(t, r, 0)
	head := p
	head.ByOp = nil
	if err := json.Unmarshal([]byte(r.stdout), &head); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if head.WouldCopy.Count != 2 || head.Skipped["exists"].Count != 1 {
		t.Errorf("plan with HEADs %+v", head)
	}
	if head.ByOp["HeadObject"] != 3 || e.proxy.Count("HeadObject") != 3 || head.ByOp["CopyObject"] != 2 || head.ByOp["ListObjectsV2"] > 2 || // the pre-flight checks list a page of each side
		!strings.HasPrefix(head.Lookup, "one HeadObject per object") {
		t.Errorf("requests %v (server saw %v), replica lookup %q", head.ByOp, e.proxy.Counts(), head.Lookup)
	}
	if len(e.listing(e.dst, "")) != 1 {
		t.Error("plan copied")
	}
}

// plan refuses the flags that mean nothing for it, naming them, before it
// asks S3 anything or writes a file; its --report is the plan.
func TestPlanRefusesCopyFlagsAndReportsThePlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a/1.exr", body: "1"}, obj{key: "a/2.exr", body: "22"})
	plan := []string{"plan", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress"}
	for _, extra := range [][]string{
		{"--failures", "f.csv"}, {"--archived", "a.csv"}, {"--dry-run"}, {"--acl", "private"}, {"--sse", "AES256"}, {"--sse-kms-key-id", "k"},
		{"--bucket-key"}, {"--storage-class", "STANDARD_IA"}, {"--reset"}, {"--retry-failed"}, {"--no-checkpoint"},
		{"--checkpoint", "x.db"},
	} {
		r := e.run(append(plan, extra...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "plan does not take "+extra[0]) {
			t.Errorf("%v: exit %d, stderr %q", extra, r.code, r.stderr)
		}
	}
	if n := e.proxy.Total(); n != 0 {
		t.Errorf("refused plans made %d requests", n)
	}
	if ents, _ := os.ReadDir(e.dir); len(ents) != 0 {
		t.Errorf("refused plans left %v", ents)
	}
	r := e.run(append(plan, "--report", "plan.json")...)
	mustCode(t, r, 0)
	b, err := os.ReadFile(filepath.Join(e.dir, "plan.json"))
	var p struct {
		Event     string                       `json:"event"`
		WouldCopy struct{ Count, Bytes int64 } `json:"would_copy"`
		ExitCode  int                          `json:"exit_code"`
	}
	if err != nil || json.Unmarshal(b, &p) != nil || p.Event != "plan" || p.WouldCopy.Count != 2 || p.WouldCopy.Bytes != 3 {
		t.Errorf("plan report (%v): %s", err, b)
	}
	if fi, _ := os.Stat(filepath.Join(e.dir, "plan.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("plan report mode %v", fi.Mode())
	}
}
