package bops

import (
	"context"
	"fmt"
	"net/http"
	"sync"
)

// Task failure threshold (UG batch-ops-job-status, "Tracking job failure"):
// once a job has run at least 1,000 tasks, it fails when more than 50% of
// the tasks run so far failed.
const thresholdMinTasks = 1000

// taskResult is one line of the completion report.
type taskResult struct {
	task       task
	ok         bool
	httpStatus int
	code, msg  string
}

func succeeded(t task) taskResult {
	// UNCONFIRMED: "Successful" as the result message of a succeeded task.
	return taskResult{task: t, ok: true, httpStatus: http.StatusOK, msg: "Successful"}
}

func failed(t task, status int, code, msg string) taskResult {
	return taskResult{task: t, httpStatus: status, code: code, msg: msg}
}

// missingVersion is the documented answer for a task whose manifest row has
// an empty version id (UG troubleshooting-batch-operations: "400
// InvalidRequest: Task failed due to missing VersionId").
func missingVersion(t task) (taskResult, bool) {
	if t.HasVersion && t.VersionID == "" {
		return failed(t, http.StatusBadRequest, "InvalidRequest", "Task failed due to missing VersionId"), true
	}
	return taskResult{}, false
}

// resultSet collects the results of a job's tasks.
type resultSet struct {
	mu      sync.Mutex
	results []taskResult
}

func (rs *resultSet) invoked() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.results)
}

func (rs *resultSet) all() []taskResult {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]taskResult(nil), rs.results...)
}

// add records r and reports whether the job crossed the failure threshold.
func (rs *resultSet) add(j *job, r taskResult) bool {
	rs.mu.Lock()
	rs.results = append(rs.results, r)
	rs.mu.Unlock()
	var ok, bad int64
	if r.ok {
		ok, bad = j.succeeded.Add(1), j.failed.Load()
	} else {
		ok, bad = j.succeeded.Load(), j.failed.Add(1)
	}
	done := ok + bad
	return done >= thresholdMinTasks && 2*bad > done
}

// runTasks runs p's tasks with Options.Concurrency workers until all ran,
// the job is cancelled, the server closes, or the failure threshold is
// crossed (then the job is Failing). Tasks in flight always finish. The
// order of tasks is not the manifest's, as on AWS.
func (s *Server) runTasks(j *job, p *plan) *resultSet {
	rs := &resultSet{}
	exec := s.executor(j, p)
	work := make(chan task)
	stop := make(chan struct{})
	var stopOnce sync.Once
	var wg sync.WaitGroup
	for range s.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if rs.add(j, exec(s.ctx, t)) {
					stopOnce.Do(func() { close(stop) })
				}
			}
		}()
	}
	dispatch(p.tasks, work, stop, j.cancelled, s.ctx.Done())
	close(work)
	wg.Wait()
	select {
	case <-stop:
		n, bad := j.succeeded.Load()+j.failed.Load(), j.failed.Load()
		j.addFailure(failFailureThreshold, fmt.Sprintf(
			"The job failed because %d of the %d tasks run failed (more than 50%% of at least %d tasks)", bad, n, thresholdMinTasks))
		j.transition(statusFailing)
	default:
	}
	return rs
}

// dispatch hands tasks to the workers until one of the stop channels closes.
// A stop takes precedence over a worker that is ready for more.
func dispatch(tasks []task, work chan<- task, threshold, cancelled, closed <-chan struct{}) {
	for _, t := range tasks {
		select {
		case <-threshold:
			return
		case <-cancelled:
			return
		case <-closed:
			return
		default:
		}
		select {
		case work <- t:
		case <-threshold:
			return
		case <-cancelled:
			return
		case <-closed:
			return
		}
	}
}

// executor returns the function that runs one task of j.
func (s *Server) executor(j *job, p *plan) func(context.Context, task) taskResult {
	if op := j.req.Operation.S3PutObjectCopy; op != nil {
		return func(ctx context.Context, t task) taskResult { return s.copyTask(ctx, op, t) }
	}
	r := &replicator{s: s, cfg: p.repl, dest: map[string]*taskResult{}}
	return r.replicate
}
