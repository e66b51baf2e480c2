package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// A verify interrupted half way, run again on its checkpoint, goes on
// from what it compared (no listing twice) and ends with the same
// findings as one run; a finished verify is not resumed by the next.
func TestVerifyResumesFromItsCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 300 {
		objs = append(objs, obj{key: padded(i/30) + "/f" + padded(i) + ".exr", body: "x"})
	}
	e.put(e.src, objs...)
	e.put(e.dst, objs[:250]...) // 50 missing
	cp, rep := filepath.Join(e.dir, "v.db"), filepath.Join(e.dir, "v.json")
	args := []string{"verify", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress", "--min-age", "0s", "--checkpoint", cp, "--report", rep}
	var held atomic.Int32
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "ListObjectsV2" && r.Query.Get("prefix") >= "0005" {
			held.Add(1)
			return &s3test.Fault{Delay: time.Minute} // the second half waits: the run is killed meanwhile
		}
		return nil
	})
	cmd := e.command(args...)
	cmd.Start()
	deadline := time.Now().Add(60 * time.Second)
	for held.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second) // the first half's shards settled and committed
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	e.proxy.SetHook(nil)
	e.proxy.Reset()
	r := e.run(args...)
	mustCode(t, r, 3)
	vr := verifyReport(t, rep)
	if !vr.Resumed || vr.Checked != 300 || classCount(vr, "missing") != 50 || classCount(vr, "same") != 250 {
		t.Errorf("resumed: %+v %+v", vr.Resumed, vr.Tally)
	}
	if n := e.proxy.Count("ListObjectsV2"); n >= 2*10+2 {
		t.Errorf("the resumed verify listed %d pages: everything again", n)
	}
	// Finished: the next run starts a new verify.
	e.proxy.Reset()
	mustCode(t, e.run(args...), 3)
	if vr = verifyReport(t, rep); vr.Resumed || vr.Checked != 300 {
		t.Errorf("after a finished verify: %+v", vr)
	}
}

// Both sides from inventories (sorted on disk), and mixed: the same
// findings as the listings, and the primary's inventory shows the
// replication status a listing cannot.
func TestVerifyFromInventories(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, k := range []string{"a.exr", "b.exr", "c.exr", "dir/d.exr"} {
		e.put(e.src, obj{key: k, body: "body " + k})
	}
	e.put(e.dst, obj{key: "a.exr", body: "body a.exr"}, obj{key: "b.exr", body: "body b.exr"}, obj{key: "extra.exr", body: "e"})
	srcRows := e.inventoryRows()
	set := func(k string, f func(*invRow)) { r := srcRows[k]; f(&r); srcRows[k] = r }
	set("c.exr", func(r *invRow) { r.repl = "FAILED" })
	var data strings.Builder
	for _, r := range srcRows {
		data.WriteString(r.csvLine(e.src))
	}
	srcManifest, _ := writeInventory(t, filepath.Join(e.dir, "src"), e.src, "2026-11-23T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	e2 := *e
	e2.src = e.dst
	var ddata strings.Builder
	for _, r := range e2.inventoryRows() {
		ddata.WriteString(r.csvLine(e.dst))
	}
	dstManifest, _ := writeInventory(t, filepath.Join(e.dir, "dst"), e.dst, "2026-11-23T01-00Z", [][]byte{gz(ddata.String())}, "CSV", invSchema)
	rep := filepath.Join(e.dir, "v.json")
	base := []string{"verify", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress", "--min-age", "0s", "--report", rep}
	for name, extra := range map[string][]string{
		"both":    {"--inventory", srcManifest, "--dest-inventory", dstManifest},
		"primary": {"--inventory", srcManifest},
		"replica": {"--dest-inventory", dstManifest},
	} {
		e.proxy.Reset()
		r := e.run(append(base, extra...)...)
		mustCode(t, r, 3)
		vr := verifyReport(t, rep)
		failed, missing := classCount(vr, "replication-failed"), classCount(vr, "missing")
		if name == "replica" {
			failed, missing = 1, missing-1 // a listing of the primary cannot see FAILED
		}
		if failed != 1 || missing != 1 || classCount(vr, "same") != 2 || classCount(vr, "extra") != 1 {
			t.Errorf("%s: %+v\n%s", name, vr.Tally, r.stdout)
		}
		if name == "both" && e.proxy.Count("ListObjectsV2") > 2 { // the two preflight probes
			t.Errorf("%s: listed %d pages", name, e.proxy.Count("ListObjectsV2"))
		}
	}
}

// The metrics file: written atomically for node_exporter, the classes and
// the last success's timestamp, kept when a later run fails.
func TestVerifyMetricsFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a.exr", body: "a"}, obj{key: "b.exr", body: "b"})
	e.put(e.dst, obj{key: "a.exr", body: "a"})
	prom := filepath.Join(e.dir, "backfill.prom")
	args := []string{"verify", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress", "--min-age", "0s", "--metrics-file", prom}
	mustCode(t, e.run(args...), 3)
	b, _ := os.ReadFile(prom)
	for _, want := range []string{`backfill_verify_objects{class="missing"} 1`, `backfill_verify_objects{class="same"} 1`, "backfill_verify_whole 0", "backfill_verify_last_success_timestamp_seconds "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	success := metricLine(string(b), "backfill_verify_last_success_timestamp_seconds")
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "no"}
	})
	time.Sleep(1100 * time.Millisecond)
	mustCode(t, e.run(args...), 1)
	b, _ = os.ReadFile(prom)
	if got := metricLine(string(b), "backfill_verify_last_success_timestamp_seconds"); got != success || !strings.Contains(string(b), "backfill_verify_exit_code 1") {
		t.Errorf("a failed run: last success %q (was %q)\n%s", got, success, b)
	}
}

func metricLine(text, name string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}
