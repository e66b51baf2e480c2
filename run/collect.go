package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

// Collected is what Collect read: the dry run's summary, and what the
// source said of itself.
type Collected struct {
	Summary *engine.Summary
	// Delivery is the inventory manifest.json --inventory resolved to
	// ("" for other sources).
	Delivery string
	// Notes are the source's notes (an empty input, a newer delivery).
	Notes []string
}

// Collect runs a copy's decisions over spec's source as a dry run and
// hands every result to obs instead of printing it: the same clients and
// preflight, the same source (listing, inventory, manifest, completion
// report, a checkpoint's failures), the same filters and replica checks
// as `copy`, and nothing copied or recorded. batchops builds its
// manifests this way. The checkpoint, when spec names one (a
// --checkpoint FILE --failed source), is opened read-only, and must be a
// job of the same source and destination. obs.Result is called from the
// engine's collector goroutine only. A stopped or failed collection is an
// error: a manifest made from part of a source is never complete.
func Collect(ctx context.Context, spec *Spec, env Env, obs engine.Observer) (*Collected, error) {
	spec.Engine.DryRun = true
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if env.Connect == nil {
		env.Connect = Connect
	}
	if env.Open == nil {
		env.Open = inventory.Open
	}
	var state inventory.State
	if spec.Checkpoint != "" {
		cp, err := openForCollect(spec)
		if err != nil {
			return nil, err
		}
		defer cp.Close()
		state = cpState{cp}
	}
	sides, err := env.Connect(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := preflightBoth(ctx, sides, spec); err != nil {
		return nil, err
	}
	src, err := env.Open(ctx, spec.Source, inventory.Deps{Source: sides.Source, Replica: sides.Dest, State: state})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	out := &Collected{Delivery: src.Delivery, Notes: src.Notes}
	if src.Empty != "" {
		out.Notes = append(out.Notes, src.Empty)
	}
	opts := spec.Engine
	opts.Start = time.Now()
	eng, err := engine.New(sides.Dest, sides.Source, opts, obs)
	if err != nil {
		return nil, usage(err)
	}
	env.Control.set(eng)
	defer env.Control.set(nil)
	prog := report.StartProgress(env.Stderr, eng, report.ProgressModeFor(env.Stderr, spec.Progress))
	sum, err := eng.Run(ctx, src)
	prog.Stop()
	out.Summary = sum
	switch {
	case err != nil && ctx.Err() != nil, err == nil && sum.Interrupted:
		return out, &ExitError{Code: exitcode.Interrupted, Err: errors.New("interrupted while reading the source: nothing was submitted")}
	case err != nil:
		return out, err
	}
	return out, nil
}

// openForCollect opens the checkpoint a source reads failures from,
// read-only, and checks that it is a job of the same locations.
func openForCollect(spec *Spec) (*checkpoint.Store, error) {
	cp, err := OpenCheckpoint(spec.Checkpoint, true)
	if err != nil {
		return nil, err
	}
	js, err := cp.Spec()
	if err != nil {
		cp.Close()
		return nil, fmt.Errorf("checkpoint %s: %w", spec.Checkpoint, err)
	}
	for name, want := range map[string]string{"source": spec.From.String(), "destination": spec.To.String()} {
		if got := js[name]; got != want {
			cp.Close()
			return nil, usage(fmt.Errorf("checkpoint %s is a job with %s %s, not %s: give the --from and --to of that job", spec.Checkpoint, name, orNone(got), want))
		}
	}
	return cp, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
