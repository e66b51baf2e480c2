package run

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/report"
)

// verifyRun is one verify from start to end.
type verifyRun struct {
	spec   *VerifySpec
	env    Env
	start  time.Time
	cutoff time.Time
	cp     *checkpoint.Store
	sides  *Sides
	tally  *report.Tally
	rep    *report.VerifyReport
	// compared and differing are the progress display's counters;
	// comparedPrimary counts the pairs with a primary object, of total
	// (the primary's inventory rows; 0 when unknown, as for a listing).
	compared, differing, comparedPrimary, total atomic.Int64
	// budget is what is left of --head-undecided (the tally's earlier
	// reads taken off): the pairs only encryption decides still to read.
	budget atomic.Int64
}

// Verify runs a verify: both sides read (listed, or from inventories),
// joined by key, every object classified (package verify), the
// differences recorded, optionally repaired (--fix) and checked again,
// and the outcome written (summary, --report, --diff, --missing-manifest,
// --metrics-file). It returns nil when the replica is whole, an
// *ExitError with status 3 when differences remain, 1 when the run
// failed, 2 for a usage error.
func Verify(ctx context.Context, spec *VerifySpec, env Env) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if env.Connect == nil {
		env.Connect = Connect
	}
	r := &verifyRun{spec: spec, env: env, start: time.Now()}
	r.cutoff = r.start.Add(-spec.MinAge)
	r.rep = &report.VerifyReport{Source: spec.From.String(), Destination: spec.To.String(), Started: r.start.UTC(),
		Deep: spec.Deep, MinAge: spec.MinAge.String(), StatusVisible: spec.Deep, EncryptionVisible: spec.Deep, Examples: []report.Example{},
		Cutoff: r.cutoff.UTC()}
	cp, closeCP, err := openVerifyCheckpoint(spec.Checkpoint)
	if err != nil {
		return err
	}
	defer closeCP()
	r.cp = cp
	files, err := createVerifyFiles(spec.Output)
	if err != nil {
		return err
	}
	defer files.close()
	runErr := r.run(ctx)
	return r.finish(ctx, files, runErr)
}

// run compares, then repairs.
func (r *verifyRun) run(ctx context.Context) error {
	sides, err := r.env.Connect(ctx, r.spec.copySpec())
	if err != nil {
		return err
	}
	r.sides = sides
	if err := preflightBoth(ctx, sides, r.spec.copySpec()); err != nil {
		return err
	}
	if err := r.begin(ctx); err != nil {
		return err
	}
	prog := report.StartLineProgress(r.env.Stderr, r.progressLine, report.ProgressModeFor(r.env.Stderr, r.spec.Progress))
	err = r.compare(ctx)
	prog.Stop()
	if err != nil {
		return err
	}
	b := checkpoint.NewBatch()
	b.PutAux(stateTable, doneKey, []byte(time.Now().UTC().Format(time.RFC3339)))
	if err := r.cp.Apply(b); err != nil {
		return err
	}
	if r.spec.Fix {
		fixed, err := r.fix(ctx)
		r.rep.Fix = fixed
		return err
	}
	return nil
}

func (r *verifyRun) progressLine() string {
	el := time.Since(r.start)
	n := r.compared.Load()
	line := fmt.Sprintf("verify: compared %d objects (%.0f/s), %d not the same so far (%s)", n, float64(n)/max(el.Seconds(), 1),
		r.differing.Load(), el.Round(time.Second))
	return line + etaText(r.comparedPrimary.Load(), r.total.Load(), el)
}

// etaText is ", 42% of the primary's 1,000,000, ETA 3m10s" once some of a
// known total are done; "" while the total is unknown (a listing).
func etaText(done, total int64, elapsed time.Duration) string {
	if total <= 0 || done <= 0 {
		return ""
	}
	done = min(done, total)
	left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
	return fmt.Sprintf(", %d%% of the primary's %d, ETA %s", done*100/total, total, left.Round(time.Second))
}

// begin records the verify in its checkpoint, or resumes the one an
// interrupted run left there. A finished verify is not resumed: a nightly
// run on the same checkpoint starts a new comparison.
func (r *verifyRun) begin(ctx context.Context) error {
	spec := r.spec.jobSpec(r.sides)
	reset := r.spec.Reset
	if _, finished, err := r.cp.Aux(stateTable, doneKey); err != nil {
		return err
	} else if finished {
		reset = true
	}
	if old, err := r.cp.Spec(); err != nil {
		return err
	} else if old != nil && old["command"] != "verify" {
		return usage(fmt.Errorf("%s is the checkpoint of a copy, not a verify: give verify its own --checkpoint (never copy's, not even with --reset)", r.cp.Path()))
	}
	if reset {
		// A repair's uploads are billed until aborted: never forgotten.
		if err := abortAllRecorded(ctx, r.cp, r.sides.Dest, r.sides.DestEndpoint, r.env.Stderr); err != nil {
			return err
		}
	}
	err := r.cp.Begin(spec, r.cutoff, reset)
	if errors.Is(err, checkpoint.ErrSpecMismatch) {
		return usage(err)
	}
	if err != nil {
		return err
	}
	if r.tally, err = loadTally(r.cp); err != nil {
		return err
	}
	r.rep.Resumed = r.tally.Checked > 0
	r.budget.Store(max(0, int64(r.spec.HeadUndecided)-r.tally.UndecidedRead))
	r.compared.Store(r.tally.Checked)
	return nil
}

// finish writes the outcome and classifies it.
func (r *verifyRun) finish(ctx context.Context, files *verifyFiles, runErr error) error {
	rep := r.rep
	rep.Finished = time.Now().UTC()
	if r.tally == nil {
		r.tally = report.NewTally()
	}
	rep.Tally = r.tally
	rep.HeadUndecided = r.spec.HeadUndecided
	rep.Differences = r.tally.Differences(r.spec.Strict)
	rep.Whole = rep.Differences == 0 && runErr == nil
	code := exitcode.OK
	switch {
	case runErr != nil && ctx.Err() != nil:
		code, rep.Interrupted = exitcode.Interrupted, true
	case runErr != nil:
		code = ExitCode(runErr)
		if code == exitcode.OK {
			code = exitcode.Failed
		}
	case !rep.Whole:
		code = exitcode.Partial
	}
	rep.ExitCode = code
	if runErr != nil {
		rep.Error = report.ErrorText(runErr, r.spec.Debug)
	}
	if err := r.writeOutputs(files, runErr); err != nil && runErr == nil {
		runErr, code = err, exitcode.Failed
	}
	switch {
	case runErr != nil && Explained(runErr):
		return runErr
	case runErr != nil:
		return &ExitError{Code: code, Err: runErr}
	}
	return exitWith(code)
}
