package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
)

// SkipWords explain the skip reasons in summaries.
var SkipWords = map[string]string{
	engine.ReasonExists:         "already in the replica",
	engine.ReasonNewerInReplica: "newer in the replica",
	engine.ReasonTooNew:         "too new (live replication delivers them)",
	engine.ReasonTooLarge:       "too large to copy (over 48.8 TiB)",
	engine.ReasonChanged:        "changed since listed",
	engine.ReasonExcluded:       "excluded by filters",
	engine.ReasonEmptyKey:       "would have an empty destination key",
	engine.ReasonDone:           "copied by an earlier run",
	engine.ReasonGone:           "deleted from the source since listed",
	engine.ReasonArchived:       "archived (needs a restore)",
	engine.ReasonDeleteMarker:   "versions of keys deleted in the source",
}

// DropWords explain, in summaries, what copies could not carry.
var DropWords = map[string]string{
	engine.DropChecksumAlgorithm: "copied without their checksum algorithm (the destination refused it on part copies)",
}

// droppedLine says on stderr what one copy could not carry (text mode;
// JSON lines carry it in "dropped"), for the first maxFailureLines.
func (o *Output) droppedLine(src string, drops []engine.Drop) {
	if o.dropped++; o.dropped > maxFailureLines {
		if o.dropped == maxFailureLines+1 {
			fmt.Fprintf(o.stderr, "copied without: ... (more are not printed; see the summary)\n")
		}
		return
	}
	for _, d := range drops {
		why := ""
		if d.What == engine.DropChecksumAlgorithm {
			why = " (the destination refused it on part copies)"
		}
		fmt.Fprintf(o.stderr, "copied without its %s: %s%s\n", d, src, why)
	}
}

// summary prints what the run did in plain words.
func (o *Output) summary(sum *engine.Summary, code int) {
	w := o.stdout
	elapsed := sum.Finished.Sub(sum.Started)
	d := Duration(elapsed)
	if o.opts.DryRun {
		fmt.Fprintf(w, "Dry run: would copy %s (%s) from %s to %s; listed %d in %s.\n",
			Plural(sum.WouldCopy, "object"), HumanBytes(sum.WouldCopyBytes), o.opts.From, o.opts.To, sum.Listed, d)
	} else {
		rate := 0.0
		if s := elapsed.Seconds(); s > 0 {
			rate = float64(sum.Copied) / s
		}
		fmt.Fprintf(w, "Copied %s (%s) from %s to %s in %s (%.0f objects/s); listed %d.\n",
			Plural(sum.Copied, "object"), HumanBytes(sum.BytesCopied), o.opts.From, o.opts.To, d, rate, sum.Listed)
	}
	if n := sum.SkippedTotal(); n > 0 {
		fmt.Fprintf(w, "Skipped %d: %s.\n", n, CountsText(sum.Skipped, SkipWords))
	}
	for _, what := range slices.Sorted(maps.Keys(sum.Dropped)) {
		words := DropWords[what]
		if words == "" {
			words = "copied without their " + what
		}
		if n := sum.Dropped[what]; n == 1 {
			fmt.Fprintf(w, "1 object %s.\n", strings.Replace(words, "their", "its", 1))
		} else {
			fmt.Fprintf(w, "%d objects %s.\n", n, words)
		}
	}
	if n := sum.FailedTotal(); n > 0 {
		where := ""
		if o.opts.Failures != "" {
			where = " (listed in " + o.opts.Failures + ")"
		}
		fmt.Fprintf(w, "Failed %d%s: %s.\n", n, where, CountsText(sum.Failed, nil))
	}
	if c := sum.Concurrency; c.Mode == "adaptive" && !o.opts.DryRun {
		fmt.Fprintf(w, "Concurrency: adaptive, %s in flight at the start, %s at the end, %s at the most (ceiling %s; its changes are in --report).\n",
			count(int64(c.Start)), count(int64(c.Final)), count(int64(c.Peak)), count(int64(c.Max)))
	}
	for _, n := range o.notes {
		fmt.Fprintln(w, n)
	}
	o.jobSummary(sum)
	o.verdict(code)
}

// jobSummary prints the whole job's totals (all runs on its checkpoint).
func (o *Output) jobSummary(sum *engine.Summary) {
	if o.job == nil {
		return
	}
	w, j := o.stdout, o.job
	fmt.Fprintf(w, "This job so far (all runs on its checkpoint): copied %s (%s)", Plural(j.Copied, "object"), HumanBytes(j.BytesCopied))
	if len(j.Skipped) > 0 {
		fmt.Fprintf(w, "; skipped %s", CountsText(j.Skipped, nil))
	}
	fmt.Fprintln(w, ".")
	if earlier := j.FailedObjects - sum.FailedTotal(); earlier > 0 {
		fmt.Fprintf(w, "%s of this job failed in earlier runs and are not retried by a plain run: see `backfill status`, then use --retry-failed.\n", Plural(earlier, "object"))
	}
}

// verdict prints the last line: what the exit status means for the replica.
func (o *Output) verdict(code int) {
	w := o.stdout
	switch code {
	case exitcode.OK:
		if !o.opts.DryRun {
			fmt.Fprintln(w, "Every object was copied or skipped for the reason given.")
		}
	case exitcode.Partial:
		if o.job != nil {
			fmt.Fprintln(w, "Some objects failed: the replica is not whole. Fix the cause, then run the same command with --retry-failed (failures from throttling or the network are retried by a plain re-run).")
		} else {
			fmt.Fprintln(w, "Some objects failed: the replica is not whole. Fix the cause and run again (copied objects are skipped as exists).")
		}
	case exitcode.Interrupted:
		if o.aborted {
			fmt.Fprintln(w, "Interrupted twice: the copies in flight were aborted (large ones too); run the same command again to go on.")
		} else {
			fmt.Fprintln(w, "Interrupted: the copies in flight finished; run the same command again to go on.")
		}
	case exitcode.Failed:
		fmt.Fprintln(w, "The run stopped before it finished.")
	}
}
