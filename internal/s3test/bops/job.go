package bops

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Job statuses (types.JobStatus).
const (
	statusNew        = "New"
	statusPreparing  = "Preparing"
	statusSuspended  = "Suspended"
	statusReady      = "Ready"
	statusActive     = "Active"
	statusCompleting = "Completing"
	statusComplete   = "Complete"
	statusFailing    = "Failing"
	statusFailed     = "Failed"
	statusCancelling = "Cancelling"
	statusCancelled  = "Cancelled"
	statusPausing    = "Pausing"
	statusPaused     = "Paused"
)

var jobStatuses = set(statusNew, statusPreparing, statusSuspended, statusReady, statusActive,
	statusCompleting, statusComplete, statusFailing, statusFailed, statusCancelling,
	statusCancelled, statusPausing, statusPaused)

// job is one Batch Operations job. req and the identity fields never change
// after newJob; everything under mu is the job's live state.
type job struct {
	id, arn      string
	req          *createJobRequest
	fingerprint  [32]byte
	created      time.Time
	confirmation bool

	confirmed chan struct{} // closed by UpdateJobStatus(Ready)
	cancelled chan struct{} // closed by UpdateJobStatus(Cancelled)

	succeeded, failed atomic.Int64

	mu             sync.Mutex
	status         string
	priority       int64
	statusReason   *string
	failures       []jobFailure
	suspendedDate  *time.Time
	suspendedCause *string
	terminated     *time.Time
	activeStart    time.Time
	activeEnd      time.Time
	total          int64
	generated      *generatedDescriptor
}

func newJob(o Options, req *createJobRequest, fp [32]byte) *job {
	id := newUUID()
	// An absent ConfirmationRequired makes the service hold the job in
	// Suspended, though the model's default is false: aws/aws-sdk-go-v2#1814
	// and #1822 ("The create job goes into SUSPENDED state"), answered there
	// as the service not adhering to its model. Send false explicitly.
	confirm := req.ConfirmationRequired == nil || *req.ConfirmationRequired
	return &job{
		id:           id,
		arn:          fmt.Sprintf("arn:aws:s3:%s:%s:job/%s", o.Region, o.AccountID, id),
		req:          req,
		fingerprint:  fp,
		created:      time.Now().UTC(),
		confirmation: confirm,
		confirmed:    make(chan struct{}),
		cancelled:    make(chan struct{}),
		status:       statusNew,
		priority:     *req.Priority,
	}
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (j *job) operation() string {
	if j.req.Operation.S3PutObjectCopy != nil {
		return opCopy
	}
	return opReplicate
}

func (j *job) getStatus() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.status
}

func (j *job) setStatus(st string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.setStatusLocked(st)
}

func (j *job) setStatusLocked(st string) {
	now := time.Now().UTC()
	switch st {
	case statusActive:
		j.activeStart = now
	case statusSuspended:
		j.suspendedDate = &now
		cause := "AwaitingConfirmation" // UNCONFIRMED wording
		j.suspendedCause = &cause
	case statusComplete, statusFailed, statusCancelled:
		j.terminated = &now
	}
	if j.status == statusActive && st != statusActive {
		j.activeEnd = now
	}
	j.status = st
}

func terminal(st string) bool {
	return st == statusComplete || st == statusFailed || st == statusCancelled
}

// requestStatus applies UpdateJobStatus. Ready confirms a Suspended job;
// Cancelled stops any job not yet ending. Anything else is a
// JobStatusException (AWS's message wording is UNCONFIRMED).
func (j *job) requestStatus(want string, reason *string) (string, *apiError) {
	j.mu.Lock()
	defer j.mu.Unlock()
	refuse := &apiError{Status: http.StatusBadRequest, Code: codeJobStatus,
		Message: fmt.Sprintf("Job %s is %s; it cannot be moved to %s", j.id, j.status, want)}
	switch want {
	case statusReady:
		if j.status != statusSuspended {
			return "", refuse
		}
		j.setStatusLocked(statusReady)
		close(j.confirmed)
	case statusCancelled:
		switch j.status {
		case statusComplete, statusFailed, statusCancelled, statusCompleting, statusFailing, statusCancelling:
			return "", refuse
		}
		j.setStatusLocked(statusCancelling)
		close(j.cancelled)
	}
	if reason != nil {
		j.statusReason = reason
	}
	return j.status, nil
}

func (j *job) addFailure(code, reason string) {
	if len(reason) > 256 { // JobFailureReason is 1-256 characters
		reason = reason[:253] + "..."
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.failures = append(j.failures, jobFailure{FailureCode: code, FailureReason: reason})
}

func (j *job) progressLocked() *progressSummary {
	p := &progressSummary{
		TotalNumberOfTasks:     j.total,
		NumberOfTasksSucceeded: j.succeeded.Load(),
		NumberOfTasksFailed:    j.failed.Load(),
	}
	if !j.activeStart.IsZero() {
		end := j.activeEnd
		if j.status == statusActive || end.IsZero() {
			end = time.Now()
		}
		p.Timers = &jobTimers{ElapsedTimeInActiveSeconds: int64(end.Sub(j.activeStart) / time.Second)}
	}
	return p
}

func (j *job) describe() jobDescriptor {
	j.mu.Lock()
	defer j.mu.Unlock()
	d := jobDescriptor{
		ConfirmationRequired:        j.confirmation,
		CreationTime:                isoTime{j.created},
		Description:                 j.req.Description,
		JobArn:                      j.arn,
		JobId:                       j.id,
		Manifest:                    j.req.Manifest,
		ManifestGenerator:           j.req.ManifestGenerator,
		Operation:                   j.req.Operation,
		Priority:                    j.priority,
		ProgressSummary:             j.progressLocked(),
		Report:                      j.req.Report,
		RoleArn:                     *j.req.RoleArn,
		Status:                      j.status,
		StatusUpdateReason:          j.statusReason,
		SuspendedCause:              j.suspendedCause,
		GeneratedManifestDescriptor: j.generated,
	}
	if len(j.failures) > 0 {
		d.FailureReasons = &failureList{Members: append([]jobFailure(nil), j.failures...)}
	}
	if j.suspendedDate != nil {
		d.SuspendedDate = newISOTime(*j.suspendedDate)
	}
	if j.terminated != nil {
		d.TerminationDate = newISOTime(*j.terminated)
	}
	return d
}

func (j *job) listDescriptor() jobListDescriptor {
	j.mu.Lock()
	defer j.mu.Unlock()
	d := jobListDescriptor{
		CreationTime:    isoTime{j.created},
		Description:     j.req.Description,
		JobId:           j.id,
		Operation:       j.operation(),
		Priority:        j.priority,
		ProgressSummary: j.progressLocked(),
		Status:          j.status,
	}
	if j.terminated != nil {
		d.TerminationDate = newISOTime(*j.terminated)
	}
	return d
}
