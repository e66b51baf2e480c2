package bops

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The completion report (UG batch-ops-examples-reports):
//
//	<prefix>/job-<id>/manifest.json
//	<prefix>/job-<id>/results/<40 hex>.csv   one file of succeeded, one of failed tasks
//
// CSV rows have no header and the column order AWS really writes:
// Bucket, Key, VersionId, TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage
// (HTTP status before error code, as in the guide's own example rows,
// although manifest.json's ReportSchema names ErrorCode first; the schema
// string is written as AWS writes it). FailedTasksOnly writes only the
// failed file. Keys are percent-encoded (encodeKey). The report is written
// only when at least one task ran. Not emulated: SSE-S3 on the report
// objects. UNCONFIRMED: whether a '/' joins Prefix and job-<id> when the
// prefix has none, the results file names (AWS's are 40 hex digits too).

const reportSchema = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"

type reportManifest struct {
	Format             string         `json:"Format"`
	ReportCreationDate string         `json:"ReportCreationDate"`
	Results            []reportResult `json:"Results"`
	ReportSchema       string         `json:"ReportSchema"`
}

type reportResult struct {
	TaskExecutionStatus string `json:"TaskExecutionStatus"`
	Bucket              string `json:"Bucket"`
	MD5Checksum         string `json:"MD5Checksum"`
	Key                 string `json:"Key"`
}

func (s *Server) writeReport(j *job, rs *resultSet) {
	r := j.req.Report
	if !*r.Enabled {
		return
	}
	arn, _ := parseS3ARN(*r.Bucket, false)
	base := "job-" + j.id
	if p := deref(r.Prefix); p != "" {
		base = strings.TrimSuffix(p, "/") + "/" + base
	}
	ok, bad := reportCSVs(rs.all())
	m := reportManifest{Format: formatReport, ReportSchema: reportSchema,
		ReportCreationDate: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), Results: []reportResult{}}
	files := []struct {
		status string
		data   []byte
	}{{"succeeded", ok}, {"failed", bad}}
	for _, f := range files {
		if len(f.data) == 0 || f.status == "succeeded" && deref(r.ReportScope) == scopeFailedTasks {
			continue
		}
		name := sha1.Sum([]byte(j.id + "/" + f.status))
		key := base + "/results/" + hex.EncodeToString(name[:]) + ".csv"
		sum := md5.Sum(f.data)
		if !s.putReportObject(j, arn.Bucket, key, "text/csv", f.data) {
			return
		}
		m.Results = append(m.Results, reportResult{TaskExecutionStatus: f.status, Bucket: arn.Bucket,
			MD5Checksum: hex.EncodeToString(sum[:]), Key: key})
	}
	body, _ := json.MarshalIndent(m, "", "    ")
	s.putReportObject(j, arn.Bucket, base+"/manifest.json", "application/json", body)
}

// reportCSVs renders the succeeded and the failed rows.
func reportCSVs(results []taskResult) (ok, bad []byte) {
	var okBuf, badBuf bytes.Buffer
	okW, badW := csv.NewWriter(&okBuf), csv.NewWriter(&badBuf)
	for _, r := range results {
		w, status := okW, "succeeded"
		if !r.ok {
			w, status = badW, "failed"
		}
		_ = w.Write([]string{r.task.Bucket, encodeKey(r.task.Key), r.task.VersionID, status,
			strconv.Itoa(r.httpStatus), r.code, r.msg})
	}
	okW.Flush()
	badW.Flush()
	return okBuf.Bytes(), badBuf.Bytes()
}

// putReportObject writes one report object; a failure is recorded with the
// wording of UG troubleshooting-batch-operations, and the job keeps its
// status ("Only the delivery of the completion report fails").
func (s *Server) putReportObject(j *job, bucket, key, contentType string, data []byte) bool {
	if _, err := s.put(s.ctx, bucket, key, contentType, data); err != nil {
		j.addFailure(failReportWrite, "The job report could not be written to your report bucket. Please check your permissions.")
		s.opts.Logf("bops: job %s: report %s/%s: %v", j.id, bucket, key, err)
		return false
	}
	return true
}
