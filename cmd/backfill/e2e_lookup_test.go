package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// replicaRows lists the replica as its own inventory would show it.
func (e *env) replicaRows(bucket string) string {
	e.t.Helper()
	src := e.src
	e.src = bucket
	defer func() { e.src = src }()
	var b strings.Builder
	for _, r := range e.inventoryRows() {
		b.WriteString(r.csvLine(bucket))
	}
	return b.String()
}

type lookupPlan struct {
	WouldCopy struct{ Count int64 } `json:"would_copy"`
	Skipped   map[string]struct{ Count int64 }
	ByOp      map[string]int64 `json:"requests_by_operation"`
	Lookup    string           `json:"replica_lookup"`
}

// TestInventoryReplicaLookups: an inventory run learns what the replica
// holds from a listing of the replica (the default) or from the replica's
// own inventory, with no HEAD per object, and decides exactly as with one
// HEAD per object (--replica-lookup head); a plan says which it used.
func TestInventoryReplicaLookups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.dst, obj{key: "older.exr", body: "the first cut"})
	time.Sleep(1100 * time.Millisecond) // S3 dates have whole seconds
	e.put(e.src, obj{key: "a.exr", body: "a"}, obj{key: "same.exr", body: "same"}, obj{key: "older.exr", body: "the final cut"},
		obj{key: "newer.exr", body: "n"}, obj{key: "dir/x.exr", body: "x"})
	time.Sleep(1100 * time.Millisecond)
	e.put(e.dst, obj{key: "same.exr", body: "same"}, obj{key: "newer.exr", body: "written in the replica"}, obj{key: "extra.exr", body: "e"})
	var rows strings.Builder
	for _, r := range e.inventoryRows() {
		rows.WriteString(r.csvLine(e.src))
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(rows.String())}, "CSV", invSchema)
	destManifest, _ := writeInventory(t, t.TempDir(), e.dst, "2026-11-23T01-00Z", [][]byte{gz(e.replicaRows(e.dst))}, "CSV", invSchema)

	for _, c := range []struct {
		name       string
		args       []string
		lookup     string
		heads      int // HEADs of the replica
		listReplic int // listings of the replica (its pre-flight page included)
	}{
		{"listed", nil, "listed under s3://" + e.dst, 0, 2},
		{"its inventory", []string{"--dest-inventory", destManifest}, "its inventory " + destManifest, 0, 1},
		{"head", []string{"--replica-lookup", "head"}, "one HeadObject per object", 5, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.proxy.Reset()
			r := e.run(append([]string{"plan", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress", "--inventory", manifest, "--json"}, c.args...)...)
			mustCode(t, r, 0)
			var p lookupPlan
			if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			if p.WouldCopy.Count != 3 || p.Skipped["exists"].Count != 1 || p.Skipped["newer-in-replica"].Count != 1 {
				t.Errorf("plan %+v", p)
			}
			if !strings.HasPrefix(p.Lookup, c.lookup) {
				t.Errorf("replica lookup %q, want %q...", p.Lookup, c.lookup)
			}
			if h, l := byBucket(e.proxy, "HeadObject", e.dst), byBucket(e.proxy, "ListObjectsV2", e.dst); h != c.heads || l != c.listReplic {
				t.Errorf("%d HEADs and %d listings of the replica, want %d and %d (%v)", h, l, c.heads, c.listReplic, e.proxy.Counts())
			}
		})
	}

	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", manifest, "--no-checkpoint", "--report", rep)...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 3 || rf.Skipped["exists"] != 1 || rf.Skipped["newer-in-replica"] != 1 {
		t.Errorf("copy %+v", rf)
	}
	for k, want := range map[string]string{"a.exr": "a", "older.exr": "the final cut", "dir/x.exr": "x", "newer.exr": "written in the replica", "extra.exr": "e"} {
		if got := e.body(e.dst, k); got != want {
			t.Errorf("replica %s = %q, want %q", k, got, want)
		}
	}
}

// TestInventoryCopyRequestsPerObject: into an empty replica, an inventory
// copy makes one CopyObject per object and a handful of other requests:
// at most 1.01 requests per object.
func TestInventoryCopyRequestsPerObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 500 {
		objs = append(objs, obj{key: fmt.Sprintf("shows/s%d/f%04d.exr", i%5, i), body: fmt.Sprint(i)})
	}
	e.put(e.src, objs...)
	var rows strings.Builder
	for _, r := range e.inventoryRows() {
		rows.WriteString(r.csvLine(e.src))
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(rows.String())}, "CSV", invSchema)
	e.proxy.Reset()
	mustCode(t, e.run(e.copyArgs("--inventory", manifest, "--checkpoint", filepath.Join(e.dir, "c.db"))...), 0)
	c := e.proxy.Counts()
	total := 0
	for _, n := range c {
		total += n
	}
	if c["CopyObject"] != 500 || float64(total)/500 > 1.01 {
		t.Errorf("%d requests for 500 objects (%.3f per object): %v", total, float64(total)/500, c)
	}
	if len(e.listing(e.dst, "")) != 500 {
		t.Error("replica incomplete")
	}
}

// The replica lookup's flags go with --inventory, and --all-versions keeps
// its HEADs: other combinations are usage errors.
func TestReplicaLookupUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{
		{"--replica-lookup", "list"},
		{"--dest-inventory", "m.json"},
		{"--inventory", "m.json", "--replica-lookup", "guess"},
		{"--inventory", "m.json", "--replica-lookup", "inventory"},
		{"--inventory", "m.json", "--replica-lookup", "head", "--dest-inventory", "d.json"},
		{"--inventory", "m.json", "--all-versions", "--replica-lookup", "list"},
		{"--inventory", "m.json", "--dest-inventory", "d.json", "--dest-inventory-date", "2026-11-23"},
	} {
		r := e.run(e.copyArgs(append(args, "--no-checkpoint")...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "-") {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	if n := len(e.proxy.Requests()); n != 0 {
		t.Errorf("usage errors made %d requests", n)
	}
}
