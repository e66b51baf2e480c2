package batchops

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/run"
)

func waitFor(t *testing.T, f *fakeControl, w WaitSpec) (error, string) {
	t.Helper()
	useControl(t, f)
	var out, errs bytes.Buffer
	w.ID, w.Poll = "job-1", 1
	err := Wait(context.Background(), w, Env{Stdout: &out, Stderr: &errs})
	return err, out.String() + errs.String()
}

// wait rides out DescribeJob errors that may pass (5xx after the SDK's
// retries) and ends with the job's own exit status; a refusal ends it at
// once (exit 1); stopping before the job ended is exit 5, never 1.
func TestWaitExitStatus(t *testing.T) {
	f := newFakeControl()
	f.add("job-1", types.JobStatusComplete, "")
	f.describeErrs = []error{serverError("InternalError", 500), serverError("ServiceUnavailable", 503)}
	if err, out := waitFor(t, f, WaitSpec{}); err != nil || !strings.Contains(out, "could not be read") || !strings.Contains(out, "Complete") {
		t.Errorf("transient errors: exit %d %v\n%s", run.ExitCode(err), err, out)
	}

	f.describeErrs = []error{fmt.Errorf("DescribeJob: %w", serverError("AccessDenied", 403))}
	if err, _ := waitFor(t, f, WaitSpec{}); run.ExitCode(err) != exitcode.Failed {
		t.Errorf("a refusal: exit %d %v", run.ExitCode(err), err)
	}

	f = newFakeControl()
	f.add("job-1", types.JobStatusActive, "")
	if err, _ := waitFor(t, f, WaitSpec{Timeout: 5e6}); run.ExitCode(err) != ExitNotEnded || !strings.Contains(err.Error(), "--timeout") {
		t.Errorf("--timeout: exit %d %v", run.ExitCode(err), err)
	}

	old := unknownLimit
	unknownLimit = -1
	t.Cleanup(func() { unknownLimit = old })
	f.describeErrs = []error{serverError("InternalError", 500)}
	if err, _ := waitFor(t, f, WaitSpec{}); run.ExitCode(err) != ExitNotEnded || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("state unknown too long: exit %d %v", run.ExitCode(err), err)
	}

	f = newFakeControl()
	f.add("job-1", types.JobStatusFailed, "")
	if err, _ := waitFor(t, f, WaitSpec{}); run.ExitCode(err) != exitcode.Failed {
		t.Errorf("a failed job: exit %d", run.ExitCode(err))
	}
}

// confirm of a job confirmed already is a no-op (exit 0), as a retried
// confirm must be; a cancelled job is refused.
func TestConfirmIsIdempotent(t *testing.T) {
	for status, code := range map[types.JobStatus]int{types.JobStatusReady: 0, types.JobStatusActive: 0, types.JobStatusComplete: 0, types.JobStatusCancelled: 1} {
		f := newFakeControl()
		f.add("job-1", status, "")
		useControl(t, f)
		err := Confirm(context.Background(), JobRef{ID: "job-1"}, Env{Stdout: io.Discard})
		if run.ExitCode(err) != code || strings.Contains(f.callList(), "UpdateJobStatus") {
			t.Errorf("confirm of a %s job: exit %d %v, calls %s", status, run.ExitCode(err), err, f.callList())
		}
	}
}

// A job command finds the job's account and region in the state file's
// record of it.
func TestJobCommandsUseTheRecord(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	st, _ := loadState(state)
	st.put(Record{Key: "k", Token: pendingToken, JobID: "job-1", Account: "210987654321", Region: "ap-south-1", Endpoint: "http://127.0.0.1:1"})
	f := newFakeControl()
	f.add("job-1", types.JobStatusActive, "")
	var asked []Account
	old := dialControl
	dialControl = func(_ context.Context, a Account) (*control, error) {
		asked = append(asked, a)
		return &control{api: f, account: a.ID, region: a.Region}, nil
	}
	t.Cleanup(func() { dialControl = old })
	var out bytes.Buffer
	if err := Status(context.Background(), JobRef{ID: "job-1", State: state}, Env{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0].Region != "ap-south-1" || asked[0].ID != "210987654321" || asked[0].Endpoint != "http://127.0.0.1:1" {
		t.Errorf("S3 Control asked for %+v", asked)
	}
	asked = nil
	Status(context.Background(), JobRef{ID: "job-1", State: state, Account: Account{Region: "eu-west-1"}}, Env{Stdout: io.Discard})
	if asked[0].Region != "eu-west-1" {
		t.Errorf("--region does not win over the record: %+v", asked)
	}
}

// reportJob is a finished job with a FailedTasksOnly report in f.
func reportJob(t *testing.T, f *fakeS3, rows string) *fakeControl {
	t.Helper()
	putReport(f, map[string]string{"failed.csv": rows}, "")
	c := newFakeControl()
	c.add("j1", types.JobStatusComplete, "")
	c.jobs["j1"].Report = &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::rep"), Prefix: aws.String("reports"), ReportScope: types.JobReportScopeFailedTasksOnly}
	c.jobs["j1"].ProgressSummary = &types.JobProgressSummary{TotalNumberOfTasks: aws.Int64(10), NumberOfTasksSucceeded: aws.Int64(8), NumberOfTasksFailed: aws.Int64(2)}
	useControl(t, c)
	old := dialS3
	dialS3 = func(context.Context, awsconf.Options, awsconf.Side) (bucketAPI, error) { return f, nil }
	t.Cleanup(func() { dialS3 = old })
	return c
}

// report counts the job's tasks from DescribeJob (a FailedTasksOnly report
// has no succeeded row), says the report's scope, and writes a
// --failures manifest with version ids in every row or none, which
// backfill's own reader takes.
func TestReportCountsAndFailures(t *testing.T) {
	f := newFakeS3()
	reportJob(t, f, "src,a.mov,v1,failed,403,AccessDenied,denied\nsrc,b%20c.mov,,failed,500,InternalError,oops\n")
	failures := filepath.Join(t.TempDir(), "failures.csv")
	var out bytes.Buffer
	err := Report(context.Background(), ReportSpec{JobRef: JobRef{ID: "j1"}, Failures: failures, Examples: 1}, Env{Stdout: &out})
	if run.ExitCode(err) != exitcode.Partial {
		t.Errorf("exit %d %v", run.ExitCode(err), err)
	}
	for _, want := range []string{"8 succeeded, 2 failed, of 10", "failed tasks only", "2 failed tasks read", "the manifest names none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	body, _ := os.ReadFile(failures)
	if string(body) != "src,a.mov\nsrc,b%20c.mov\n" {
		t.Errorf("failures file %q", body)
	}
	r := inventory.NewManifestReader(bytes.NewReader(body), failures)
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("backfill's reader refuses the failures file: %v", err)
		}
	}
}

// Results files are streamed: the first row is counted long before the
// file is read whole; a file whose MD5 does not match fails the report
// and leaves no --failures file.
func TestReportStreamsResults(t *testing.T) {
	f := newFakeS3()
	var rows strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&rows, "src,shows/frame%06d.exr,,failed,403,AccessDenied,Access Denied\n", i)
	}
	reportJob(t, f, rows.String())
	var read int64
	f.wrap = func(r io.Reader) io.Reader { return &countingReader{r: r, n: &read} }
	var atFirst int64 = -1
	c, err := readCompletion(context.Background(), f, "s3://rep/reports/job-j1/manifest.json", 0, func(inventory.ReportRow) error {
		if atFirst < 0 {
			atFirst = read
		}
		return nil
	})
	if err != nil || c.RowsFailed != 20000 {
		t.Fatalf("%v %+v", err, c)
	}
	if total := int64(rows.Len()); atFirst <= 0 || atFirst >= total/4 {
		t.Errorf("%d of %d bytes were read before the first row: not streamed", atFirst, total)
	}

	putReport(f, map[string]string{"failed.csv": "src,a,,failed,403,AccessDenied,x\n"}, "failed.csv")
	failures := filepath.Join(t.TempDir(), "failures.csv")
	err = Report(context.Background(), ReportSpec{JobRef: JobRef{ID: "j1"}, Failures: failures}, Env{Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Errorf("a bad MD5: %v", err)
	}
	if _, serr := os.Stat(failures); serr == nil {
		t.Error("a failures file was left from a report that did not check")
	}
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// retry reaches the job and its buckets as its submit did: S3 Control in
// the record's account and region, each side with the record's profile,
// region and endpoint; a flag overrides the record.
func TestRetryUsesTheRecordedSettings(t *testing.T) {
	f := newFakeS3()
	c := reportJob(t, f, "src,a.mov,,failed,403,AccessDenied,denied\n")
	c.jobs["j1"].Operation = &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{TargetResource: aws.String("arn:aws:s3:::dst")}}
	var asked []Account
	dialControl = func(_ context.Context, a Account) (*control, error) {
		asked = append(asked, a)
		return &control{api: c, account: a.ID, region: a.Region}, nil
	}
	var sides []awsconf.Side
	dialS3 = func(_ context.Context, _ awsconf.Options, s awsconf.Side) (bucketAPI, error) {
		sides = append(sides, s)
		return f, nil
	}
	var ran []run.Spec
	old := runLocal
	runLocal = func(_ context.Context, s *run.Spec, _ run.Env) error { ran = append(ran, *s); return nil }
	t.Cleanup(func() { runLocal = old })

	state := filepath.Join(t.TempDir(), "state.json")
	st, _ := loadState(state)
	st.put(Record{Key: "k", Token: pendingToken, JobID: "j1", Account: "210987654321", Region: "us-west-2",
		Job: JobSpec{Operation: Copy, From: "s3://src/", To: "s3://dst/", ReportTo: "s3://rep/reports", ReportScope: ScopeFailed},
		AWS: AWSSettings{Profile: "ops", Source: SideSettings{Profile: "src-acct", Region: "eu-west-1"},
			Dest: SideSettings{Profile: "dst-acct", Region: "us-west-2", Endpoint: "https://dst.example"}}})
	s := &RetrySpec{JobRef: JobRef{ID: "j1", State: state}, Locally: true}
	s.Submit.Run.DstSide.Profile = "override" // --dest-profile
	s.Submit.State = state
	if err := Retry(context.Background(), s, Env{Stdout: io.Discard, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0].ID != "210987654321" || asked[0].Region != "us-west-2" || asked[0].Profile != "ops" {
		t.Errorf("S3 Control: %+v", asked)
	}
	if len(sides) != 1 || sides[0].Profile != "override" || sides[0].Region != "us-west-2" || sides[0].Endpoint != "https://dst.example" {
		t.Errorf("the report was read with %+v", sides)
	}
	if len(ran) != 1 {
		t.Fatalf("local copies %d", len(ran))
	}
	r := ran[0]
	if r.AWS.Profile != "ops" || r.SrcSide != (awsconf.Side{Profile: "src-acct", Region: "eu-west-1"}) ||
		r.DstSide != (awsconf.Side{Profile: "override", Region: "us-west-2", Endpoint: "https://dst.example"}) {
		t.Errorf("the copy's sides: %+v %+v %+v", r.AWS, r.SrcSide, r.DstSide)
	}
}
