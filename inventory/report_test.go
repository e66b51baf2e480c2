package inventory

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReportManifest(t *testing.T) {
	good := `{"Format":"Report_CSV_20180820","ReportCreationDate":"2026-11-01T00:00:00Z","Results":[
{"TaskExecutionStatus":"failed","Bucket":"reports","MD5Checksum":"abc","Key":"job-1/results/x.csv"},
{"TaskExecutionStatus":"succeeded","Bucket":"reports","MD5Checksum":"def","Key":"job-1/results/y.csv"}],
"ReportSchema":"Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"}`
	m, err := ParseReportManifest(strings.NewReader(good), "manifest.json")
	if err != nil || len(m.Results) != 2 || m.Results[0].TaskExecutionStatus != "failed" {
		t.Fatalf("%+v %v", m, err)
	}
	for name, bad := range map[string]string{
		"not json":       "hello",
		"other format":   `{"Format":"S3InventoryReport_CSV_20161130","Results":[]}`,
		"result w/o md5": `{"Format":"Report_CSV_20180820","Results":[{"TaskExecutionStatus":"failed","Bucket":"b","Key":"k"}]}`,
		"odd status":     `{"Format":"Report_CSV_20180820","Results":[{"TaskExecutionStatus":"maybe","Bucket":"b","Key":"k","MD5Checksum":"x"}]}`,
	} {
		var pe *ParseError
		if _, err := ParseReportManifest(strings.NewReader(bad), "manifest.json"); !errors.As(err, &pe) || pe.File != "manifest.json" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReportReaderBothColumnOrders(t *testing.T) {
	in := "media,a%20b.exr,,failed,403,AccessDenied,\"Access Denied, really\"\n" + // observed order
		"media,c.exr,v1,failed,InternalError,500,oops\n" + // documented order
		"media,d.exr,,succeeded,200,,Successful\n"
	r := NewReportReader(strings.NewReader(in), "x.csv")
	var rows []ReportRow
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if len(rows) != 3 || rows[0].Key != "a b.exr" || rows[0].HTTPStatus != 403 || rows[0].ErrorCode != "AccessDenied" ||
		rows[0].Message != "Access Denied, really" || rows[1].ErrorCode != "InternalError" || rows[1].HTTPStatus != 500 ||
		rows[1].VersionID != "v1" || rows[2].TaskStatus != "succeeded" {
		t.Errorf("rows %+v", rows)
	}
	for name, bad := range map[string]string{
		"short":      "media,a,,failed,403\n",
		"no status":  "media,a,,failed,Denied,Nope,msg\n",
		"odd task":   "media,a,,maybe,403,AccessDenied,msg\n",
		"bad escape": "media,a%zz,,failed,403,AccessDenied,msg\n",
	} {
		var pe *ParseError
		if _, err := NewReportReader(strings.NewReader(bad), "x.csv").Next(); !errors.As(err, &pe) || pe.Line != 1 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
