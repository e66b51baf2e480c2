package batchops

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/run"
)

// ListSpec is `batchops list`: the account's recent jobs (S3 keeps those
// that ended in the last 30 days or so), newest first as S3 lists them.
type ListSpec struct {
	Account Account
	// Statuses, when set, are the only statuses listed.
	Statuses []string
	// Max bounds the jobs listed (0 = all S3 lists).
	Max  int
	JSON bool
}

// List prints the account's recent jobs.
func List(ctx context.Context, s ListSpec, env Env) error {
	in := &s3control.ListJobsInput{}
	for _, st := range s.Statuses {
		if !slices.Contains(types.JobStatus("").Values(), types.JobStatus(st)) {
			return run.Usagef("--status %q: a job status is one of %s", st, join(types.JobStatus("").Values()))
		}
		in.JobStatuses = append(in.JobStatuses, types.JobStatus(st))
	}
	c, err := connectControl(ctx, s.Account)
	if err != nil {
		return err
	}
	in.AccountId = aws.String(c.account)
	var jobs []types.JobListDescriptor
	p := s3control.NewListJobsPaginator(c.api, in)
	for p.HasMorePages() && (s.Max == 0 || len(jobs) < s.Max) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListJobs in account %s, region %s: %w", c.account, c.region, err)
		}
		jobs = append(jobs, page.Jobs...)
	}
	if s.Max > 0 && len(jobs) > s.Max {
		jobs = jobs[:s.Max]
	}
	out := newPrinter(env.Stdout, s.JSON)
	if s.JSON {
		for _, j := range jobs {
			out.emit("job", listView(j))
		}
		return nil
	}
	if len(jobs) == 0 {
		out.note("No jobs in account %s, region %s (S3 lists those of about the last 30 days).", c.account, c.region)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATUS\tOPERATION\tCREATED\tSUCCEEDED\tFAILED\tTOTAL\tDESCRIPTION")
	for _, j := range jobs {
		v := listView(j)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", v.ID, v.Status, v.Operation, created(v.Created), v.Succeeded, v.Failed, v.Total, v.Description)
	}
	return tw.Flush()
}

func listView(j types.JobListDescriptor) View {
	v := View{ID: aws.ToString(j.JobId), Status: string(j.Status), Operation: string(j.Operation), Description: aws.ToString(j.Description),
		Created: j.CreationTime, Ended: j.TerminationDate}
	if p := j.ProgressSummary; p != nil {
		v.Total, v.Succeeded, v.Failed = aws.ToInt64(p.TotalNumberOfTasks), aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed)
	}
	v.ExitCode = exitOf(j.Status, v.Failed)
	return v
}

func created(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
