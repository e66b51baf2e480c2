package batchops

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/inventory"
)

func md5of(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// putReport lays out a completion report in f as S3 writes it.
func putReport(f *fakeS3, files map[string]string, badMD5 string) {
	var results []string
	for name, body := range files {
		key := "reports/job-j1/results/" + name
		f.objects["rep/"+key] = []byte(body)
		sum := md5of(body)
		if name == badMD5 {
			sum = strings.Repeat("0", 32)
		}
		status := "failed"
		if strings.HasPrefix(name, "ok") {
			status = "succeeded"
		}
		results = append(results, fmt.Sprintf(`{"TaskExecutionStatus":%q,"Bucket":"rep","MD5Checksum":%q,"Key":%q}`, status, sum, key))
	}
	f.objects["rep/reports/job-j1/manifest.json"] = []byte(`{"Format":"Report_CSV_20180820","ReportCreationDate":"2026-11-20T10:00:00Z","Results":[` +
		strings.Join(results, ",") + `],"ReportSchema":"Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"}`)
}

// Both column orders S3 has been seen to write (HTTP status first, as the
// documentation's own example rows and the emulator; ErrorCode first, as
// ReportSchema says) read the same.
func TestReadCompletion(t *testing.T) {
	f := newFakeS3()
	putReport(f, map[string]string{
		"failed.csv": "src,shows/take%201%2Bfinal.mov,,failed,403,AccessDenied,\"Access Denied\"\nsrc,b.mov,v2,failed,InternalError,500,oops\n",
		"ok.csv":     "src,c.mov,,succeeded,200,,Successful\n",
	}, "")
	var failed []inventory.ReportRow
	c, err := readCompletion(context.Background(), f, "s3://rep/reports/job-j1/manifest.json", 1, func(r inventory.ReportRow) error {
		failed = append(failed, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Succeeded != 1 || c.Failed != 2 || c.ByCode["AccessDenied"] != 1 || c.ByCode["InternalError"] != 1 || c.Bucket != "src" ||
		c.Examples["AccessDenied"][0] != "shows/take 1+final.mov: Access Denied" {
		t.Errorf("completion %+v", c)
	}
	if len(failed) != 2 || failed[1].VersionID != "v2" && failed[0].VersionID != "v2" {
		t.Errorf("failed rows %+v", failed)
	}
	f = newFakeS3()
	putReport(f, map[string]string{"failed.csv": "src,a,,failed,403,AccessDenied,x\n"}, "failed.csv")
	if _, err := readCompletion(context.Background(), f, "s3://rep/reports/job-j1/manifest.json", 1, nil); err == nil || !strings.Contains(err.Error(), "failed.csv: MD5") {
		t.Errorf("MD5 mismatch: %v", err)
	}
	if _, err := readCompletion(context.Background(), newFakeS3(), "s3://rep/reports/job-j1/manifest.json", 1, nil); err == nil || !strings.Contains(err.Error(), "no completion report at s3://rep/reports/job-j1/manifest.json") {
		t.Errorf("no report: %v", err)
	}
}

func TestCompletionURL(t *testing.T) {
	d := &types.JobDescriptor{JobId: aws.String("j1"), Status: types.JobStatusComplete,
		Report: &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::rep"), Prefix: aws.String("reports/")}}
	if u, err := completionURL(d); err != nil || u != "s3://rep/reports/job-j1/manifest.json" {
		t.Errorf("%s %v", u, err)
	}
	d.Report.Prefix = nil
	if u, _ := completionURL(d); u != "s3://rep/job-j1/manifest.json" {
		t.Errorf("no prefix: %s", u)
	}
	d.Status = types.JobStatusActive
	if _, err := completionURL(d); err == nil || !strings.Contains(err.Error(), "is Active") {
		t.Errorf("active: %v", err)
	}
}

func TestViewAndExit(t *testing.T) {
	for _, tc := range []struct {
		status types.JobStatus
		failed int64
		code   int
	}{
		{types.JobStatusComplete, 0, exitcode.OK}, {types.JobStatusComplete, 2, exitcode.Partial}, {types.JobStatusFailed, 0, exitcode.Failed},
		{types.JobStatusCancelled, 0, exitcode.Failed}, {types.JobStatusActive, 5, exitcode.OK}, {types.JobStatusSuspended, 0, exitcode.OK},
	} {
		if got := exitOf(tc.status, tc.failed); got != tc.code {
			t.Errorf("%s with %d failed: exit %d, want %d", tc.status, tc.failed, got, tc.code)
		}
	}
	now := time.Now()
	v := viewOf(&types.JobDescriptor{JobId: aws.String("j"), Status: types.JobStatusActive, CreationTime: &now,
		Operation:       &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{}},
		ProgressSummary: &types.JobProgressSummary{TotalNumberOfTasks: aws.Int64(1000), NumberOfTasksSucceeded: aws.Int64(190), NumberOfTasksFailed: aws.Int64(10), Timers: &types.JobTimers{ElapsedTimeInActiveSeconds: aws.Int64(20)}},
		FailureReasons:  []types.JobFailure{{FailureCode: aws.String("X"), FailureReason: aws.String("y")}}})
	if v.Rate != 10 || v.ETA != 80 || v.Operation != "S3PutObjectCopy" || len(v.Reasons) != 1 || v.ExitCode != 0 {
		t.Errorf("view %+v", v)
	}
}
