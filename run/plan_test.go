package run

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/report"
)

func newPlanRun(t *testing.T, objects int) *testRun {
	tr := newTestRun(t, objects)
	tr.spec.Plan, tr.spec.Engine.DryRun, tr.spec.Checkpoint = true, true, ""
	tr.spec.Output = report.Options{Report: filepath.Join(tr.dir, "plan.json")}
	return tr
}

type planFile struct {
	Event       string `json:"event"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	ExitCode    int    `json:"exit_code"`
	Error       string `json:"error"`
	WouldCopy   *struct {
		Count int64 `json:"count"`
	} `json:"would_copy"`
	Look map[string]int64 `json:"look_requests"`
}

func readPlan(t *testing.T, path string) (planFile, string) {
	t.Helper()
	checkPrivate(t, path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p planFile
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return p, string(b)
}

// A plan's --report is the plan itself, as --json prints it, never an
// empty file.
func TestPlanReportIsThePlan(t *testing.T) {
	tr := newPlanRun(t, 5)
	tr.spec.Output.JSON = true
	if err := tr.run(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	p, text := readPlan(t, tr.spec.Output.Report)
	if p.Event != "plan" || p.Source != "s3://media/" || p.Destination != "s3://replica/" || p.WouldCopy == nil || p.WouldCopy.Count != 5 || p.ExitCode != 0 {
		t.Errorf("plan report %s", text)
	}
	if p.Look == nil || strings.Contains(text, "null") {
		t.Errorf("plan report has a null: %s", text)
	}
	if text != tr.stdout.String() {
		t.Errorf("plan report\n%s\ndiffers from --json\n%s", text, tr.stdout.String())
	}
}

// A plan that stops on an error writes the error and its exit status to
// --report; one whose --report cannot be written stops before it asks S3
// anything, and leaves no file behind.
func TestPlanReportOnErrors(t *testing.T) {
	tr := newPlanRun(t, 3)
	delete(tr.fake.buckets, "replica")
	if err := tr.run(t.Context(), nil); ExitCode(err) != exitcode.Failed {
		t.Fatalf("exit %d (%v)", ExitCode(err), err)
	}
	p, text := readPlan(t, tr.spec.Output.Report)
	if p.ExitCode != exitcode.Failed || !strings.Contains(p.Error, `bucket "replica" does not exist`) || p.WouldCopy != nil {
		t.Errorf("plan report after an early failure: %s", text)
	}
	if tr.stdout.Len() != 0 {
		t.Errorf("stdout %q", tr.stdout.String())
	}

	tr = newPlanRun(t, 3)
	tr.spec.Output.Report = filepath.Join(tr.dir, "no-such-folder", "plan.json")
	err := tr.run(t.Context(), nil)
	if ExitCode(err) != exitcode.Failed || !strings.Contains(err.Error(), "--report") || tr.connected {
		t.Errorf("unwritable --report: exit %d (%v), connected %v", ExitCode(err), err, tr.connected)
	}
	if ents, _ := os.ReadDir(tr.dir); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}

// A plan without --concurrency (adaptive) estimates the local copy from
// where the adaptive concurrency starts, not from "nothing measured".
func TestPlanFactsAdaptiveConcurrency(t *testing.T) {
	for _, tc := range []struct {
		given, want int
		adaptive    bool
	}{{0, engine.DefaultStartConcurrency, true}, {64, 64, false}} {
		s := &Spec{}
		s.Engine.Concurrency = tc.given
		r := &copyRun{spec: s, plan: newPlanner(s.Engine), sides: &Sides{}}
		f := r.facts(nil)
		if f.Concurrency != tc.want || f.Adaptive != tc.adaptive {
			t.Errorf("--concurrency %d: facts say %d, adaptive %v", tc.given, f.Concurrency, f.Adaptive)
		}
	}
}
