package bops

import (
	"time"
)

// run drives one job through its statuses (UG batch-ops-job-status):
//
//	New -> Preparing -> [Suspended -> (UpdateJobStatus Ready)] -> Ready -> Active
//	    -> Completing -> Complete
//	    -> Failing -> Failed          (Preparing found a problem, or >50% of >=1,000 tasks failed)
//	    -> Cancelling -> Cancelled    (UpdateJobStatus Cancelled, from any status before the end)
//
// Options.Step separates the phases. Server.Close stops a job where it is.
func (s *Server) run(j *job) {
	defer s.wg.Done()
	p, ok := s.runUntilActive(j)
	if s.ctx.Err() != nil {
		return
	}
	if !ok {
		s.end(j, nil)
		return
	}
	s.opts.Logf("bops: job %s: Active, %d tasks", j.id, len(p.tasks))
	s.end(j, p)
	if s.ctx.Err() == nil {
		s.opts.Logf("bops: job %s: %s", j.id, j.getStatus())
	}
}

// runUntilActive prepares the job and waits for its confirmation. ok is
// false when the job ended before Active (failed in Preparing, cancelled).
func (s *Server) runUntilActive(j *job) (p *plan, ok bool) {
	if !s.pause(j) || !j.transition(statusPreparing) {
		return nil, false
	}
	p, f := s.prepare(j)
	if f != nil {
		j.addFailure(f.code, f.reason)
		j.transition(statusFailing)
		s.opts.Logf("bops: job %s: failed in Preparing: %s: %s", j.id, f.code, f.reason)
		return nil, false
	}
	j.setTotal(int64(len(p.tasks)))
	if !s.pause(j) {
		return nil, false
	}
	if j.confirmation {
		if !j.transition(statusSuspended) {
			return nil, false
		}
		select {
		case <-j.confirmed:
		case <-j.cancelled:
			return nil, false
		case <-s.ctx.Done():
			return nil, false
		}
	} else if !j.transition(statusReady) {
		return nil, false
	}
	if !s.pause(j) || !j.transition(statusActive) {
		return nil, false
	}
	return p, true
}

// end runs the tasks of p (if any), then moves the job through its ending
// status to its terminal one, writing the completion report in between.
func (s *Server) end(j *job, p *plan) {
	var results *resultSet
	if p != nil {
		results = s.runTasks(j, p)
	}
	if s.ctx.Err() != nil {
		return
	}
	final := statusComplete
	switch j.getStatus() {
	case statusCancelling:
		final = statusCancelled
	case statusFailing:
		final = statusFailed
	default:
		j.transition(statusCompleting)
		if j.getStatus() == statusCancelling {
			final = statusCancelled
		}
	}
	if results != nil && results.invoked() > 0 {
		s.writeReport(j, results)
	}
	s.pause(j)
	j.setStatus(final)
}

// pause waits one Step; false if the job was cancelled or the server closed.
func (s *Server) pause(j *job) bool {
	t := time.NewTimer(s.opts.Step)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-j.cancelled:
		return false
	case <-s.ctx.Done():
		return false
	}
}

// transition moves the job to st unless a cancellation got there first
// (the job is Cancelling); it reports whether it moved.
func (j *job) transition(st string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.status == statusCancelling {
		return false
	}
	j.setStatusLocked(st)
	return true
}

func (j *job) setTotal(n int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.total = n
}
