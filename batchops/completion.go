package batchops

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

// reportManifestURL is where S3 writes a job's completion report:
// s3://BUCKET/PREFIX/job-ID/manifest.json.
func reportManifestURL(r *types.JobReport, id string) string {
	bucket := strings.TrimPrefix(aws.ToString(r.Bucket), "arn:aws:s3:::")
	prefix := strings.TrimSuffix(aws.ToString(r.Prefix), "/")
	if prefix != "" {
		prefix += "/"
	}
	return "s3://" + bucket + "/" + prefix + "job-" + id + "/manifest.json"
}

// Completion is what a job's completion report says.
type Completion struct {
	JobID     string `json:"job_id"`
	Manifest  string `json:"report"`
	Succeeded int64  `json:"succeeded"`
	Failed    int64  `json:"failed"`
	// ByCode counts the failed tasks by error code; Examples are the first
	// few of each (key and message).
	ByCode   map[string]int64    `json:"failed_by_code"`
	Examples map[string][]string `json:"examples"`
	// Bucket is the bucket the tasks read (the job's source).
	Bucket string `json:"source_bucket"`
	// FailuresFile is the --failures manifest written, if any.
	FailuresFile string `json:"failures_file,omitempty"`
}

// readCompletion reads a job's completion report from S3: its
// manifest.json and every results file it lists (each checked against its
// MD5Checksum), rows read with the --completion-report reader (both
// column orders S3 has been seen to write). failed, when set, receives
// every failed task.
func readCompletion(ctx context.Context, api bucketAPI, url string, examples int, failed func(inventory.ReportRow) error) (*Completion, error) {
	c := &Completion{Manifest: url, ByCode: map[string]int64{}, Examples: map[string][]string{}}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(url, "s3://"), "/")
	body, err := getAll(ctx, api, bucket, key)
	if err != nil {
		if code := s3err.Code(err); code == "NoSuchKey" || code == "HTTP404" {
			return nil, fmt.Errorf("no completion report at %s: S3 writes one when the job ends, if at least one task ran", url)
		}
		return nil, fmt.Errorf("read the completion report %s: %w", url, err)
	}
	m, err := inventory.ParseReportManifest(bytes.NewReader(body), url)
	if err != nil {
		return nil, err
	}
	for _, res := range m.Results {
		if err := c.readResults(ctx, api, url, res, examples, failed); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Completion) readResults(ctx context.Context, api bucketAPI, url string, res inventory.ReportResult, examples int, failed func(inventory.ReportRow) error) error {
	name := "s3://" + res.Bucket + "/" + res.Key
	body, err := getAll(ctx, api, res.Bucket, res.Key)
	if err != nil {
		return fmt.Errorf("completion report %s: results file %s: %w", url, name, err)
	}
	sum := md5.Sum(body)
	if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, res.MD5Checksum) {
		return fmt.Errorf("completion report %s: results file %s: MD5 %s, but the manifest says %s", url, name, got, res.MD5Checksum)
	}
	r := inventory.NewReportReader(bytes.NewReader(body), name)
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		c.Bucket = row.Bucket
		if row.TaskStatus == "succeeded" {
			c.Succeeded++
			continue
		}
		c.Failed++
		code := row.ErrorCode
		if code == "" {
			code = fmt.Sprintf("HTTP%d", row.HTTPStatus)
		}
		c.ByCode[code]++
		if len(c.Examples[code]) < examples {
			c.Examples[code] = append(c.Examples[code], fmt.Sprintf("%s: %s", row.Key, row.Message))
		}
		if failed != nil {
			if err := failed(row); err != nil {
				return err
			}
		}
	}
}

func getAll(ctx context.Context, api bucketAPI, bucket, key string) ([]byte, error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// ReportSpec is `batchops report JOB`.
type ReportSpec struct {
	JobRef
	AWS awsconf.Options
	// Failures, when set, receives the failed tasks as a Batch Operations
	// CSV manifest (mode 0600): the input of a retry.
	Failures string
	Examples int
}

// Report reads a finished job's completion report and prints its failures
// by error code. Exit status 0 when no task failed, 3 when some did.
func Report(ctx context.Context, s ReportSpec, env Env) error {
	c, err := connectJob(ctx, s.JobRef)
	if err != nil {
		return err
	}
	d, err := describe(ctx, c, s.ID)
	if err != nil {
		return err
	}
	url, err := completionURL(d)
	if err != nil {
		return err
	}
	api, err := connectS3(ctx, s.AWS, c.region)
	if err != nil {
		return err
	}
	var mf *report.ManifestFile
	var write func(inventory.ReportRow) error
	if s.Failures != "" {
		if mf, err = report.CreateManifest(s.Failures); err != nil {
			return run.Usagef("--failures: %w", err)
		}
		write = func(r inventory.ReportRow) error { return mf.Write(r.Bucket, r.Key, r.VersionID) }
	}
	comp, err := readCompletion(ctx, api, url, s.Examples, write)
	if mf != nil {
		if cerr := mf.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	comp.JobID, comp.FailuresFile = s.ID, s.Failures
	newPrinter(env.Stdout, s.JSON).completion(comp)
	if comp.Failed > 0 {
		return &run.ExitError{Code: exitcode.Partial}
	}
	return nil
}

// completionURL is where a finished job's report is, or why there is none.
func completionURL(d *types.JobDescriptor) (string, error) {
	id := aws.ToString(d.JobId)
	switch {
	case d.Report == nil || !d.Report.Enabled:
		return "", &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s was made without a completion report", id)}
	case !terminal(d.Status):
		return "", &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s is %s: S3 writes its completion report when it ends (`backfill batchops wait %s`)", id, d.Status, id)}
	}
	return reportManifestURL(d.Report, id), nil
}

func (p *printer) completion(c *Completion) {
	if p.json {
		p.emit("report", c)
		return
	}
	fmt.Fprintf(p.w, "Job %s, completion report %s\n", c.JobID, c.Manifest)
	fmt.Fprintf(p.w, "  tasks    %d succeeded, %d failed\n", c.Succeeded, c.Failed)
	codes := make([]string, 0, len(c.ByCode))
	for code := range c.ByCode {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(p.w, "  %-24s %d\n", code, c.ByCode[code])
		for _, ex := range c.Examples[code] {
			fmt.Fprintf(p.w, "      %s\n", ex)
		}
	}
	if c.FailuresFile != "" {
		fmt.Fprintf(p.w, "  the %d failed tasks are in %s (`backfill batchops retry %s` submits them again)\n", c.Failed, c.FailuresFile, c.JobID)
	}
}
