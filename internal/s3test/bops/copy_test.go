package bops

import (
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// A copy job over more than 1,000 objects completes with exact copies and a
// report of one succeeded row per object.
func TestCopyJobCopiesEveryObject(t *testing.T) {
	e := newEnv(t, Options{Concurrency: 16})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	keys := make([]string, 1100)
	for i := range keys {
		keys[i] = fmt.Sprintf("media/shot-%04d.exr", i)
	}
	keys[7] = "media/with space+plus.exr"
	e.putMany(src, keys)
	e.put(src, "media/shot-0001.exr", "meta", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("image/x-exr")
		in.Metadata = map[string]string{"camera": "a"}
		in.Tagging = aws.String("stage=final")
	})
	id := e.create(e.copyJob(e.manifest(src, "m.csv", csvRows(src, keys)), dst, rep))
	d := e.wait(id, types.JobStatusComplete)
	p := d.ProgressSummary
	if aws.ToInt64(p.TotalNumberOfTasks) != 1100 || aws.ToInt64(p.NumberOfTasksSucceeded) != 1100 || aws.ToInt64(p.NumberOfTasksFailed) != 0 {
		t.Fatalf("progress %d/%d/%d", aws.ToInt64(p.TotalNumberOfTasks), aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed))
	}
	for _, k := range keys {
		body, _, err := e.get(dst, k)
		want := k
		if k == "media/shot-0001.exr" {
			want = "meta"
		}
		if err != nil || body != want {
			t.Fatalf("copy of %q: %q, %v", k, body, err)
		}
	}
	_, out, _ := e.get(dst, "media/shot-0001.exr")
	if aws.ToString(out.ContentType) != "image/x-exr" || out.Metadata["camera"] != "a" {
		t.Errorf("metadata not copied: %q %v", aws.ToString(out.ContentType), out.Metadata)
	}
	tags, err := e.s3.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: &dst, Key: aws.String("media/shot-0001.exr")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Value) != "final" {
		t.Errorf("tags not copied: %v %v", tags, err)
	}
	r := e.report(rep, "reports", id)
	if len(r.rows["succeeded"]) != 1100 || len(r.rows["failed"]) != 0 {
		t.Fatalf("report rows: %d succeeded, %d failed", len(r.rows["succeeded"]), len(r.rows["failed"]))
	}
	var got []string
	for _, row := range r.rows["succeeded"] {
		if len(row) != 7 || row[0] != src || row[3] != "succeeded" || row[4] != "200" || row[5] != "" {
			t.Fatalf("row %q", row)
		}
		k, err := decodeManifestKey(row[1])
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	sort.Strings(got)
	want := append([]string(nil), keys...)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Error("report keys differ from the manifest's")
	}
}

// Failed tasks (a missing key, a source above 5 GiB) appear in the report
// with the HTTP status before the error code; FailedTasksOnly leaves the
// succeeded tasks out.
func TestCopyJobFailedTasksInReport(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.putMany(src, []string{"ok-1", "ok-2"})
	e.sparseObject(src, "huge.mov", maxCopySize+1)
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"ok-1", "missing", "ok-2", "huge.mov"})), dst, rep)
	in.Report.ReportScope = types.JobReportScopeFailedTasksOnly
	id := e.create(in)
	d := e.wait(id, types.JobStatusComplete)
	if p := d.ProgressSummary; aws.ToInt64(p.NumberOfTasksSucceeded) != 2 || aws.ToInt64(p.NumberOfTasksFailed) != 2 {
		t.Fatalf("progress %+v", p)
	}
	r := e.report(rep, "reports", id)
	if len(r.manifest.Results) != 1 || r.manifest.Results[0].TaskExecutionStatus != "failed" {
		t.Fatalf("FailedTasksOnly report lists %+v", r.manifest.Results)
	}
	if r.manifest.Format != "Report_CSV_20180820" || r.manifest.ReportSchema != "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage" {
		t.Errorf("manifest.json %+v", r.manifest)
	}
	byKey := map[string][]string{}
	for _, row := range r.rows["failed"] {
		byKey[row[1]] = row
	}
	want := map[string][]string{
		"missing":  {src, "missing", "", "failed", "404", "NoSuchKey"},
		"huge.mov": {src, "huge.mov", "", "failed", "400", "InvalidRequest"},
	}
	if len(byKey) != len(want) {
		t.Fatalf("failed rows %q", r.rows["failed"])
	}
	for k, w := range want {
		if got := byKey[k]; len(got) != 7 || fmt.Sprint(got[:6]) != fmt.Sprint(w) {
			t.Errorf("row for %s: %q, want %q,...", k, got, w)
		}
	}
	if msg := byKey["huge.mov"][6]; msg != "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120" {
		t.Errorf("message %q", msg)
	}
	if _, _, err := e.get(dst, "huge.mov"); err == nil {
		t.Error("the object above 5 GiB was copied")
	}
}

// A manifest with version ids copies those versions; an empty version id
// fails its task with the documented 400 InvalidRequest.
func TestCopyJobVersionIDs(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(true), e.bucket(false), e.bucket(false)
	v1 := aws.ToString(e.put(src, "clip", "first").VersionId)
	e.put(src, "clip", "second")
	body := fmt.Sprintf("%s,clip,%s\n%s,clip,\n", src, v1, src)
	id := e.create(e.copyJob(e.manifest(src, "m.csv", body, "Bucket", "Key", "VersionId"), dst, rep))
	e.wait(id, types.JobStatusComplete)
	if got, _, err := e.get(dst, "clip"); err != nil || got != "first" {
		t.Fatalf("copy of version %s: %q %v", v1, got, err)
	}
	r := e.report(rep, "reports", id)
	if len(r.rows["succeeded"]) != 1 || r.rows["succeeded"][0][2] != v1 {
		t.Errorf("succeeded rows %q", r.rows["succeeded"])
	}
	want := []string{src, "clip", "", "failed", "400", "InvalidRequest", "Task failed due to missing VersionId"}
	if len(r.rows["failed"]) != 1 || fmt.Sprint(r.rows["failed"][0]) != fmt.Sprint(want) {
		t.Errorf("failed rows %q, want %q", r.rows["failed"], want)
	}
}
