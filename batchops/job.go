package batchops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/run"
)

// JobRef names a job: its id, and the account and region it is in.
type JobRef struct {
	Account Account
	ID      string
	JSON    bool
}

// confirmWait bounds how long confirm waits for a job still being
// prepared to reach Suspended; confirmPoll is how often it looks.
var (
	confirmWait = 30 * time.Minute
	confirmPoll = 2 * time.Second
)

// connectJob connects to the job's account and region and checks the id.
func connectJob(ctx context.Context, ref JobRef) (*control, error) {
	if strings.TrimSpace(ref.ID) == "" {
		return nil, run.Usagef("a job id is needed: backfill batchops COMMAND JOB-ID (`backfill batchops list` shows them)")
	}
	return connectControl(ctx, ref.Account)
}

// describe is DescribeJob; a job S3 does not know is an error naming it,
// where it was looked for, and that S3 forgets jobs.
func describe(ctx context.Context, c *control, id string) (*types.JobDescriptor, error) {
	out, err := c.api.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(c.account), JobId: aws.String(id)})
	if isNoSuchJob(err) {
		return nil, &noSuchJob{id: id, account: c.account, region: c.region, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("DescribeJob %s: %w", id, err)
	}
	if out.Job == nil {
		return nil, fmt.Errorf("DescribeJob %s: no job in the answer", id)
	}
	return out.Job, nil
}

type noSuchJob struct {
	id, account, region string
	err                 error
}

func (e *noSuchJob) Error() string {
	return fmt.Sprintf("job %s does not exist in account %s, region %s (S3 keeps jobs about 30 days after they end; `backfill batchops list` shows the jobs there): %v",
		e.id, e.account, e.region, e.err)
}

func (e *noSuchJob) Unwrap() error { return e.err }

// isNoSuchJob reports whether S3 said the job does not exist. The SDK
// models NotFoundException; AWS's troubleshooting guide names
// NoSuchJobException (which one the service sends is UNCONFIRMED: both
// are taken).
func isNoSuchJob(err error) bool {
	var nsj *noSuchJob
	if errors.As(err, &nsj) {
		return true
	}
	switch s3err.Code(err) {
	case "NotFoundException", "NoSuchJobException", "NoSuchJob":
		return true
	}
	return false
}

// terminal reports whether a job has ended.
func terminal(st types.JobStatus) bool {
	switch st {
	case types.JobStatusComplete, types.JobStatusFailed, types.JobStatusCancelled:
		return true
	}
	return false
}

// confirmJob confirms a job waiting for it (Suspended), after waiting for
// a job still New or Preparing to get there.
func confirmJob(ctx context.Context, c *control, id string, out *printer) error {
	deadline := time.Now().Add(confirmWait)
	said := false
	for {
		d, err := describe(ctx, c, id)
		if err != nil {
			return err
		}
		switch d.Status {
		case types.JobStatusSuspended:
			_, err := c.api.UpdateJobStatus(ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(c.account), JobId: aws.String(id),
				RequestedJobStatus: types.RequestedJobStatusReady, StatusUpdateReason: aws.String("confirmed with backfill")})
			if err != nil {
				return fmt.Errorf("confirm job %s: %w", id, err)
			}
			out.note("Job %s confirmed: it runs now (`backfill batchops wait %s` follows it).", id, id)
			return nil
		case types.JobStatusNew, types.JobStatusPreparing:
			if !said {
				out.note("Job %s is %s: waiting for S3 to prepare it before confirming.", id, d.Status)
				said = true
			}
		default:
			return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s is %s, not waiting for a confirmation (Suspended): nothing to confirm", id, d.Status)}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("job %s is still %s after %s: confirm it later", id, d.Status, confirmWait)
		}
		if err := sleep(ctx, confirmPoll); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// findByTag looks through the account's recent jobs (S3 lists those of
// the last 30 days or so) for the one whose description carries tag.
func findByTag(ctx context.Context, c *control, tag string) (id, status string, err error) {
	p := s3control.NewListJobsPaginator(c.api, &s3control.ListJobsInput{AccountId: aws.String(c.account)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", "", fmt.Errorf("ListJobs (looking for the job of an earlier submit): %w", err)
		}
		for _, j := range page.Jobs {
			if strings.HasPrefix(aws.ToString(j.Description), tag+" ") {
				return aws.ToString(j.JobId), string(j.Status), nil
			}
		}
	}
	return "", "", nil
}

// Confirm confirms a job waiting for it (Suspended), waiting first while S3
// prepares it.
func Confirm(ctx context.Context, ref JobRef, env Env) error {
	c, err := connectJob(ctx, ref)
	if err != nil {
		return err
	}
	return confirmJob(ctx, c, ref.ID, newPrinter(env.Stdout, ref.JSON))
}
