package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/report"
)

// TestKill9AndResume kills backfill with SIGKILL at random points of a real
// run (latency in the proxy keeps copies in flight) five times on the same
// checkpoint, then lets a sixth run finish. Every object must arrive exact;
// each run may repeat at most --concurrency copies of objects that were
// already done (in the replica) when it started; in all, at most
// n + concurrency per crash CopyObject requests are made.
func TestKill9AndResume(t *testing.T) {
	t.Parallel()
	onEachServer(t, testKill9AndResume)
}

func testKill9AndResume(t *testing.T, e *env) {
	const n, conc, crashes = 240, 8, 5
	var objs []obj
	for i := range n {
		// Objects at every level: in the root and show folders (listed by
		// folder, resumed with StartAfter) and in the shot folders (flat).
		key := fmt.Sprintf("show%d/shot%d/frame %04d.exr", i%3, i%5, i)
		switch i % 6 {
		case 0:
			key = fmt.Sprintf("root %04d.exr", i)
		case 1:
			key = fmt.Sprintf("show%d/edit %04d.mov", i%3, i)
		}
		objs = append(objs, obj{key: key, body: strings.Repeat(fmt.Sprint(i%10), 50+i),
			meta: map[string]string{"frame": fmt.Sprint(i)}, tags: fmt.Sprintf("n=%d", i), ctype: "image/x-exr"})
	}
	e.put(e.src, objs...)
	srcList := e.listing(e.src, "")
	e.proxy.SetLatency(20 * time.Millisecond)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	// repeatsOfDone counts the CopyObject requests since the last call for
	// objects the replica already held, exact, when the run started.
	seen := 0
	repeatsOfDone := func(before map[string]string) int {
		reqs := e.proxy.Requests()
		repeats := 0
		for _, r := range reqs[seen:] {
			if r.Op == "CopyObject" && before[r.Key] != "" && before[r.Key] == srcList[r.Key] {
				repeats++
			}
		}
		seen = len(reqs)
		return repeats
	}
	args := e.copyArgs("--concurrency", fmt.Sprint(conc))
	killed := 0
	for i := range crashes {
		before := e.listing(e.dst, "")
		target := e.proxy.Count("CopyObject") + rng.IntN(40) // +0: killed while listing; 5 x 40 < n, so work is always left
		cmd := e.command(args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
	wait:
		for e.proxy.Count("CopyObject") < target {
			select {
			case <-exited:
				break wait
			case <-time.After(time.Millisecond):
			}
		}
		time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		select {
		case <-exited:
			t.Logf("run %d finished before it could be killed", i)
		default:
			killed++
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		if r := repeatsOfDone(before); r > conc {
			t.Errorf("run %d: %d copies of objects already done; at most %d (the concurrency) may be repeated", i, r, conc)
		}
	}
	if killed < crashes-1 {
		t.Errorf("only %d of %d runs were killed while running", killed, crashes)
	}
	before := e.listing(e.dst, "")
	// What the final run must list again: exactly the objects the
	// checkpoint's shards do not cover (complete, or at or below the
	// watermark of the shard the object belongs to).
	uncovered := uncoveredKeys(t, filepath.Join(e.dir, "backfill.db"), srcList)
	rep := filepath.Join(e.dir, "final.json")
	r := e.run(append(args, "--report", rep)...)
	mustCode(t, r, 0)
	if rep := repeatsOfDone(before); rep > conc {
		t.Errorf("final run: %d copies of objects already done", rep)
	}
	rf := readReport(t, rep)
	if rf.Listed != int64(uncovered) {
		t.Errorf("final run listed %d objects; the checkpoint left %d uncovered", rf.Listed, uncovered)
	}
	if uncovered == n && len(before) > conc {
		t.Errorf("%d objects were done but the checkpoint covers none of them", len(before))
	}
	t.Logf("final run: listed %d of %d, copied %d, skipped %v", rf.Listed, n, rf.Copied, rf.Skipped)
	src, dst := e.listing(e.src, ""), e.listing(e.dst, "")
	if !reflect.DeepEqual(src, dst) {
		t.Fatalf("replica differs: %d vs %d objects", len(dst), len(src))
	}
	for _, o := range objs {
		if e.body(e.dst, o.key) != o.body {
			t.Errorf("%q: body differs", o.key)
		}
		if h := e.head(e.dst, o.key); h["meta"] != fmt.Sprint(o.meta) || h["Content-Type"] != "image/x-exr" {
			t.Errorf("%q: headers %v", o.key, h)
		}
		if tg := e.tags(e.dst, o.key); tg["n"] != strings.TrimPrefix(o.tags, "n=") {
			t.Errorf("%q: tags %v", o.key, tg)
		}
	}
	total := e.proxy.Count("CopyObject")
	t.Logf("%d CopyObject requests for %d objects over %d crashes", total, n, crashes)
	if total > n+crashes*conc {
		t.Errorf("%d CopyObject requests for %d objects: more than n + concurrency per crash", total, n)
	}
	// The finished job: a re-run makes no CopyObject and no per-object request.
	e.proxy.Reset()
	mustCode(t, e.run(args...), 0)
	if c := e.proxy.Counts(); c["CopyObject"] != 0 || e.proxy.Total() > 2 {
		t.Errorf("re-run after completion: %v", c)
	}
}

func TestCheckpointSpecResetAndMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a.exr", body: "a"}, obj{key: "b.jpg", body: "b"})
	mustCode(t, e.run(e.copyArgs("--include", "*.exr")...), 0)
	fi, err := os.Stat(filepath.Join(e.dir, "backfill.db"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("default checkpoint: %v %v", fi, err)
	}
	r := e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst+"/elsewhere", "--no-progress", "--include", "*.jpg")
	if r.code != 2 || !strings.Contains(r.stderr, `destination was "s3://`+e.dst+`/", now "s3://`+e.dst+`/elsewhere/"`) ||
		!strings.Contains(r.stderr, `include was "*.exr", now "*.jpg"`) || !strings.Contains(r.stderr, "--reset") {
		t.Fatalf("spec mismatch: exit %d\n%s", r.code, r.stderr)
	}
	if n := e.proxy.Count("CopyObject"); n != 1 {
		t.Errorf("%d copies; the refused run must copy nothing", n)
	}
	r = e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst+"/elsewhere", "--no-progress", "--include", "*.jpg", "--reset")
	mustCode(t, r, 0)
	if _, ok := e.listing(e.dst, "")["elsewhere/b.jpg"]; !ok {
		t.Error("--reset did not start the new job")
	}
}

func TestCheckpointHeldByAnotherRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 50 {
		objs = append(objs, obj{key: fmt.Sprintf("k%03d", i), body: "x"})
	}
	e.put(e.src, objs...)
	e.proxy.SetLatency(300 * time.Millisecond)
	first := e.command(e.copyArgs("--concurrency", "1")...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Kill(); first.Wait() }()
	for e.proxy.Count("CopyObject") == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	r := e.run(e.copyArgs()...)
	if r.code != 4 || !strings.Contains(r.stderr, "backfill.db") || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", first.Process.Pid)) {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	if d := time.Since(start); d > 15*time.Second { // the lock wait is 1 s; the rest is a loaded machine starting a process
		t.Errorf("the second run took %v to give up", d)
	}
	if r := e.run("status"); r.code != 4 {
		t.Errorf("status on a held checkpoint: exit %d\n%s", r.code, r.stderr)
	}
}

func TestCorruptCheckpointIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	for name, content := range map[string][]byte{
		"text.db":    []byte("these are my notes, not a database\n"),
		"garbage.db": bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096),
	} {
		path := filepath.Join(e.dir, name)
		os.WriteFile(path, content, 0o600)
		r := e.run(e.copyArgs("--checkpoint", path)...)
		if r.code != 1 || !strings.Contains(r.stderr, "not a backfill checkpoint") || !strings.Contains(r.stderr, name) ||
			strings.Contains(r.stderr, "panic") {
			t.Errorf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
			t.Errorf("%s was changed", name)
		}
		if r := e.run("status", "--checkpoint", path); r.code != 1 || !strings.Contains(r.stderr, "not a backfill checkpoint") {
			t.Errorf("status %s: exit %d\n%s", name, r.code, r.stderr)
		}
	}
	if n := e.proxy.Count("CopyObject"); n != 0 {
		t.Errorf("%d copies made", n)
	}
}

func TestStatusAndRetryFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 20 {
		objs = append(objs, obj{key: fmt.Sprintf("d/%02d file+%d.exr", i, i), body: fmt.Sprint(i)})
	}
	e.put(e.src, objs...)
	deny := map[string]bool{"d/03 file+3.exr": true, "d/07 file+7.exr": true, "d/11 file+11.exr": true}
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && deny[r.Key] {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "denied"}
		}
		return nil
	})
	mustCode(t, e.run(e.copyArgs()...), 3)
	// Running the finished job again copies nothing, but the job is still
	// not whole: exit 3, with the reason.
	r := e.run(e.copyArgs()...)
	mustCode(t, r, 3)
	if !strings.Contains(r.stdout, "3 objects of this job failed in earlier runs") {
		t.Errorf("re-run summary:\n%s", r.stdout)
	}

	r = e.run("status", "--json")
	mustCode(t, r, 0)
	var st report.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if st.Done != 17 || st.Failed != 3 || len(st.FailedBy) != 1 || st.FailedBy[0].Code != "AccessDenied" ||
		st.FailedBy[0].Count != 3 || len(st.FailedBy[0].Keys) != 3 || !st.Complete || st.Spec.Source != "s3://"+e.src+"/" {
		t.Errorf("status %+v", st)
	}
	r = e.run("status")
	mustCode(t, r, 0)
	for _, w := range []string{"done:      17", "failed:    3", "AccessDenied", `"d/03 file+3.exr"`, "listing:   complete"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("status text lacks %q:\n%s", w, r.stdout)
		}
	}
	fails := filepath.Join(e.dir, "failed.csv")
	mustCode(t, e.run("status", "--failures", fails), 0)
	b, _ := os.ReadFile(fails)
	want := e.src + ",d/03%20file%2B3.exr\n" + e.src + ",d/07%20file%2B7.exr\n" + e.src + ",d/11%20file%2B11.exr\n"
	if string(b) != want {
		t.Errorf("failures manifest:\n%s\nwant\n%s", b, want)
	}
	if fi, _ := os.Stat(fails); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}

	// A plain re-run does not retry access denied (it is not passing): no copy.
	e.proxy.Reset()
	mustCode(t, e.run(e.copyArgs()...), 3)
	if c := e.proxy.Count("CopyObject"); c != 0 {
		t.Errorf("plain re-run made %d copies", c)
	}
	// Retry only the failed ones, without listing.
	e.proxy.SetHook(nil)
	e.proxy.Reset()
	mustCode(t, e.run(e.copyArgs("--retry-failed")...), 0)
	c := e.proxy.Counts()
	heads := map[string]int{}
	for _, req := range e.proxy.Requests() {
		if req.Op == "HeadObject" {
			heads[req.Bucket]++
		}
	}
	if c["CopyObject"] != 3 || heads[e.src] != 3 || heads[e.dst] != 3 || c["ListObjectsV2"] > 2 {
		t.Errorf("retry requests %v (HEAD by bucket %v); want 3 CopyObject, one HEAD per failed object on each side, no listing beyond the preflight", c, heads)
	}
	r = e.run("status", "--json")
	json.Unmarshal([]byte(r.stdout), &st)
	if st.Done != 20 || st.Failed != 0 {
		t.Errorf("after retry: done %d failed %d", st.Done, st.Failed)
	}
	if len(e.listing(e.dst, "")) != 20 {
		t.Error("replica incomplete after retry")
	}
}

// uncoveredKeys counts the keys a resumed listing must list again given
// the checkpoint's shards: a key belongs to the longest recorded shard
// prefix it starts with, and is covered when that shard is complete or the
// key is at or below its watermark. (The source prefix is the bucket root,
// so relative keys are the keys.)
func uncoveredKeys(t *testing.T, path string, keys map[string]string) int {
	t.Helper()
	cp, err := checkpoint.Open(path, checkpoint.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	shards, err := cp.Shards()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k := range keys {
		var own *checkpoint.Shard
		for i := range shards {
			if strings.HasPrefix(k, shards[i].Prefix) && (own == nil || len(shards[i].Prefix) > len(own.Prefix)) {
				own = &shards[i]
			}
		}
		if own == nil || !(own.Complete || k <= own.Watermark) {
			n++
		}
	}
	return n
}
