package batchops

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/schollz/progressbar/v3"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

// View is a job as status and wait show it.
type View struct {
	ID          string     `json:"job_id"`
	Status      string     `json:"status"`
	Operation   string     `json:"operation"`
	Description string     `json:"description,omitempty"`
	Created     *time.Time `json:"created,omitempty"`
	Ended       *time.Time `json:"ended,omitempty"`
	Total       int64      `json:"tasks_total"`
	Succeeded   int64      `json:"tasks_succeeded"`
	Failed      int64      `json:"tasks_failed"`
	// Active is the time the job has been Active; Rate its tasks per
	// second; ETA the time left at that rate (0 when not known).
	Active   float64   `json:"active_seconds"`
	Rate     float64   `json:"tasks_per_second"`
	ETA      float64   `json:"eta_seconds,omitempty"`
	Reasons  []Failure `json:"failure_reasons,omitempty"`
	Why      string    `json:"status_update_reason,omitempty"`
	Report   string    `json:"report,omitempty"`
	ExitCode int       `json:"exit_code"`
}

// Failure is one of a job's failure reasons.
type Failure struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

func viewOf(d *types.JobDescriptor) View {
	v := View{ID: aws.ToString(d.JobId), Status: string(d.Status), Description: aws.ToString(d.Description),
		Created: d.CreationTime, Ended: d.TerminationDate, Why: aws.ToString(d.StatusUpdateReason)}
	switch op := d.Operation; {
	case op != nil && op.S3PutObjectCopy != nil:
		v.Operation = "S3PutObjectCopy"
	case op != nil && op.S3ReplicateObject != nil:
		v.Operation = "S3ReplicateObject"
	}
	if p := d.ProgressSummary; p != nil {
		v.Total, v.Succeeded, v.Failed = aws.ToInt64(p.TotalNumberOfTasks), aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed)
		if p.Timers != nil {
			v.Active = float64(aws.ToInt64(p.Timers.ElapsedTimeInActiveSeconds))
		}
	}
	if done := v.Succeeded + v.Failed; v.Active > 0 && done > 0 {
		v.Rate = float64(done) / v.Active
		if left := v.Total - done; left > 0 && !terminal(d.Status) {
			v.ETA = float64(left) / v.Rate
		}
	}
	for _, f := range d.FailureReasons {
		v.Reasons = append(v.Reasons, Failure{Code: aws.ToString(f.FailureCode), Reason: aws.ToString(f.FailureReason)})
	}
	if r := d.Report; r != nil && r.Enabled {
		v.Report = reportManifestURL(r, v.ID)
	}
	v.ExitCode = exitOf(d.Status, v.Failed)
	return v
}

// exitOf is the exit status a job's state gives: 0 complete without a
// failed task (or still running), 3 complete with failed tasks, 1 failed
// or cancelled.
func exitOf(st types.JobStatus, failed int64) int {
	switch {
	case st == types.JobStatusComplete && failed > 0:
		return exitcode.Partial
	case st == types.JobStatusFailed, st == types.JobStatusCancelled:
		return exitcode.Failed
	}
	return exitcode.OK
}

func (p *printer) view(v View) {
	if p.json {
		p.emit("job", v)
		return
	}
	fmt.Fprintf(p.w, "Job %s: %s (%s)\n", v.ID, v.Status, v.Operation)
	if v.Description != "" {
		fmt.Fprintf(p.w, "  description  %s\n", v.Description)
	}
	fmt.Fprintf(p.w, "  tasks        %d succeeded, %d failed, of %d\n", v.Succeeded, v.Failed, v.Total)
	if v.Rate > 0 {
		eta := ""
		if v.ETA > 0 {
			eta = fmt.Sprintf(", about %s left", (time.Duration(v.ETA) * time.Second).Round(time.Second))
		}
		fmt.Fprintf(p.w, "  rate         %.1f tasks/s over %s active%s\n", v.Rate, (time.Duration(v.Active) * time.Second).String(), eta)
	}
	for _, f := range v.Reasons {
		fmt.Fprintf(p.w, "  failure      %s: %s\n", f.Code, f.Reason)
	}
	if v.Why != "" {
		fmt.Fprintf(p.w, "  why          %s\n", v.Why)
	}
	if v.Status == string(types.JobStatusSuspended) {
		fmt.Fprintf(p.w, "  waiting for  `backfill batchops confirm %s`\n", v.ID)
	}
	if v.Report != "" && terminal(types.JobStatus(v.Status)) {
		fmt.Fprintf(p.w, "  report       %s (`backfill batchops report %s`)\n", v.Report, v.ID)
	}
}

// Status prints a job's state once. Its exit status: 0 complete without
// failed tasks or not ended yet, 3 complete with failed tasks, 1 failed or
// cancelled (or no such job).
func Status(ctx context.Context, ref JobRef, env Env) error {
	c, err := connectJob(ctx, ref)
	if err != nil {
		return err
	}
	d, err := describe(ctx, c, ref.ID)
	if err != nil {
		return err
	}
	v := viewOf(d)
	newPrinter(env.Stdout, ref.JSON).view(v)
	return exitWith(v.ExitCode)
}

func exitWith(code int) error {
	if code == exitcode.OK {
		return nil
	}
	return &run.ExitError{Code: code}
}

// WaitSpec is `batchops wait`: a job, how often to look, how to show it.
type WaitSpec struct {
	JobRef
	// Poll is the time between two DescribeJob calls; Lines the time
	// between two status lines on a non-terminal.
	Poll, Lines time.Duration
	// Timeout gives up waiting (exit 1) after this long (0 = never).
	Timeout  time.Duration
	Progress bool
}

// Wait follows a job to its end with a progress bar (a terminal) or a
// status line every Lines (and at each change of state), then prints it
// as Status does, with the same exit status. Stopping the wait (the
// context) leaves the job running.
func Wait(ctx context.Context, w WaitSpec, env Env) error {
	c, err := connectJob(ctx, w.JobRef)
	if err != nil {
		return err
	}
	if w.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.Timeout)
		defer cancel()
	}
	show := newShow(env.Stderr, report.ProgressModeFor(env.Stderr, w.Progress), w.Lines)
	for {
		d, err := describe(ctx, c, w.ID)
		if err != nil {
			show.stop()
			return waitErr(ctx, w, err)
		}
		v := viewOf(d)
		if terminal(d.Status) {
			show.stop()
			newPrinter(env.Stdout, w.JSON).view(v)
			return exitWith(v.ExitCode)
		}
		show.update(v)
		if err := sleep(ctx, w.Poll); err != nil {
			show.stop()
			return waitErr(ctx, w, err)
		}
	}
}

func waitErr(ctx context.Context, w WaitSpec, err error) error {
	if ctx.Err() == context.DeadlineExceeded && w.Timeout > 0 {
		return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s has not ended after %s (--timeout): it goes on; `backfill batchops wait %s` again", w.ID, w.Timeout, w.ID)}
	}
	if ctx.Err() != nil {
		return &run.ExitError{Code: exitcode.Interrupted, Err: fmt.Errorf("stopped waiting for job %s: the job goes on", w.ID)}
	}
	return err
}

// show is wait's progress display: a bar of tasks done, or status lines.
type show struct {
	w        io.Writer
	mode     report.ProgressMode
	every    time.Duration
	bar      *progressbar.ProgressBar
	last     time.Time
	lastSeen string
}

func newShow(w io.Writer, mode report.ProgressMode, every time.Duration) *show {
	return &show{w: w, mode: mode, every: every}
}

func (s *show) update(v View) {
	switch s.mode {
	case report.ProgressBar:
		if s.bar == nil {
			s.bar = progressbar.NewOptions64(max(v.Total, 1), progressbar.OptionSetWriter(s.w), progressbar.OptionSetWidth(30),
				progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionShowDescriptionAtLineEnd())
		}
		s.bar.ChangeMax64(max(v.Total, 1))
		s.bar.Describe(fmt.Sprintf("%s | %d failed", v.Status, v.Failed)) //nolint:errcheck
		s.bar.Set64(v.Succeeded + v.Failed)                               //nolint:errcheck // rendering only
	case report.ProgressLines:
		if v.Status == s.lastSeen && time.Since(s.last) < s.every {
			return
		}
		s.last, s.lastSeen = time.Now(), v.Status
		line := fmt.Sprintf("backfill: job %s %s: %d succeeded, %d failed, of %d tasks", v.ID, v.Status, v.Succeeded, v.Failed, v.Total)
		if v.Rate > 0 {
			line += fmt.Sprintf(" (%.1f tasks/s", v.Rate)
			if v.ETA > 0 {
				line += fmt.Sprintf(", about %s left", (time.Duration(v.ETA) * time.Second).Round(time.Second))
			}
			line += ")"
		}
		if v.Status == string(types.JobStatusSuspended) {
			line += fmt.Sprintf("; waiting for `backfill batchops confirm %s`", v.ID)
		}
		fmt.Fprintln(s.w, line)
	}
}

func (s *show) stop() {
	if s.bar != nil {
		s.bar.Exit() //nolint:errcheck
		fmt.Fprintln(s.w)
		s.bar = nil
	}
}
