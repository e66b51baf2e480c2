package bops

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// lifecycleOrder is the order statuses may be observed in.
var lifecycleOrder = []types.JobStatus{"New", "Preparing", "Suspended", "Ready", "Active", "Completing", "Complete"}

// A job that needs confirmation waits in Suspended until UpdateJobStatus
// Ready, then runs to Complete; DescribeJob echoes the request.
func TestJobLifecycleWithConfirmation(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.putMany(src, []string{"a", "b"})
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"a", "b"})), dst, rep)
	in.ConfirmationRequired = aws.Bool(true)
	in.Description = aws.String("backfill lifecycle")
	id := e.create(in)
	seen := e.waitRecording(id, "Suspended")
	d := e.describe(id)
	if !aws.ToBool(d.ConfirmationRequired) || d.SuspendedDate == nil || aws.ToInt64(d.ProgressSummary.TotalNumberOfTasks) != 2 {
		t.Errorf("suspended job: %+v", d)
	}
	if _, _, err := e.get(dst, "a"); err == nil {
		t.Fatal("a task ran before the job was confirmed")
	}
	prio, err := e.ctl.UpdateJobPriority(e.ctx, &s3control.UpdateJobPriorityInput{AccountId: aws.String(e.emu.AccountID()), JobId: &id, Priority: 42})
	if err != nil || prio.Priority != 42 {
		t.Fatalf("UpdateJobPriority: %v %v", prio, err)
	}
	st, err := e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(e.emu.AccountID()),
		JobId: &id, RequestedJobStatus: types.RequestedJobStatusReady, StatusUpdateReason: aws.String("confirmed by test")})
	if err != nil || st.Status != types.JobStatusReady || aws.ToString(st.StatusUpdateReason) != "confirmed by test" {
		t.Fatalf("UpdateJobStatus Ready: %+v %v", st, err)
	}
	seen = append(seen, e.waitRecording(id, "Complete")...)
	checkOrder(t, seen)
	d = e.describe(id)
	checkEcho(t, e, d, in)
	if d.Priority != 42 || d.TerminationDate == nil || d.ProgressSummary.Timers == nil ||
		aws.ToString(d.StatusUpdateReason) != "confirmed by test" {
		t.Errorf("finished job: priority %d, termination %v, timers %v, reason %q", d.Priority,
			d.TerminationDate, d.ProgressSummary.Timers, aws.ToString(d.StatusUpdateReason))
	}
	for _, want := range []types.RequestedJobStatus{types.RequestedJobStatusReady, types.RequestedJobStatusCancelled} {
		_, err := e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(e.emu.AccountID()),
			JobId: &id, RequestedJobStatus: want})
		apiErr(t, err, codeJobStatus, 400)
		var je *types.JobStatusException
		if !errorsAs(err, &je) {
			t.Errorf("want *types.JobStatusException, got %T", err)
		}
	}
}

// waitRecording polls until the job is in want and returns the statuses seen.
func (e *env) waitRecording(id string, want types.JobStatus) []types.JobStatus {
	e.t.Helper()
	var seen []types.JobStatus
	for {
		d := e.wait(id, lifecycleOrder...)
		if len(seen) == 0 || seen[len(seen)-1] != d.Status {
			seen = append(seen, d.Status)
		}
		if d.Status == want {
			return seen
		}
	}
}

func checkOrder(t *testing.T, seen []types.JobStatus) {
	t.Helper()
	rank := map[types.JobStatus]int{}
	for i, s := range lifecycleOrder {
		rank[s] = i
	}
	for i := 1; i < len(seen); i++ {
		if rank[seen[i]] < rank[seen[i-1]] {
			t.Fatalf("statuses out of order: %v", seen)
		}
	}
}

func checkEcho(t *testing.T, e *env, d *types.JobDescriptor, in *s3control.CreateJobInput) {
	t.Helper()
	arn := regexp.MustCompile(`^arn:aws:s3:us-east-1:` + e.emu.AccountID() + `:job/[0-9a-f-]{36}$`)
	switch {
	case !arn.MatchString(aws.ToString(d.JobArn)):
		t.Errorf("JobArn %q", aws.ToString(d.JobArn))
	case aws.ToString(d.Description) != aws.ToString(in.Description):
		t.Errorf("Description %q", aws.ToString(d.Description))
	case aws.ToString(d.RoleArn) != aws.ToString(in.RoleArn):
		t.Errorf("RoleArn %q", aws.ToString(d.RoleArn))
	case d.Manifest == nil || aws.ToString(d.Manifest.Location.ETag) != aws.ToString(in.Manifest.Location.ETag) ||
		fmt.Sprint(d.Manifest.Spec.Fields) != fmt.Sprint(in.Manifest.Spec.Fields):
		t.Errorf("Manifest %+v", d.Manifest)
	case d.Operation == nil || d.Operation.S3PutObjectCopy == nil ||
		aws.ToString(d.Operation.S3PutObjectCopy.TargetResource) != aws.ToString(in.Operation.S3PutObjectCopy.TargetResource):
		t.Errorf("Operation %+v", d.Operation)
	case d.Report == nil || aws.ToString(d.Report.Bucket) != aws.ToString(in.Report.Bucket) || d.Report.ReportScope != in.Report.ReportScope:
		t.Errorf("Report %+v", d.Report)
	case d.CreationTime == nil:
		t.Error("no CreationTime")
	}
}

// Without ConfirmationRequired in the request the job waits for
// confirmation, as the service does (aws/aws-sdk-go-v2#1814).
func TestJobWithoutConfirmationFieldIsSuspended(t *testing.T) {
	e := newEnv(t, Options{})
	src := e.bucket(false)
	e.putMany(src, []string{"a"})
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"a"})), src, src)
	in.ConfirmationRequired = nil
	id := e.create(in)
	d := e.wait(id, types.JobStatusSuspended)
	if !aws.ToBool(d.ConfirmationRequired) {
		t.Error("ConfirmationRequired reads false")
	}
}

// A Suspended job can be cancelled; it ends Cancelled with no task run and
// no report, and then refuses every status change.
func TestCancelSuspendedJob(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.putMany(src, []string{"a"})
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"a"})), dst, rep)
	in.ConfirmationRequired = aws.Bool(true)
	id := e.create(in)
	e.wait(id, types.JobStatusSuspended)
	st, err := e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(e.emu.AccountID()),
		JobId: &id, RequestedJobStatus: types.RequestedJobStatusCancelled})
	if err != nil || st.Status != types.JobStatusCancelling {
		t.Fatalf("cancel: %+v %v", st, err)
	}
	d := e.wait(id, types.JobStatusCancelled)
	if d.TerminationDate == nil || aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded) != 0 {
		t.Errorf("cancelled job %+v", d)
	}
	if _, _, err := e.get(dst, "a"); err == nil {
		t.Error("a cancelled job copied")
	}
	if _, _, err := e.get(rep, "reports/job-"+id+"/manifest.json"); err == nil {
		t.Error("a report was written though no task ran")
	}
	_, err = e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(e.emu.AccountID()),
		JobId: &id, RequestedJobStatus: types.RequestedJobStatusReady})
	apiErr(t, err, codeJobStatus, 400)
}

// Cancelling an Active job stops it between tasks: the tasks in flight
// finish, the rest never run, and the report lists the tasks that ran.
func TestCancelActiveJob(t *testing.T) {
	srv := s3test.Shared(t)
	proxy := srv.NewProxy(t)
	release := make(chan struct{})
	proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" {
			<-release
		}
		return nil
	})
	t.Cleanup(func() { closeOnce(release) })
	e := newEnv(t, Options{Concurrency: 1, S3: S3Endpoint{URL: proxy.URL()}})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	keys := []string{"a", "b", "c", "d", "e"}
	e.putMany(src, keys)
	id := e.create(e.copyJob(e.manifest(src, "m.csv", csvRows(src, keys)), dst, rep))
	e.wait(id, types.JobStatusActive)
	st, err := e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(e.emu.AccountID()),
		JobId: &id, RequestedJobStatus: types.RequestedJobStatusCancelled, StatusUpdateReason: aws.String("stop")})
	if err != nil || st.Status != types.JobStatusCancelling {
		t.Fatalf("cancel: %+v %v", st, err)
	}
	closeOnce(release)
	d := e.wait(id, types.JobStatusCancelled)
	ran := aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded) + aws.ToInt64(d.ProgressSummary.NumberOfTasksFailed)
	if ran < 1 || ran >= int64(len(keys)) {
		t.Fatalf("%d of %d tasks ran", ran, len(keys))
	}
	r := e.report(rep, "reports", id)
	if int64(len(r.rows["succeeded"])+len(r.rows["failed"])) != ran {
		t.Errorf("report lists %d tasks, %d ran", len(r.rows["succeeded"])+len(r.rows["failed"]), ran)
	}
}

func closeOnce(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

// ListJobs filters by status and pages with MaxResults and NextToken.
func TestListJobs(t *testing.T) {
	e := newEnv(t, Options{})
	src := e.bucket(false)
	e.putMany(src, []string{"a"})
	m := e.manifest(src, "m.csv", csvRows(src, []string{"a"}))
	var ids []string
	for i := range 3 {
		in := e.copyJob(cloneManifest(m), src, src)
		in.ConfirmationRequired = aws.Bool(i == 0)
		ids = append(ids, e.create(in))
	}
	e.wait(ids[0], types.JobStatusSuspended)
	e.wait(ids[1], types.JobStatusComplete)
	e.wait(ids[2], types.JobStatusComplete)
	acct := aws.String(e.emu.AccountID())
	out, err := e.ctl.ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: acct, JobStatuses: []types.JobStatus{types.JobStatusSuspended}})
	if err != nil || len(out.Jobs) != 1 || aws.ToString(out.Jobs[0].JobId) != ids[0] || out.Jobs[0].Operation != types.OperationNameS3PutObjectCopy {
		t.Fatalf("Suspended jobs: %+v %v", out, err)
	}
	var paged []string
	p := s3control.NewListJobsPaginator(e.ctl, &s3control.ListJobsInput{AccountId: acct, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Jobs) > 1 {
			t.Fatalf("page of %d jobs with MaxResults 1", len(page.Jobs))
		}
		for _, j := range page.Jobs {
			paged = append(paged, aws.ToString(j.JobId))
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint([]string{ids[2], ids[1], ids[0]}) {
		t.Errorf("paged %v, created %v", paged, ids)
	}
	_, err = e.ctl.ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: acct, NextToken: aws.String("bm8tc3VjaC1qb2I")})
	apiErr(t, err, codeInvalidNextToken, 400)
	_, err = e.ctl.ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: acct, JobStatuses: []types.JobStatus{"Running"}})
	apiErr(t, err, codeInvalidRequest, 400)
}

// Operations on an unknown job answer NotFoundException.
func TestUnknownJob(t *testing.T) {
	e := newEnv(t, Options{})
	acct, id := aws.String(e.emu.AccountID()), aws.String("00000000-0000-4000-8000-000000000000")
	_, err := e.ctl.DescribeJob(e.ctx, &s3control.DescribeJobInput{AccountId: acct, JobId: id})
	apiErr(t, err, codeNotFound, 400)
	var nf *types.NotFoundException
	if !errorsAs(err, &nf) {
		t.Errorf("want *types.NotFoundException, got %T", err)
	}
	_, err = e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: acct, JobId: id, RequestedJobStatus: "Cancelled"})
	apiErr(t, err, codeNotFound, 400)
	_, err = e.ctl.UpdateJobPriority(e.ctx, &s3control.UpdateJobPriorityInput{AccountId: acct, JobId: id, Priority: 1})
	apiErr(t, err, codeNotFound, 400)
	_, err = e.ctl.UpdateJobPriority(e.ctx, &s3control.UpdateJobPriorityInput{AccountId: acct, JobId: id, Priority: -1})
	apiErr(t, err, codeBadRequest, 400)
	_, err = e.ctl.UpdateJobStatus(e.ctx, &s3control.UpdateJobStatusInput{AccountId: acct, JobId: id, RequestedJobStatus: "Active"})
	apiErr(t, err, codeBadRequest, 400)
}
