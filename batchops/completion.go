package batchops

import (
	"bytes"
	"cmp"
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

// Completion is what a job's completion report says, with the job's own
// task counts.
type Completion struct {
	JobID    string `json:"job_id"`
	Manifest string `json:"report"`
	// Scope is the report's scope: AllTasks, or FailedTasksOnly (then it
	// has no row of a succeeded task).
	Scope string `json:"report_scope"`
	// Total, Succeeded and Failed are the job's task counts, from
	// DescribeJob's ProgressSummary (the report's rows when S3 gave none).
	Total     int64 `json:"tasks_total"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	// RowsSucceeded and RowsFailed count the report's rows.
	RowsSucceeded int64 `json:"report_succeeded_rows"`
	RowsFailed    int64 `json:"report_failed_rows"`
	// ByCode counts the failed rows by error code; Examples are the first
	// few of each (key and message).
	ByCode   map[string]int64    `json:"failed_by_code"`
	Examples map[string][]string `json:"examples"`
	// Bucket is the bucket the tasks read (the job's source).
	Bucket string `json:"source_bucket"`
	// FailuresFile is the --failures manifest written, if any;
	// VersionsDropped says its rows name no version although some failed
	// tasks had one (a manifest names versions in every row or none).
	FailuresFile    string `json:"failures_file,omitempty"`
	VersionsDropped bool   `json:"versions_dropped,omitempty"`
}

// readCompletion reads a job's completion report from S3: its
// manifest.json and every results file it lists, each streamed (memory
// does not grow with the report) through the --completion-report reader
// (both column orders S3 has been seen to write) while its MD5 is taken;
// a file whose MD5 is not its MD5Checksum fails the read once it is read
// whole. failed, when set, receives every failed task as it is read: a
// caller keeps what it gets until readCompletion returned nil.
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
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(res.Bucket), Key: aws.String(res.Key)})
	if err != nil {
		return fmt.Errorf("completion report %s: results file %s: %w", url, name, err)
	}
	defer out.Body.Close()
	h := md5.New()
	r := inventory.NewReportReader(io.TeeReader(out.Body, h), name)
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := c.add(row, examples, failed); err != nil {
			return err
		}
	}
	if _, err := io.Copy(h, out.Body); err != nil {
		return fmt.Errorf("completion report %s: results file %s: %w", url, name, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, res.MD5Checksum) {
		return fmt.Errorf("completion report %s: results file %s: MD5 %s, but the manifest says %s", url, name, got, res.MD5Checksum)
	}
	return nil
}

// add counts one row of a results file.
func (c *Completion) add(row inventory.ReportRow, examples int, failed func(inventory.ReportRow) error) error {
	c.Bucket = row.Bucket
	if row.TaskStatus == "succeeded" {
		c.RowsSucceeded++
		return nil
	}
	c.RowsFailed++
	code := row.ErrorCode
	if code == "" {
		code = fmt.Sprintf("HTTP%d", row.HTTPStatus)
	}
	c.ByCode[code]++
	if len(c.Examples[code]) < examples {
		c.Examples[code] = append(c.Examples[code], fmt.Sprintf("%s: %s", row.Key, row.Message))
	}
	if failed != nil {
		return failed(row)
	}
	return nil
}

// counts takes the job's task counts from DescribeJob (the report's rows
// count only the failed tasks under FailedTasksOnly), else the rows'.
func (c *Completion) counts(d *types.JobDescriptor) {
	if d.Report != nil {
		c.Scope = string(d.Report.ReportScope)
	}
	c.Succeeded, c.Failed, c.Total = c.RowsSucceeded, c.RowsFailed, c.RowsSucceeded+c.RowsFailed
	if p := d.ProgressSummary; p != nil && p.TotalNumberOfTasks != nil {
		c.Total, c.Succeeded, c.Failed = aws.ToInt64(p.TotalNumberOfTasks), aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed)
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

// Report reads a finished job's completion report and prints its task
// counts (the job's, from DescribeJob) and its failures by error code.
// Exit status 0 when no task failed, 3 when some did.
func Report(ctx context.Context, s ReportSpec, env Env) error {
	c, rec, err := connectJob(ctx, s.JobRef)
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
	api, err := connectReport(ctx, s.AWS, c.region, rec)
	if err != nil {
		return err
	}
	var f *failures
	var write func(inventory.ReportRow) error
	if s.Failures != "" {
		if f, err = newFailures(s.Failures); err != nil {
			return run.Usagef("--failures: %w", err)
		}
		defer f.discard()
		write = f.add
	}
	comp, err := readCompletion(ctx, api, url, s.Examples, write)
	if err != nil {
		return err
	}
	if f != nil {
		if comp.VersionsDropped, err = f.finish(); err != nil {
			return fmt.Errorf("--failures %s: %w", s.Failures, err)
		}
	}
	comp.counts(d)
	comp.JobID, comp.FailuresFile = s.ID, s.Failures
	c.printer(env.Stdout, s.JSON).completion(comp)
	if comp.Failed > 0 || comp.RowsFailed > 0 {
		return &run.ExitError{Code: exitcode.Partial}
	}
	return nil
}

// dialS3 makes an S3 client (a seam for tests).
var dialS3 = func(ctx context.Context, o awsconf.Options, side awsconf.Side) (bucketAPI, error) {
	return awsconf.New(ctx, o, side, "")
}

// connectReport makes the S3 client that reads a job's report: in the
// job's region, with the settings of the side the submit reached the
// report bucket with (the destination's for a copy, the source's for
// replication), when the state file recorded the job; flags win.
func connectReport(ctx context.Context, o awsconf.Options, region string, rec *Record) (bucketAPI, error) {
	side := awsconf.Side{Region: region}
	if rec != nil {
		s := rec.AWS.Dest
		if rec.Job.Operation == Replicate {
			s = rec.AWS.Source
		}
		o.Profile = cmp.Or(o.Profile, rec.AWS.Profile)
		o.Endpoint = cmp.Or(o.Endpoint, rec.AWS.Endpoint)
		side.Profile, side.Endpoint = s.Profile, s.Endpoint
	}
	return dialS3(ctx, o, side)
}

// completionURL is where a finished job's report is, or why there is none.
func completionURL(d *types.JobDescriptor) (string, error) {
	id := aws.ToString(d.JobId)
	switch {
	case d.Report == nil || !d.Report.Enabled:
		return "", &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s was made without a completion report", id)}
	case !terminal(d.Status):
		return "", &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s is %s: S3 writes its completion report when it ends (`backfill batchops wait` follows it)", id, d.Status)}
	}
	return reportManifestURL(d.Report, id), nil
}

func (p *printer) completion(c *Completion) {
	if p.json {
		p.emit("report", c)
		return
	}
	fmt.Fprintf(p.w, "Job %s, completion report %s\n", c.JobID, c.Manifest)
	fmt.Fprintf(p.w, "  tasks    %d succeeded, %d failed, of %d\n", c.Succeeded, c.Failed, c.Total)
	if c.Scope == ScopeFailed {
		fmt.Fprintf(p.w, "  report   failed tasks only (report scope %s): %d failed tasks read\n", c.Scope, c.RowsFailed)
	} else {
		fmt.Fprintf(p.w, "  report   every task (report scope %s): %d succeeded and %d failed tasks read\n", cmp.Or(c.Scope, "unknown"), c.RowsSucceeded, c.RowsFailed)
	}
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
		fmt.Fprintf(p.w, "  the %d failed tasks are in %s (`%s` submits them again)\n", c.RowsFailed, c.FailuresFile, p.cmd("retry", c.JobID))
	}
	if c.VersionsDropped {
		fmt.Fprintln(p.w, "  some failed tasks named a version and some did not: the manifest names none (a manifest names versions in every row or none), so a retry takes each key's current version")
	}
}
