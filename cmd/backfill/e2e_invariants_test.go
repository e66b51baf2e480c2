package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/backfill-dev/backfill/internal/s3test"
)

// age makes an object look modified d ago (on the servers that can: see
// server.age).
func (e *env) age(bucket, key string, d time.Duration) {
	e.t.Helper()
	e.server.age(e.t, bucket, key, d)
}

// unconditional names the copies that reached the server without the
// source's ETag as their condition.
func (e *env) unconditional() []string {
	var bad []string
	for _, r := range e.proxy.Requests() {
		if (r.Op == "CopyObject" || r.Op == "UploadPartCopy") && r.Header.Get("X-Amz-Copy-Source-If-Match") == "" {
			bad = append(bad, r.Op+" "+r.Key)
		}
	}
	return bad
}

// copiedKeys are the keys the server was asked to copy to.
func (e *env) copiedKeys() map[string]bool {
	got := map[string]bool{}
	for _, r := range e.proxy.Requests() {
		if r.Op == "CopyObject" {
			got[r.Key] = true
		}
	}
	return got
}

// invariantWorld: old objects, one just written, one whose source HEAD is
// refused; the proxy refuses HEAD of "denied.exr" in the source.
func invariantWorld(t *testing.T) *env {
	e := newEnv(t)
	for _, k := range []string{"ok 1.exr", "ok+2.exr", "denied.exr", "fresh.exr"} {
		e.put(e.src, obj{key: k, body: "body of " + k})
	}
	for _, k := range []string{"ok 1.exr", "ok+2.exr", "denied.exr"} {
		e.age(e.src, k, 3*time.Hour)
	}
	src := e.src
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "HeadObject" && r.Bucket == src && r.Key == "denied.exr" {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "no"}
		}
		return nil
	})
	return e
}

// checkInvariantRun: the old objects copied, the fresh one too new, the
// refused one failed with its HEAD's code and never copied; no copy
// without its condition.
func checkInvariantRun(t *testing.T, e *env, rep string, wantFailed map[string]int64) {
	t.Helper()
	rf := readReport(t, rep)
	if rf.Copied != 2 || rf.Skipped["too-new"] != 1 {
		t.Errorf("report: copied %d, skipped %v, failed %v", rf.Copied, rf.Skipped, rf.Failed)
	}
	for code, n := range wantFailed {
		if rf.Failed[code] != n {
			t.Errorf("failed %v, want %v", rf.Failed, wantFailed)
		}
	}
	if bad := e.unconditional(); len(bad) > 0 {
		t.Errorf("copies sent without their source-ETag condition: %v", bad)
	}
	if got := e.copiedKeys(); got["denied.exr"] || got["fresh.exr"] || !got["ok 1.exr"] || !got["ok+2.exr"] {
		t.Errorf("copied %v", got)
	}
}

// A manifest's rows carry no ETag or date: each object is HEADed first. A
// refused HEAD is that object's failure (no unconditional copy), and a key
// the source does not have is NoSuchKey (exit 3), never "gone".
func TestManifestCopiesAreConditional(t *testing.T) {
	t.Parallel()
	e := invariantWorld(t)
	manifest := filepath.Join(e.dir, "m.csv")
	rows := []string{"ok%201.exr", "ok%2B2.exr", "denied.exr", "fresh.exr", "typo.exr"}
	var b strings.Builder
	for _, k := range rows {
		fmt.Fprintf(&b, "%s,%s\n", e.src, k)
	}
	os.WriteFile(manifest, []byte(b.String()), 0o600)
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--manifest", manifest, "--min-age", "1h", "--report", rep, "--no-checkpoint")...)
	mustCode(t, r, 3)
	checkInvariantRun(t, e, rep, map[string]int64{"NoSuchKey": 1, "Forbidden": 1})
}

func TestCompletionReportCopiesAreConditional(t *testing.T) {
	t.Parallel()
	e := invariantWorld(t)
	var failed strings.Builder
	for _, k := range []string{"ok%201.exr", "ok%2B2.exr", "denied.exr", "fresh.exr", "typo.exr"} {
		fmt.Fprintf(&failed, "%s,%s,,failed,500,InternalError,oops\n", e.src, k)
	}
	manifest, _ := writeReport(t, e.dir, e.src, "reports/", failed.String(), "", false)
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--completion-report", manifest, "--min-age", "1h", "--report", rep, "--no-checkpoint")...)
	mustCode(t, r, 3)
	checkInvariantRun(t, e, rep, map[string]int64{"NoSuchKey": 1, "Forbidden": 1})
}

// --retry-failed entries were listed once: a refused HEAD is a failure,
// and an object deleted since is gone.
func TestRetryFailedCopiesAreConditional(t *testing.T) {
	t.Parallel()
	e := invariantWorld(t)
	e.put(e.src, obj{key: "deleted.exr", body: "x"})
	e.age(e.src, "deleted.exr", 3*time.Hour)
	src := e.src
	cp := filepath.Join(e.dir, "cp.db")
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "not yet"}
		}
		return nil
	})
	mustCode(t, e.run(e.copyArgs("--checkpoint", cp)...), 3) // every object failed (fresh.exr too: no --min-age)
	if _, err := e.client.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(src), Key: aws.String("deleted.exr")}); err != nil {
		t.Fatal(err)
	}
	e.proxy.Reset()
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "HeadObject" && r.Bucket == src && r.Key == "denied.exr" {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "no"}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--retry-failed", "--checkpoint", cp, "--report", rep)...)
	mustCode(t, r, 3)
	rf := readReport(t, rep)
	if rf.Copied != 3 || rf.Failed["Forbidden"] != 1 || rf.Skipped["gone"] != 1 { // ok 1, ok+2, fresh (no --min-age here)
		t.Errorf("report: copied %d, skipped %v, failed %v", rf.Copied, rf.Skipped, rf.Failed)
	}
	if bad := e.unconditional(); len(bad) > 0 {
		t.Errorf("copies sent without their source-ETag condition: %v", bad)
	}
	if got := e.copiedKeys(); got["denied.exr"] || got["deleted.exr"] {
		t.Errorf("copied %v", got)
	}
}

// Inventory rows without an ETag or a date: each object is HEADed for
// them, and the copy is conditional and age-checked like any other.
func TestInventoryRowsWithoutETagOrDate(t *testing.T) {
	t.Parallel()
	e := invariantWorld(t)
	rows := e.inventoryRows()
	var data strings.Builder
	for k, r := range rows {
		switch k {
		case "ok 1.exr", "denied.exr":
			r.etag = ""
		case "ok+2.exr", "fresh.exr":
			r.modified = time.Time{}
		}
		data.WriteString(strings.Replace(r.csvLine(e.src), `"0001-01-01T00:00:00.000Z"`, `""`, 1))
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", manifest, "--min-age", "1h", "--report", rep, "--no-checkpoint")...)
	mustCode(t, r, 3)
	checkInvariantRun(t, e, rep, map[string]int64{"Forbidden": 1})
}

// parquetOptionalRow is a Parquet inventory row whose e_tag and
// last_modified_date may be null.
type parquetOptionalRow struct {
	Bucket           string     `parquet:"bucket"`
	Key              string     `parquet:"key"`
	IsLatest         *bool      `parquet:"is_latest,optional"`
	Size             *int64     `parquet:"size,optional"`
	LastModifiedDate *time.Time `parquet:"last_modified_date,optional,timestamp(millisecond)"`
	ETag             *string    `parquet:"e_tag,optional"`
	StorageClass     *string    `parquet:"storage_class,optional"`
}

// Parquet rows without an ETag or a date (null values) are HEADed first,
// as CSV rows are.
func TestParquetInventoryRowsWithoutETagOrDate(t *testing.T) {
	t.Parallel()
	e := invariantWorld(t)
	var rows []parquetOptionalRow
	for k, r := range e.inventoryRows() {
		pr := parquetOptionalRow{Bucket: e.src, Key: k, IsLatest: ptrTo(true), Size: ptrTo(r.size), LastModifiedDate: ptrTo(r.modified),
			ETag: ptrTo(strings.Trim(r.etag, `"`)), StorageClass: ptrTo("STANDARD")}
		switch k {
		case "ok 1.exr", "denied.exr":
			pr.ETag = nil
		case "ok+2.exr", "fresh.exr":
			pr.LastModifiedDate = nil
		}
		rows = append(rows, pr)
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{parquetBytes(t, rows)}, "Parquet",
		"message s3.inventory { required binary bucket (STRING); required binary key (STRING); ... }")
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", manifest, "--min-age", "1h", "--report", rep, "--no-checkpoint")...)
	mustCode(t, r, 3)
	checkInvariantRun(t, e, rep, map[string]int64{"Forbidden": 1})
}
