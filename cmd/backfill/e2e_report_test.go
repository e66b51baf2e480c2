package main

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeReport lays out a Batch Operations completion report as S3 writes
// it: job-ID/manifest.json and job-ID/results/*.csv, under dir (and, as
// keys, under prefix in the report bucket).
func writeReport(t *testing.T, dir, reportBucket, prefix string, failed, succeeded string, badMD5 bool) (manifestPath string, files map[string]string) {
	t.Helper()
	job := filepath.Join(dir, "job-abc")
	os.MkdirAll(filepath.Join(job, "results"), 0o755)
	files = map[string]string{}
	var results []string
	for name, body := range map[string]string{"failed.csv": failed, "ok.csv": succeeded} {
		os.WriteFile(filepath.Join(job, "results", name), []byte(body), 0o600)
		sum := md5.Sum([]byte(body))
		md := hex.EncodeToString(sum[:])
		if badMD5 && name == "failed.csv" {
			md = strings.Repeat("0", 32)
		}
		status := "failed"
		if name == "ok.csv" {
			status = "succeeded"
		}
		key := prefix + "job-abc/results/" + name
		files[key] = body
		results = append(results, fmt.Sprintf(`{"TaskExecutionStatus":%q,"Bucket":%q,"MD5Checksum":%q,"Key":%q}`, status, reportBucket, md, key))
	}
	manifest := `{"Format":"Report_CSV_20180820","ReportCreationDate":"2026-11-20T10:00:00Z","Results":[` + strings.Join(results, ",") +
		`],"ReportSchema":"Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"}`
	manifestPath = filepath.Join(job, "manifest.json")
	os.WriteFile(manifestPath, []byte(manifest), 0o600)
	files[prefix+"job-abc/manifest.json"] = manifest
	return manifestPath, files
}

func TestCompletionReportFailedTasksAreCopied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 8 {
		objs = append(objs, obj{key: fmt.Sprintf("reel %d.mov", i), body: fmt.Sprint(i)})
	}
	e.put(e.src, objs...)
	// Both column orders S3 has been seen to write.
	failed := e.src + ",reel%202.mov,,failed,403,AccessDenied,\"Access Denied\"\n" +
		e.src + ",reel%205.mov,,failed,InternalError,500,oops\n"
	ok := e.src + ",reel%200.mov,,succeeded,200,,Successful\n"
	manifest, files := writeReport(t, e.dir, e.src, "reports/", failed, ok, false)

	rep := filepath.Join(e.dir, "r.json")
	mustCode(t, e.run(e.copyArgs("--completion-report", manifest, "--no-checkpoint", "--report", rep)...), 0)
	if rf := readReport(t, rep); rf.Copied != 2 {
		t.Errorf("report %+v", rf)
	}
	c := e.proxy.Counts()
	if c["CopyObject"] != 2 || c["ListObjectsV2"] > 2 {
		t.Errorf("requests %v", c)
	}
	got := e.listing(e.dst, "")
	if _, a := got["reel 2.mov"]; !a || len(got) != 2 {
		t.Errorf("replica %v", got)
	}

	// The same report read from S3.
	for key, body := range files {
		e.put(e.src, obj{key: key, body: body})
	}
	e.proxy.Reset()
	mustCode(t, e.run(e.copyArgs("--completion-report", "s3://"+e.src+"/reports/job-abc/manifest.json", "--no-checkpoint", "--report", rep)...), 0)
	if rf := readReport(t, rep); rf.Skipped["exists"] != 2 {
		t.Errorf("from S3: report %+v", rf)
	}
}

func TestBadCompletionReportCopiesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	dir := t.TempDir()
	manifest, _ := writeReport(t, dir, e.src, "", e.src+",a,,failed,403,AccessDenied,x\n", "", true)
	r := e.run(e.copyArgs("--completion-report", manifest, "--no-checkpoint")...)
	if r.code != 1 || !strings.Contains(r.stderr, "failed.csv: MD5") || !strings.Contains(r.stderr, "nothing was copied") {
		t.Errorf("MD5 mismatch: exit %d\n%s", r.code, r.stderr)
	}
	os.Remove(filepath.Join(filepath.Dir(manifest), "results", "failed.csv"))
	r = e.run(e.copyArgs("--completion-report", manifest, "--no-checkpoint")...)
	if r.code != 1 || !strings.Contains(r.stderr, "failed.csv") {
		t.Errorf("missing results file: exit %d\n%s", r.code, r.stderr)
	}
	os.WriteFile(manifest, []byte(`{"Format":"S3BatchOperations_CSV_20180820","Results":[]}`), 0o600)
	r = e.run(e.copyArgs("--completion-report", manifest, "--no-checkpoint")...)
	if r.code != 1 || !strings.Contains(r.stderr, "Report_CSV_20180820") {
		t.Errorf("wrong format: exit %d\n%s", r.code, r.stderr)
	}
	if n := e.proxy.Count("CopyObject"); n != 0 {
		t.Errorf("%d copies from bad reports", n)
	}
}
