package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// output is the copy command's engine.Observer: JSON lines or text on
// stdout, failures on stderr and in the --failures CSV, and at the end the
// summary and the --report file. Result is called from the engine's
// collector goroutine only.
type output struct {
	run      *copyRun
	stdout   *bufio.Writer
	stderr   io.Writer
	enc      *json.Encoder
	failFile *os.File
	failCSV  *csv.Writer
	reported int // failures printed on stderr
	notes    []string
	// job is the checkpoint's view of the whole job after this run (all
	// runs' totals; FailedObjects are failed now); hasJob when there is one.
	job            checkpoint.Counters
	hasJob         bool
	listingPending bool // the job's listing is not complete
	aborted        bool // a second Ctrl-C aborted the copies in flight
}

// note adds a line to the summary.
func (o *output) note(s string) { o.notes = append(o.notes, s) }

// fromCheckpoint reads the job's state after the run and, with
// --failures, rewrites that file with every object of the job that is
// failed now (earlier runs' too), so it can be fed back in.
func (o *output) fromCheckpoint(cp *checkpoint.Store, from s3url.URL, retryFailed bool) error {
	job, err := cp.Counters()
	if err != nil {
		return err
	}
	o.job, o.hasJob = job, true
	shards, err := cp.Shards()
	if err != nil {
		return err
	}
	for _, sh := range shards {
		if !sh.Complete {
			o.listingPending = true
		}
	}
	if len(shards) == 0 {
		o.listingPending = true
	}
	if retryFailed && o.listingPending {
		o.note("The listing of this job is not complete: run the same command without --retry-failed to finish it.")
	}
	if o.failCSV == nil {
		return nil
	}
	if err := o.failFile.Truncate(0); err != nil {
		return fmt.Errorf("--failures: %w", err)
	}
	if _, err := o.failFile.Seek(0, 0); err != nil {
		return fmt.Errorf("--failures: %w", err)
	}
	o.failCSV = csv.NewWriter(o.failFile)
	return cp.Each(checkpoint.Failed, func(key, version string, _ checkpoint.Record) error {
		row := []string{from.Bucket, s3url.EscapeKey(from.Key(key))}
		if version != "" {
			row = append(row, version)
		}
		return o.failCSV.Write(row)
	})
}

const maxFailureLines = 100

func newOutput(stdout, stderr io.Writer, r *copyRun) (*output, error) {
	o := &output{run: r, stdout: bufio.NewWriter(stdout), stderr: stderr}
	o.enc = json.NewEncoder(o.stdout)
	o.enc.SetEscapeHTML(false)
	if r.failures != "" {
		f, err := createPrivate(r.failures)
		if err != nil {
			return nil, fmt.Errorf("--failures: %w", err)
		}
		o.failFile, o.failCSV = f, csv.NewWriter(f)
	}
	if r.report != "" {
		// Create it now so a bad path fails before anything is copied.
		f, err := createPrivate(r.report)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("--report: %w", err)
		}
		f.Close()
	}
	return o, nil
}

// createPrivate creates (or truncates) a file readable by its owner only.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil { // an existing file keeps its mode otherwise
		f.Close()
		return nil, err
	}
	return f, nil
}

type objectLine struct {
	Event   string `json:"event"`
	Source  string `json:"source"`
	Dest    string `json:"dest"`
	Size    int64  `json:"size"`
	ETag    string `json:"etag,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (o *output) Result(r *engine.Result) {
	src := "s3://" + r.Entry.Source.Bucket + "/" + r.Entry.Source.Key
	dst := "s3://" + o.run.to.Bucket + "/" + r.DestKey
	if r.Outcome == engine.Failed && o.failCSV != nil {
		row := []string{r.Entry.Source.Bucket, s3url.EscapeKey(r.Entry.Source.Key)}
		if v := r.Entry.Source.VersionID; v != "" {
			row = append(row, v)
		}
		o.failCSV.Write(row) //nolint:errcheck // checked by Flush/Error in close
	}
	if o.run.json {
		if r.Outcome == engine.Skipped && r.Reason == engine.ReasonExcluded {
			return
		}
		line := objectLine{Event: r.Outcome.String(), Source: src, Dest: dst, Size: r.Entry.Source.Size,
			ETag: r.Entry.Source.ETag, Reason: r.Reason, Code: r.Code}
		if r.Err != nil {
			line.Message = r.Err.Error()
		}
		o.enc.Encode(line) //nolint:errcheck // stdout errors surface at Flush
		return
	}
	switch r.Outcome {
	case engine.WouldCopy:
		fmt.Fprintf(o.stdout, "would copy %s -> %s (%s)\n", src, dst, humanBytes(r.Entry.Source.Size))
	case engine.Failed:
		if o.reported++; o.reported <= maxFailureLines {
			fmt.Fprintf(o.stderr, "failed: %s: %s: %v\n", src, r.Code, r.Err)
		} else if o.reported == maxFailureLines+1 {
			fmt.Fprintf(o.stderr, "failed: ... (more failures are not printed; see --report/--failures)\n")
		}
	}
}

// jobReport is the whole job (all runs on its checkpoint).
type jobReport struct {
	Copied          int64            `json:"copied"`
	BytesCopied     int64            `json:"bytes_copied"`
	Skipped         map[string]int64 `json:"skipped"`
	FailedObjects   int64            `json:"failed_objects"`
	ListingComplete bool             `json:"listing_complete"`
}

// report is the --report file and the --json summary line.
type report struct {
	Event           string           `json:"event,omitempty"`
	Source          string           `json:"source"`
	Destination     string           `json:"destination"`
	DryRun          bool             `json:"dry_run"`
	Started         time.Time        `json:"started"`
	Finished        time.Time        `json:"finished"`
	DurationSeconds float64          `json:"duration_seconds"`
	Listed          int64            `json:"listed"`
	ListedBytes     int64            `json:"listed_bytes"`
	Copied          int64            `json:"copied"`
	BytesCopied     int64            `json:"bytes_copied"`
	WouldCopy       int64            `json:"would_copy"`
	WouldCopyBytes  int64            `json:"would_copy_bytes"`
	Skipped         map[string]int64 `json:"skipped"`
	Failed          map[string]int64 `json:"failed"`
	Interrupted     bool             `json:"interrupted"`
	Job             *jobReport       `json:"job,omitempty"`
	Error           string           `json:"error,omitempty"`
	ExitCode        int              `json:"exit_code"`
}

func (o *output) finish(sum *engine.Summary, runErr error, code int) error {
	rep := report{
		Source: o.run.from.String(), Destination: o.run.to.String(), DryRun: o.run.opts.DryRun,
		Started: sum.Started.UTC(), Finished: sum.Finished.UTC(),
		DurationSeconds: sum.Finished.Sub(sum.Started).Seconds(),
		Listed:          sum.Listed, ListedBytes: sum.ListedBytes,
		Copied: sum.Copied, BytesCopied: sum.BytesCopied,
		WouldCopy: sum.WouldCopy, WouldCopyBytes: sum.WouldCopyBytes,
		Skipped: sum.Skipped, Failed: sum.Failed,
		Interrupted: sum.Interrupted, ExitCode: code,
	}
	if o.hasJob {
		rep.Job = &jobReport{Copied: o.job.Copied, BytesCopied: o.job.BytesCopied, Skipped: o.job.Skipped,
			FailedObjects: o.job.FailedObjects, ListingComplete: !o.listingPending}
	}
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	var firstErr error
	if o.run.report != "" {
		if err := writeJSONFile(o.run.report, rep); err != nil {
			firstErr = fmt.Errorf("--report: %w", err)
		}
	}
	if o.run.json {
		rep.Event = "summary"
		o.enc.Encode(rep) //nolint:errcheck
	} else {
		o.summary(sum, code)
	}
	if err := o.close(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

func writeJSONFile(path string, v any) error {
	f, err := createPrivate(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// summary prints what the run did in plain words.
func (o *output) summary(sum *engine.Summary, code int) {
	w := o.stdout
	elapsed := sum.Finished.Sub(sum.Started)
	d := elapsed.Round(100 * time.Millisecond)
	if elapsed < time.Second {
		d = elapsed.Round(time.Millisecond)
	}
	if o.run.opts.DryRun {
		fmt.Fprintf(w, "Dry run: would copy %s (%s) from %s to %s; listed %d in %s.\n",
			plural(sum.WouldCopy, "object"), humanBytes(sum.WouldCopyBytes), o.run.from, o.run.to, sum.Listed, d)
	} else {
		rate := 0.0
		if s := elapsed.Seconds(); s > 0 {
			rate = float64(sum.Copied) / s
		}
		fmt.Fprintf(w, "Copied %s (%s) from %s to %s in %s (%.0f objects/s); listed %d.\n",
			plural(sum.Copied, "object"), humanBytes(sum.BytesCopied), o.run.from, o.run.to, d, rate, sum.Listed)
	}
	if n := sum.SkippedTotal(); n > 0 {
		fmt.Fprintf(w, "Skipped %d: %s.\n", n, countsText(sum.Skipped, skipWords))
	}
	if n := sum.FailedTotal(); n > 0 {
		where := ""
		if o.run.failures != "" {
			where = " (listed in " + o.run.failures + ")"
		}
		fmt.Fprintf(w, "Failed %d%s: %s.\n", n, where, countsText(sum.Failed, nil))
	}
	for _, n := range o.notes {
		fmt.Fprintln(w, n)
	}
	if o.hasJob {
		j := o.job
		fmt.Fprintf(w, "This job so far (all runs on its checkpoint): copied %s (%s)", plural(j.Copied, "object"), humanBytes(j.BytesCopied))
		if len(j.Skipped) > 0 {
			fmt.Fprintf(w, "; skipped %s", countsText(j.Skipped, nil))
		}
		fmt.Fprintln(w, ".")
		if earlier := j.FailedObjects - sum.FailedTotal(); earlier > 0 {
			fmt.Fprintf(w, "%s of this job failed in earlier runs and are not retried by a plain run: see `backfill status`, then use --retry-failed.\n", plural(earlier, "object"))
		}
	}
	switch code {
	case exitOK:
		if !o.run.opts.DryRun {
			fmt.Fprintln(w, "Every object was copied or skipped for the reason given.")
		}
	case exitPartial:
		if o.hasJob {
			fmt.Fprintln(w, "Some objects failed: the replica is not whole. Fix the cause, then run the same command with --retry-failed (failures from throttling or the network are retried by a plain re-run).")
		} else {
			fmt.Fprintln(w, "Some objects failed: the replica is not whole. Fix the cause and run again (copied objects are skipped as exists).")
		}
	case exitInterrupted:
		if o.aborted {
			fmt.Fprintln(w, "Interrupted twice: the copies in flight were aborted (large ones too); run the same command again to go on.")
		} else {
			fmt.Fprintln(w, "Interrupted: the copies in flight finished; run the same command again to go on.")
		}
	case exitFailed:
		fmt.Fprintln(w, "The run stopped before it finished.")
	}
}

var skipWords = map[string]string{
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

func countsText(m map[string]int64, words map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if w, ok := words[k]; ok {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", m[k], w, k))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

func (o *output) close() error {
	var first error
	if o.failCSV != nil {
		o.failCSV.Flush()
		first = o.failCSV.Error()
		if err := o.failFile.Close(); err != nil && first == nil {
			first = err
		}
		o.failCSV = nil
	}
	if err := o.stdout.Flush(); err != nil && first == nil {
		first = err
	}
	return first
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
