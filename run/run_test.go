package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

// testRun is one run of the pipeline against a fakeS3 for both sides.
type testRun struct {
	fake           *fakeS3
	env            Env
	spec           *Spec
	stdout, stderr bytes.Buffer
	dir            string
	connected      bool
}

func newTestRun(t *testing.T, objects int) *testRun {
	t.Helper()
	tr := &testRun{fake: newFakeS3("media", "replica"), dir: t.TempDir()}
	for i := range objects {
		tr.fake.put("media", fmt.Sprintf("show/ep%d/shot-%03d.exr", i%3, i), fmt.Sprintf("frame %d", i))
	}
	from, _ := s3url.Parse("s3://media/")
	to, _ := s3url.Parse("s3://replica/")
	tr.spec = &Spec{
		From: from, To: to,
		Engine:     engine.Options{Concurrency: 4},
		Checkpoint: filepath.Join(tr.dir, "job.db"),
		Output:     report.Options{Report: filepath.Join(tr.dir, "report.json"), Failures: filepath.Join(tr.dir, "failures.csv")},
	}
	tr.spec.AWS.MaxAttempts = 1
	return tr
}

func (tr *testRun) run(ctx context.Context, ctl *Control) error {
	connect := func(context.Context, *Spec) (*Sides, error) {
		tr.connected = true
		return &Sides{Source: tr.fake, Dest: tr.fake}, nil
	}
	env := tr.env
	env.Stdout, env.Stderr, env.Control, env.Connect = &tr.stdout, &tr.stderr, ctl, connect
	return Run(ctx, tr.spec, env)
}

// readReport reads the --report file, and checks it is private.
func (tr *testRun) readReport(t *testing.T) report.Report {
	t.Helper()
	checkPrivate(t, tr.spec.Output.Report)
	b, err := os.ReadFile(tr.spec.Output.Report)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report %s: %v", b, err)
	}
	return rep
}

func checkPrivate(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", filepath.Base(path), st.Mode().Perm())
	}
}

func TestRunCopiesEverythingExit0(t *testing.T) {
	tr := newTestRun(t, 30)
	err := tr.run(t.Context(), nil)
	if code := ExitCode(err); code != exitcode.OK {
		t.Fatalf("exit %d (%v)\n%s%s", code, err, tr.stdout.String(), tr.stderr.String())
	}
	for k, o := range tr.fake.buckets["media"] {
		if got, ok := tr.fake.get("replica", k); !ok || got.body != o.body {
			t.Errorf("replica %s = %q, %v; want %q", k, got.body, ok, o.body)
		}
	}
	rep := tr.readReport(t)
	if rep.Copied != 30 || rep.ExitCode != 0 || rep.Job == nil || rep.Job.Copied != 30 || !rep.Job.ListingComplete {
		t.Errorf("report %+v job %+v", rep, rep.Job)
	}
	checkPrivate(t, tr.spec.Output.Failures)
	if !strings.Contains(tr.stdout.String(), "Copied 30 objects") {
		t.Errorf("summary: %s", tr.stdout.String())
	}
	// The same job again: everything is done, nothing is copied.
	tr2 := &testRun{fake: tr.fake, spec: tr.spec}
	before := tr.fake.copies
	if err := tr2.run(t.Context(), nil); err != nil || tr.fake.copies != before {
		t.Errorf("re-run: %v, %d more copies", err, tr.fake.copies-before)
	}
}

func TestRunObjectFailuresExit3(t *testing.T) {
	tr := newTestRun(t, 12)
	tr.fake.deny["show/ep1/shot-004.exr"] = true
	err := tr.run(t.Context(), nil)
	if code := ExitCode(err); code != exitcode.Partial || !Explained(err) {
		t.Fatalf("exit %d (%v), want 3 explained", code, err)
	}
	rep := tr.readReport(t)
	if rep.Copied != 11 || rep.Failed["AccessDenied"] != 1 || rep.ExitCode != exitcode.Partial {
		t.Errorf("report %+v", rep)
	}
	checkPrivate(t, tr.spec.Output.Failures)
	b, _ := os.ReadFile(tr.spec.Output.Failures)
	if string(b) != "media,show/ep1/shot-004.exr\n" {
		t.Errorf("failures file %q", b)
	}
}

func TestRunFailureExit1ReplacesLastReport(t *testing.T) {
	tr := newTestRun(t, 3)
	delete(tr.fake.buckets, "replica")
	for _, p := range []string{tr.spec.Output.Report, tr.spec.Output.Failures} {
		if err := os.WriteFile(p, []byte("last night's\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := tr.run(t.Context(), nil)
	if code := ExitCode(err); code != exitcode.Failed || !strings.Contains(err.Error(), `bucket "replica" does not exist`) {
		t.Fatalf("exit %d (%v), want 1 naming the missing bucket", code, err)
	}
	rep := tr.readReport(t)
	if rep.ExitCode != exitcode.Failed || !strings.Contains(rep.Error, "replica") || rep.Copied != 0 {
		t.Errorf("report %+v", rep)
	}
	// The error alone: no summary of a copy that never began.
	if tr.stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", tr.stdout.String())
	}
	// Neither last night's failures nor an empty file: nothing ran.
	if b, err := os.ReadFile(tr.spec.Output.Failures); err == nil {
		t.Errorf("failures file kept %q", b)
	}
	if tr.fake.copies != 0 {
		t.Errorf("%d copies", tr.fake.copies)
	}
}

func TestRunUsageExit2(t *testing.T) {
	for name, edit := range map[string]func(s *Spec){
		"overlap":       func(s *Spec) { s.To, _ = s3url.Parse("s3://media/backup/") },
		"two sources":   func(s *Spec) { s.Source.Manifest, s.Source.RetryFailed = "m.csv", true },
		"concurrency":   func(s *Spec) { s.Engine.Concurrency = -1 },
		"fixed and max": func(s *Spec) { s.Engine.Concurrency, s.Engine.MaxConcurrency = 8, 64 },
		"max too low":   func(s *Spec) { s.Engine.Concurrency, s.Engine.MaxConcurrency = 0, 4 },
		"shard alone":   func(s *Spec) { s.Source.Shard = "1/2" },
		"bad manifest":  func(s *Spec) { s.Source.Manifest = "s3://bucket-only" },
	} {
		t.Run(name, func(t *testing.T) {
			tr := newTestRun(t, 1)
			edit(tr.spec)
			err := tr.run(t.Context(), nil)
			if code := ExitCode(err); code != exitcode.Usage || Explained(err) {
				t.Fatalf("exit %d (%v), want 2 with a message", code, err)
			}
			if tr.connected {
				t.Error("a usage error reached S3")
			}
			if _, err := os.Stat(tr.spec.Output.Report); err == nil {
				t.Error("a usage error wrote a report")
			}
		})
	}
}

func TestRunCheckpointHeldExit4(t *testing.T) {
	tr := newTestRun(t, 1)
	held, err := checkpoint.Open(tr.spec.Checkpoint, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	err = tr.run(t.Context(), nil)
	if code := ExitCode(err); code != exitcode.Locked {
		t.Fatalf("exit %d (%v), want 4", code, err)
	}
	if _, err := os.Stat(tr.spec.Output.Report); err == nil {
		t.Error("a run refused its checkpoint but touched the report file")
	}
}

func TestRunInterruptedExit130(t *testing.T) {
	tr := newTestRun(t, 40)
	tr.spec.Engine.Concurrency = 1
	ctl := &Control{}
	var once sync.Once
	tr.fake.hold = func(string) { once.Do(func() { ctl.Stop() }) } // the first copy is in flight
	err := tr.run(t.Context(), ctl)
	if code := ExitCode(err); code != exitcode.Interrupted {
		t.Fatalf("exit %d (%v), want 130", code, err)
	}
	rep := tr.readReport(t)
	if !rep.Interrupted || rep.Copied < 1 || rep.Copied >= 40 || rep.ExitCode != exitcode.Interrupted {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(tr.stdout.String(), "run the same command again") {
		t.Errorf("summary: %s", tr.stdout.String())
	}
	// Resumed, the job finishes without copying anything twice.
	copied := tr.fake.copies
	tr.fake.hold = nil
	tr2 := &testRun{fake: tr.fake, spec: tr.spec}
	if err := tr2.run(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if tr.fake.copies != 40 {
		t.Errorf("%d copies in all (%d before the resume), want 40", tr.fake.copies, copied)
	}
}

func TestRunPlanCopiesNothing(t *testing.T) {
	tr := newTestRun(t, 9)
	tr.fake.put("replica", "show/ep0/shot-000.exr", "frame 0")
	tr.spec.Plan, tr.spec.Checkpoint = true, "" // a plan is a dry run without being told
	tr.spec.Output = report.Options{JSON: true}
	if err := tr.run(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Event     string `json:"event"`
		WouldCopy struct {
			Count int64 `json:"count"`
		} `json:"would_copy"`
		Skipped map[string]struct {
			Count int64 `json:"count"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal(tr.stdout.Bytes(), &p); err != nil {
		t.Fatalf("%v: %s", err, tr.stdout.String())
	}
	if p.Event != "plan" || p.WouldCopy.Count != 8 || p.Skipped["exists"].Count != 1 || tr.fake.copies != 0 {
		t.Errorf("plan %+v, %d copies", p, tr.fake.copies)
	}
}

// sliceStream is a fake source: the entries it was given.
type sliceStream []inventory.Entry

func (s sliceStream) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	for _, e := range s {
		select {
		case out <- e:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func TestRunWithAFakeSource(t *testing.T) {
	tr := newTestRun(t, 4)
	tr.spec.Include = []string{"show/ep1/*"}
	var entries sliceStream
	for k, o := range tr.fake.buckets["media"] {
		entries = append(entries, inventory.Entry{Rel: k, Source: inventory.Object{Bucket: "media", Key: k,
			Size: int64(len(o.body)), ETag: o.etag, LastModified: o.modified}})
	}
	entries = append(entries, inventory.Entry{Rel: "show/ep1/gone.exr", Named: true, Source: inventory.Object{Bucket: "media", Key: "show/ep1/gone.exr"}})
	var opened inventory.Spec
	tr.env.Open = func(_ context.Context, s inventory.Spec, _ inventory.Deps) (*inventory.Source, error) {
		opened = s
		return inventory.NewSource(entries), nil
	}
	err := tr.run(t.Context(), nil)
	if code := ExitCode(err); code != exitcode.Partial {
		t.Fatalf("exit %d (%v), want 3 (a named key the source lacks)", code, err)
	}
	rep := tr.readReport(t)
	if rep.Copied != 1 || rep.Skipped["excluded"] != 3 || rep.Failed["NoSuchKey"] != 1 {
		t.Errorf("report %+v", rep)
	}
	if opened.From.Bucket != "media" || opened.To.Bucket != "replica" {
		t.Errorf("the source was opened with %+v", opened)
	}
	if _, ok := tr.fake.get("replica", "show/ep1/shot-001.exr"); !ok {
		t.Error("the included object was not copied")
	}
}

func TestRunInterruptedBeforeTheCopyExit130(t *testing.T) {
	tr := newTestRun(t, 3)
	ctx, cancel := context.WithCancel(t.Context())
	tr.env.Open = func(context.Context, inventory.Spec, inventory.Deps) (*inventory.Source, error) {
		cancel() // Ctrl-C while the source is read
		return nil, context.Canceled
	}
	err := tr.run(ctx, nil)
	if code := ExitCode(err); code != exitcode.Interrupted || !strings.Contains(err.Error(), "interrupted before the copy began") {
		t.Fatalf("exit %d (%v), want 130", code, err)
	}
	if rep := tr.readReport(t); rep.ExitCode != exitcode.Interrupted || tr.fake.copies != 0 {
		t.Errorf("report %+v, %d copies", rep, tr.fake.copies)
	}
}

func TestRunAnotherJobOnTheCheckpointExit2(t *testing.T) {
	tr := newTestRun(t, 2)
	if err := tr.run(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	tr2 := &testRun{fake: tr.fake, spec: tr.spec}
	tr2.spec.Engine.StorageClass = "STANDARD_IA"
	err := tr2.run(t.Context(), nil)
	if code := ExitCode(err); code != exitcode.Usage || !strings.Contains(err.Error(), "storage-class") {
		t.Fatalf("exit %d (%v), want 2 naming the difference", code, err)
	}
	if rep := tr2.readReport(t); rep.ExitCode != exitcode.Usage || rep.Copied != 0 {
		t.Errorf("the report of the refused run: %+v", rep)
	}
}
