package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

// Env is where a run writes and how it reaches S3.
type Env struct {
	Stdout, Stderr io.Writer
	// Control, when set, lets a signal handler stop the run gracefully.
	Control *Control
	// Connect makes the clients (nil: Connect, the SDK's).
	Connect Connector
	// Open opens the source (nil: inventory.Open).
	Open func(ctx context.Context, spec inventory.Spec, deps inventory.Deps) (*inventory.Source, error)
	// Concurrency, when set, is told the concurrency in use at the start
	// and at every change (the CLI moves the GC's memory limit with it).
	Concurrency func(n int)
}

// copyRun is one copy (or plan) from start to end.
type copyRun struct {
	spec  *Spec
	env   Env
	start time.Time
	cp    *checkpoint.Store
	out   *report.Output
	sides *Sides
	src   *inventory.Source
	plan  *planner // set for a plan
}

// Run runs a copy (or, with spec.Plan, a plan) from start to end: the
// checkpoint, the report files, the clients and their preflight, the
// source, the engine with its progress display, and the outcome (summary,
// report, failures file). It returns nil when every object was copied or
// skipped for a stated reason, otherwise an error whose ExitCode is the
// exit status (Explained when the summary already said why).
func Run(ctx context.Context, spec *Spec, env Env) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if env.Connect == nil {
		env.Connect = Connect
	}
	if env.Open == nil {
		env.Open = inventory.Open
	}
	r := &copyRun{spec: spec, env: env, start: time.Now()}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The checkpoint first: a second run on it is refused at once, before
	// it touches anything (such as the running job's report and failures
	// files).
	if spec.Checkpoint != "" {
		cp, err := OpenCheckpoint(spec.Checkpoint, false)
		if err != nil {
			return err
		}
		defer cp.Close()
		r.cp = cp
	}
	// The report and failures files next, so that a run that fails early
	// still leaves a report saying so (never last night's). A plan's
	// report is the plan, written at its end (writePlanReport).
	outOpts := spec.Output
	if spec.Plan {
		outOpts.Report = ""
		if err := report.CheckWritable(spec.Output.Report); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	out, err := report.NewOutput(env.Stdout, env.Stderr, outOpts)
	if err != nil {
		return err
	}
	defer out.Close()
	r.out = out
	eng, err := r.prepare(ctx)
	if err != nil {
		return r.fail(ctx, err)
	}
	defer r.src.Close()
	return r.copy(ctx, eng)
}

// prepare does everything before the first copy: clients, preflight,
// source, checkpoint job, engine.
func (r *copyRun) prepare(ctx context.Context) (*engine.Engine, error) {
	sides, err := r.env.Connect(ctx, r.spec)
	if err != nil {
		return nil, err
	}
	r.sides = sides
	if err := preflightBoth(ctx, sides, r.spec); err != nil {
		return nil, err
	}
	if err := r.pinDelivery(); err != nil {
		return nil, err
	}
	src, err := r.env.Open(ctx, r.spec.Source, inventory.Deps{Source: sides.Source, Replica: sides.Dest, State: r.state()})
	if err != nil {
		return nil, err
	}
	r.src = src
	if src.Empty != "" {
		r.out.Note(src.Empty)
	}
	for _, n := range src.Notes {
		r.out.Note(n)
	}
	opts, err := r.beginJob(ctx)
	if err != nil {
		src.Close()
		return nil, err
	}
	opts.Logf = r.logf
	opts.OnConcurrency = r.env.Concurrency
	if sides.SourceThrottle != nil || sides.DestThrottle != nil {
		st, dt := sides.SourceThrottle, sides.DestThrottle
		opts.Throttles = func() int64 { return st.Throttled() + dt.Throttled() }
		opts.SendRate = dt.SendRate
	}
	eng, err := engine.New(sides.Dest, sides.Source, opts, r.observer())
	if err != nil {
		src.Close()
		return nil, usage(err)
	}
	return eng, nil
}

// state is the job's checkpoint as the source reads it.
func (r *copyRun) state() inventory.State {
	switch {
	case r.cp == nil:
		return nil
	case r.spec.Reset:
		return emptyState{}
	}
	return cpState{r.cp}
}

// beginJob records (or checks) the job in the checkpoint and returns the
// engine's options for it.
func (r *copyRun) beginJob(ctx context.Context) (engine.Options, error) {
	opts := r.spec.Engine
	opts.Start = r.start
	opts.Probe = func(ctx context.Context) error { return preflightBoth(ctx, r.sides, r.spec) }
	if r.cp == nil {
		return opts, nil
	}
	if r.spec.Reset {
		if err := r.abortForReset(ctx); err != nil {
			return opts, err
		}
	}
	spec := r.spec.jobSpec(r.src.Delivery, r.sides)
	if err := r.reconcile(spec); err != nil {
		return opts, err
	}
	err := r.cp.Begin(spec, r.start.Add(-opts.MinAge), r.spec.Reset)
	if errors.Is(err, checkpoint.ErrSpecMismatch) {
		return opts, usage(err)
	}
	if err != nil {
		return opts, err
	}
	has, err := r.cp.HasObjects()
	if err != nil {
		return opts, err
	}
	opts.Checkpoint, opts.FreshCheckpoint = r.cp, !has
	opts.TrackShards, opts.Resume = r.src.TrackShards, engineShards(r.src.Resume)
	if r.src.ListingDone {
		r.out.Note(fmt.Sprintf("The checkpoint %s says this job's listing is complete: nothing was listed. Use --reset (or another --checkpoint) to list the buckets again.", r.spec.Checkpoint))
	}
	return opts, nil
}

// observer is who sees each result: the planner for a plan, else the
// output (object lines, failures file).
func (r *copyRun) observer() engine.Observer {
	if r.spec.Plan {
		r.plan = newPlanner(r.spec.Engine)
		return r.plan
	}
	return r.out
}

// copy runs the engine with its progress display, then reports.
func (r *copyRun) copy(ctx context.Context, eng *engine.Engine) error {
	r.env.Control.set(eng)
	defer r.env.Control.set(nil)
	if ctx.Err() != nil { // interrupted during the set-up
		eng.Stop()
	}
	prog := report.StartProgress(r.env.Stderr, eng, report.ProgressModeFor(r.env.Stderr, r.spec.Progress))
	sum, runErr := eng.Run(ctx, r.src)
	prog.Stop()

	code := classify(sum, runErr)
	if r.cp != nil && !r.spec.Engine.DryRun {
		code = r.jobOutcome(code)
	}
	r.out.SetAborted(ctx.Err() != nil)
	if r.plan != nil && runErr == nil {
		return r.printPlan(ctx, code, sum)
	}
	if r.plan != nil {
		r.writePlanReport(r.plan, code, runErr)
	}
	if err := r.out.Finish(sum, runErr, code); err != nil {
		if runErr == nil {
			return err
		}
		r.warn(err)
	}
	if runErr != nil && code == exitcode.Failed {
		return &ExitError{Code: code, Err: runErr}
	}
	return exitWith(code)
}

// jobOutcome reads the whole job's state after the run into the output,
// and rewrites the --failures file; failures of earlier runs that this
// run did not retry still leave the replica incomplete (exit 3).
func (r *copyRun) jobOutcome(code int) int {
	if err := rewriteFailures(r.cp, r.spec.From, r.out); err != nil {
		r.warn(err)
	}
	if err := rewriteArchived(r.cp, r.spec.From, r.out); err != nil {
		r.warn(err)
	}
	job, err := jobState(r.cp)
	if err != nil {
		r.warn(err)
		return code
	}
	r.out.SetJob(job)
	if r.spec.Source.RetryFailed && !job.ListingComplete {
		r.out.Note("The listing of this job is not complete: run the same command without --retry-failed to finish it.")
	}
	if code == exitcode.OK && job.FailedObjects > 0 {
		code = exitcode.Partial
	}
	return code
}

// printPlan prints the plan (the summary of a plan) with its advice,
// writes it to the --report file, and returns its status.
func (r *copyRun) printPlan(ctx context.Context, code int, sum *engine.Summary) error {
	look := func() {
		if r.sides.Requests != nil {
			r.plan.looked(r.sides.Requests.Counts())
		} else {
			r.plan.looked(nil)
		}
	}
	look()
	advice := r.advise(ctx, sum)
	look() // with the advice's own requests
	doc := r.planDoc(r.plan, code, nil)
	doc.Interrupted = sum.Interrupted
	r.plan.print(r.env.Stdout, r.spec.Output.JSON, doc, advice)
	if err := r.out.Close(); err != nil {
		return err
	}
	if r.spec.Output.Report != "" {
		if err := report.WriteJSONFile(r.spec.Output.Report, doc); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	return exitWith(code)
}

func (r *copyRun) planDoc(p *planner, code int, err error) planDoc {
	doc := planDoc{Event: "plan", Source: r.spec.From.String(), Destination: r.spec.To.String(), ExitCode: code, planner: p}
	if r.src != nil {
		doc.ReplicaLookup = r.src.ReplicaLookup
	}
	if err != nil {
		doc.Error = report.ErrorText(err, r.spec.Output.Debug)
	}
	return doc
}

// writePlanReport writes the --report file of a plan that stopped on an
// error: what it counted (nothing, if it never began), the error and the
// exit status.
func (r *copyRun) writePlanReport(p *planner, code int, err error) {
	if r.spec.Output.Report == "" {
		return
	}
	if werr := report.WriteJSONFile(r.spec.Output.Report, r.planDoc(p, code, err)); werr != nil {
		r.warn(fmt.Errorf("--report: %w", werr))
	}
}

// classify maps an engine run's outcome to its exit status.
func classify(sum *engine.Summary, runErr error) int {
	switch {
	case runErr != nil && sum.Interrupted:
		return exitcode.Interrupted
	case runErr != nil:
		return exitcode.Failed
	case sum.Interrupted:
		return exitcode.Interrupted
	case sum.FailedTotal() > 0:
		return exitcode.Partial
	}
	return exitcode.OK
}

// exitWith is nil for success, else an explained ExitError.
func exitWith(code int) error {
	if code == exitcode.OK {
		return nil
	}
	return &ExitError{Code: code}
}

// fail ends a run that stopped before the copy began: the error alone
// (the caller prints it; no summary of a copy that never ran), and the
// --report file saying so, with the exit status.
func (r *copyRun) fail(ctx context.Context, err error) error {
	code := exitcode.Failed
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case ctx.Err() != nil:
		code, err = exitcode.Interrupted, fmt.Errorf("interrupted before the copy began: %w", err)
	}
	if ferr := r.out.FinishEarly(r.start, err, code); ferr != nil {
		r.warn(ferr)
	}
	if r.spec.Plan {
		r.writePlanReport(nil, code, err)
	}
	if ee != nil {
		return err
	}
	return &ExitError{Code: code, Err: err}
}

// logf prints the engine's notes; errors in them are shown like every
// other error (brief, or in full with --debug).
func (r *copyRun) logf(format string, args ...any) {
	for i, a := range args {
		if err, ok := a.(error); ok {
			args[i] = report.ErrorText(err, r.spec.Output.Debug)
		}
	}
	fmt.Fprintf(r.env.Stderr, "backfill: "+format+"\n", args...)
}

// warn prints a problem that does not change the run's outcome.
func (r *copyRun) warn(err error) {
	fmt.Fprintf(r.env.Stderr, "backfill: %s\n", report.ErrorText(err, r.spec.Output.Debug))
}
