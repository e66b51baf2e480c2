package run

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/report"
)

// status and cleanup read what a copy recorded: on a checkpoint that does
// not exist they say so, naming it, exit 1, and create nothing.
func TestStatusAndCleanupOnAMissingCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nothing-ran.db")
	_, statusErr := Status(StatusSpec{Checkpoint: path})
	cleanupErr := Cleanup(context.Background(), CleanupSpec{Checkpoint: path},
		func(UploadLine) { t.Error("cleanup showed an upload") }, func(string) {})
	for name, err := range map[string]error{"status": statusErr, "cleanup": cleanupErr} {
		if err == nil || !strings.Contains(err.Error(), "no checkpoint at "+path) || ExitCode(err) != exitcode.Failed {
			t.Errorf("%s: %v (exit %d), want exit 1 saying there is no checkpoint at %s", name, err, ExitCode(err), path)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("created %v", ents)
	}
}

// An endpoint without a scheme is a usage error naming its flag, before
// anything is opened or asked (copy and plan: Validate; cleanup: Cleanup).
func TestEndpointWithoutSchemeIsAUsageError(t *testing.T) {
	for _, flag := range []string{"--endpoint-url", "--source-endpoint-url", "--dest-endpoint-url"} {
		tr := newTestRun(t, 1)
		switch flag {
		case "--endpoint-url":
			tr.spec.AWS.Endpoint = "localhost:9000"
		case "--source-endpoint-url":
			tr.spec.SrcSide.Endpoint = "localhost:9000"
		default:
			tr.spec.DstSide.Endpoint = "localhost:9000"
		}
		err := tr.run(context.Background(), nil)
		if ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), flag+` "localhost:9000" needs a scheme`) || tr.connected {
			t.Errorf("%s: %v (exit %d, connected %v)", flag, err, ExitCode(err), tr.connected)
		}
	}
	dir := t.TempDir()
	spec := CleanupSpec{Checkpoint: filepath.Join(dir, "job.db")}
	spec.AWS.Endpoint = "ftp://host"
	if err := Cleanup(context.Background(), spec, nil, nil); ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "--endpoint-url") {
		t.Errorf("cleanup: %v", err)
	}
	tr := newTestRun(t, 1)
	tr.spec.AWS.Endpoint = "https://s3.example.com:9000"
	if err := tr.run(context.Background(), nil); err != nil {
		t.Errorf("a URL with a scheme: %v", err)
	}
}

// status --json is typed: lists as lists, booleans as booleans, numbers as
// numbers, [] and {} when empty, snake_case keys, never null.
func TestStatusJSONIsTyped(t *testing.T) {
	tr := newTestRun(t, 4)
	tr.spec.Include, tr.spec.Exclude = []string{"*.exr", "show/*"}, []string{"tmp/*"}
	f, err := engine.NewFilter(tr.spec.Include, tr.spec.Exclude)
	if err != nil {
		t.Fatal(err)
	}
	tr.spec.Engine.Filter, tr.spec.Engine.MinAge = f, time.Millisecond
	if err := tr.run(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	rep, err := Status(StatusSpec{Checkpoint: tr.spec.Checkpoint, Examples: 5})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.JSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	noNulls(t, "status", m)
	spec := m["spec"].(map[string]any)
	want := map[string]any{
		"source": "s3://media/", "destination": "s3://replica/", "include": []any{"*.exr", "show/*"}, "exclude": []any{"tmp/*"},
		"min_age": "1ms", "include_archived": false, "bucket_key": false, "all_versions": false, "replication_status": []any{},
	}
	for k, v := range want {
		if !reflect.DeepEqual(spec[k], v) {
			t.Errorf("spec.%s = %#v, want %#v", k, spec[k], v)
		}
	}
	for k := range spec {
		if strings.ContainsAny(k, "- ") {
			t.Errorf("spec key %q", k)
		}
	}
	if !reflect.DeepEqual(m["failed_by_code"], []any{}) || !reflect.DeepEqual(m["uploads"], []any{}) || m["done"] != float64(4) {
		t.Errorf("status %s", b.String())
	}
	if totals := m["totals"].(map[string]any); !reflect.DeepEqual(totals["failed"], map[string]any{}) {
		t.Errorf("totals %v", totals)
	}
}

func noNulls(t *testing.T, where string, v any) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		t.Errorf("%s is null", where)
	case map[string]any:
		for k, e := range v {
			noNulls(t, where+"."+k, e)
		}
	case []any:
		for _, e := range v {
			noNulls(t, where, e)
		}
	}
}

// cleanup --json lines: the event first, like copy's, snake_case keys,
// no zero time, & as it is.
func TestUploadLineJSON(t *testing.T) {
	var b bytes.Buffer
	report.JSONLine(&b, UploadLine{Event: "listed", Bucket: "replica", Key: "Tom & Jerry.mov", UploadID: "u1"})
	if got, want := b.String(), `{"event":"listed","bucket":"replica","key":"Tom & Jerry.mov","upload_id":"u1"}`+"\n"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
