package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

func result(outcome engine.Outcome, key, reason string) *engine.Result {
	return &engine.Result{Outcome: outcome, Entry: inventory.Entry{Rel: key, Source: inventory.Object{Bucket: "media", Key: key, Size: 3, ETag: `"e"`}},
		DestKey: key, Reason: reason}
}

// --json is one shape: every object has its line (an excluded one too),
// named source and destination like the summary's; keys are snake_case;
// empty counts are {}; < > & are written as they are.
func TestJSONLinesShape(t *testing.T) {
	from, _ := s3url.Parse("s3://media/")
	to, _ := s3url.Parse("s3://replica/")
	var stdout bytes.Buffer
	rep := filepath.Join(t.TempDir(), "report.json")
	o, err := NewOutput(&stdout, &bytes.Buffer{}, Options{From: from, To: to, JSON: true, Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	o.Result(result(engine.Copied, "Tom & Jerry <1>.mov", ""))
	o.Result(result(engine.Skipped, "tmp/x.exr", engine.ReasonExcluded))
	o.SetJob(Job{Copied: 1})
	sum := &engine.Summary{Started: time.Now(), Finished: time.Now(), Copied: 1}
	if err := o.Finish(sum, nil, exitcode.OK); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 2 objects and the summary:\n%s", len(lines), stdout.String())
	}
	if !strings.Contains(lines[0], `"destination":"s3://replica/Tom & Jerry <1>.mov"`) {
		t.Errorf("copied line: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"event":"skipped"`) || !strings.Contains(lines[1], `"reason":"excluded"`) {
		t.Errorf("excluded line: %s", lines[1])
	}
	b, _ := os.ReadFile(rep)
	for name, text := range map[string]string{"object": lines[0], "summary": lines[2], "report": string(b)} {
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkShape(t, name, m)
	}
	if !strings.Contains(lines[2], `"skipped":{}`) || !strings.Contains(lines[2], `"failed":{}`) || !strings.Contains(lines[2], `"job":{"copied":1,"bytes_copied":0,"skipped":{}`) {
		t.Errorf("summary: %s", lines[2])
	}
}

// countMaps are JSON objects whose keys are data (a reason, an error
// code), not names.
var countMaps = map[string]bool{"skipped": true, "failed": true}

// checkShape fails on keys that are not snake_case and on nulls.
func checkShape(t *testing.T, where string, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		t.Errorf("%s: null", where)
	case map[string]any:
		for k, e := range v {
			if !countMaps[where] && (strings.ToLower(k) != k || strings.ContainsAny(k, "- ")) {
				t.Errorf("%s: key %q is not snake_case", where, k)
			}
			checkShape(t, k, e)
		}
	case []any:
		for _, e := range v {
			checkShape(t, where, e)
		}
	}
}

// A run that failed before it began writes its report, {} counts and
// all, and nothing on stdout.
func TestFinishEarly(t *testing.T) {
	var stdout bytes.Buffer
	rep := filepath.Join(t.TempDir(), "report.json")
	o, err := NewOutput(&stdout, &bytes.Buffer{}, Options{JSON: true, Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.FinishEarly(time.Now(), errors.New("no bucket"), exitcode.Failed); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(rep)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	checkShape(t, "report", m)
	if m["error"] != "no bucket" || m["exit_code"] != float64(1) || stdout.Len() != 0 {
		t.Errorf("report %s, stdout %q", b, stdout.String())
	}
}
