package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

func droppedRun(t *testing.T, jsonLines bool, n int) (stdout, stderr string) {
	t.Helper()
	var so, se bytes.Buffer
	o, err := NewOutput(&so, &se, Options{From: s3url.URL{Bucket: "src"}, To: s3url.URL{Bucket: "dst"}, JSON: jsonLines})
	if err != nil {
		t.Fatal(err)
	}
	sum := &engine.Summary{Started: time.Now(), Finished: time.Now(), Skipped: map[string]int64{}, Failed: map[string]int64{},
		Copied: int64(n), Dropped: map[string]int64{engine.DropChecksumAlgorithm: int64(n)}}
	for range n {
		o.Result(&engine.Result{Outcome: engine.Copied, Entry: inventory.Entry{Source: inventory.Object{Bucket: "src", Key: "big file.mov"}},
			DestKey: "big file.mov", Dropped: []engine.Drop{{What: engine.DropChecksumAlgorithm, Value: "SHA256"}}})
	}
	if err := o.Finish(sum, nil, 0); err != nil {
		t.Fatal(err)
	}
	return so.String(), se.String()
}

// A copy that lost its checksum algorithm says so: on its JSON line, on
// stderr in text mode, and counted in the summary and the report.
func TestDroppedIsReported(t *testing.T) {
	so, se := droppedRun(t, false, 2)
	if !strings.Contains(so, "2 objects copied without their checksum algorithm (the destination refused it on part copies).") {
		t.Errorf("summary:\n%s", so)
	}
	if want := "copied without its checksum-algorithm SHA256: s3://src/big file.mov (the destination refused it on part copies)\n"; strings.Count(se, want) != 2 {
		t.Errorf("stderr:\n%s", se)
	}
	if so, _ := droppedRun(t, false, 1); !strings.Contains(so, "1 object copied without its checksum algorithm") {
		t.Errorf("summary of one:\n%s", so)
	}

	so, _ = droppedRun(t, true, 1)
	lines := strings.Split(strings.TrimSpace(so), "\n")
	var obj struct {
		Event   string   `json:"event"`
		Dropped []string `json:"dropped"`
	}
	var rep Report
	if len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &obj) != nil || json.Unmarshal([]byte(lines[1]), &rep) != nil {
		t.Fatalf("JSON lines:\n%s", so)
	}
	if obj.Event != "copied" || len(obj.Dropped) != 1 || obj.Dropped[0] != "checksum-algorithm SHA256" {
		t.Errorf("object line %s", lines[0])
	}
	if rep.Dropped[engine.DropChecksumAlgorithm] != 1 {
		t.Errorf("summary line %s", lines[1])
	}
}
