package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// Options say what a run's output is and where it goes.
type Options struct {
	From, To s3url.URL
	DryRun   bool
	JSON     bool   // JSON lines on stdout instead of text
	Report   string // the --report file ("" = none)
	Failures string // the --failures manifest ("" = none)
	// Archived is the --archived manifest ("" = none): every object that
	// needs a restore before it can be copied, the input of an S3 Batch
	// Operations restore job.
	Archived string
	// Debug shows errors with the SDK's full text (request and host ids)
	// instead of the brief one.
	Debug bool
}

// JSON writes v on w as indented JSON, with < > & as they are (keys are
// media names: "Tom & Jerry.mov").
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// JSONLine writes v on w as one line of JSON, < > & as they are.
func JSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ErrorText is how an error is shown: briefly (the SDK's request details
// left out, see s3err.Brief), or in full with --debug.
func ErrorText(err error, debug bool) string {
	if debug {
		return err.Error()
	}
	return s3err.Brief(err)
}

// Job is the checkpoint's view of a whole job after a run: the totals of
// all its runs, and the objects failed now.
type Job struct {
	Copied          int64            `json:"copied"`
	BytesCopied     int64            `json:"bytes_copied"`
	Skipped         map[string]int64 `json:"skipped"`
	FailedObjects   int64            `json:"failed_objects"`
	ListingComplete bool             `json:"listing_complete"`
}

// Output is a copy run's engine.Observer: JSON lines or text on stdout,
// failures on stderr and in the --failures manifest, and at the end the
// summary and the --report file. Result is called from the engine's
// collector goroutine only; the other methods from the run's.
type Output struct {
	opts     Options
	stdout   *bufio.Writer
	stderr   io.Writer
	enc      *json.Encoder
	failures *ManifestFile
	archived *ManifestFile
	reported int // failures printed on stderr
	dropped  int // copies that lost something, printed on stderr
	notes    []string
	job      *Job
	aborted  bool
}

// maxFailureLines bounds the failures printed on stderr.
const maxFailureLines = 100

// NewOutput creates the report and failures files at once (mode 0600,
// emptied), so a bad path fails before anything is copied and a run that
// fails early never leaves the report of an earlier run behind.
func NewOutput(stdout, stderr io.Writer, opts Options) (*Output, error) {
	o := &Output{opts: opts, stdout: bufio.NewWriter(stdout), stderr: stderr}
	o.enc = json.NewEncoder(o.stdout)
	o.enc.SetEscapeHTML(false)
	if opts.Failures != "" {
		f, err := CreateManifest(opts.Failures)
		if err != nil {
			return nil, fmt.Errorf("--failures: %w", err)
		}
		o.failures = f
	}
	if opts.Archived != "" {
		f, err := CreateManifest(opts.Archived)
		if err != nil {
			o.removeManifests()
			return nil, fmt.Errorf("--archived: %w", err)
		}
		o.archived = f
	}
	if opts.Report != "" {
		f, err := CreatePrivate(opts.Report)
		if err != nil {
			o.removeManifests()
			return nil, fmt.Errorf("--report: %w", err)
		}
		f.Close()
	}
	return o, nil
}

// Note adds a line to the summary.
func (o *Output) Note(s string) { o.notes = append(o.notes, s) }

// SetJob gives the job's state after the run, for the summary and report.
func (o *Output) SetJob(j Job) { o.job = &j }

// SetAborted says a second interrupt aborted the copies in flight.
func (o *Output) SetAborted(v bool) { o.aborted = v }

// RewriteArchived empties the --archived file and writes it again with
// each object each emits (every archived object of the job). Without
// --archived it does nothing.
func (o *Output) RewriteArchived(each func(emit func(bucket, key, version string) error) error) error {
	if o.archived == nil {
		return nil
	}
	if err := o.archived.Reset(); err != nil {
		return fmt.Errorf("--archived: %w", err)
	}
	return each(o.archived.Write)
}

// RewriteFailures empties the --failures file and writes it again with
// each object each emits: every object of the job failed now, earlier
// runs' too, so the file can be fed back in. Without --failures it does
// nothing.
func (o *Output) RewriteFailures(each func(emit func(bucket, key, version string) error) error) error {
	if o.failures == nil {
		return nil
	}
	if err := o.failures.Reset(); err != nil {
		return fmt.Errorf("--failures: %w", err)
	}
	return each(o.failures.Write)
}

// objectLine is one object's --json line. Its source and destination are
// the objects' URLs; the summary's are the locations'.
type objectLine struct {
	Event       string `json:"event"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Size        int64  `json:"size"`
	ETag        string `json:"etag,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Code        string `json:"code,omitempty"`
	Message     string `json:"message,omitempty"`
	// Dropped is what a copy could not carry, e.g. "checksum-algorithm SHA256".
	Dropped []string `json:"dropped,omitempty"`
}

// Result reports one object (engine.Observer).
func (o *Output) Result(r *engine.Result) {
	src := "s3://" + r.Entry.Source.Bucket + "/" + r.Entry.Source.Key
	dst := "s3://" + o.opts.To.Bucket + "/" + r.DestKey
	if r.Outcome == engine.Failed && o.failures != nil {
		o.failures.Write(r.Entry.Source.Bucket, r.Entry.Source.Key, r.Entry.Source.VersionID) //nolint:errcheck // checked at Close
	}
	if o.archived != nil && (r.Outcome == engine.Skipped && r.Reason == engine.ReasonArchived || r.Outcome == engine.Failed && engine.IsArchiveCode(r.Code)) {
		o.archived.Write(r.Entry.Source.Bucket, r.Entry.Source.Key, r.Entry.Source.VersionID) //nolint:errcheck // checked at Close
	}
	if o.opts.JSON {
		line := objectLine{Event: r.Outcome.String(), Source: src, Destination: dst, Size: r.Entry.Source.Size,
			ETag: r.Entry.Source.ETag, Reason: r.Reason, Code: r.Code}
		if r.Err != nil {
			line.Message = ErrorText(r.Err, o.opts.Debug)
		}
		for _, d := range r.Dropped {
			line.Dropped = append(line.Dropped, d.String())
		}
		o.enc.Encode(line) //nolint:errcheck // stdout errors surface at Flush
		return
	}
	if len(r.Dropped) > 0 {
		o.droppedLine(src, r.Dropped)
	}
	switch r.Outcome {
	case engine.WouldCopy:
		fmt.Fprintf(o.stdout, "would copy %s -> %s (%s)\n", src, dst, HumanBytes(r.Entry.Source.Size))
	case engine.Failed:
		if o.reported++; o.reported <= maxFailureLines {
			fmt.Fprintf(o.stderr, "failed: %s: %s: %s\n", src, r.Code, ErrorText(r.Err, o.opts.Debug))
		} else if o.reported == maxFailureLines+1 {
			fmt.Fprintf(o.stderr, "failed: ... (more failures are not printed; see --report/--failures)\n")
		}
	}
}

// Report is the --report file and the --json summary line.
type Report struct {
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
	Dropped         map[string]int64 `json:"dropped,omitempty"` // copies that lost something (DropWords), by what
	Interrupted     bool             `json:"interrupted"`
	// Concurrency is the requests in flight over the run: fixed, or the
	// adaptive controller's every change (engine.ConcurrencyLog).
	Concurrency *engine.ConcurrencyLog `json:"concurrency,omitempty"`
	Job         *Job                   `json:"job,omitempty"`
	Error       string                 `json:"error,omitempty"`
	ExitCode    int                    `json:"exit_code"`
}

// Finish writes the report file and the summary (text or a JSON line),
// then flushes and closes everything. code is the run's exit status.
func (o *Output) Finish(sum *engine.Summary, runErr error, code int) error {
	rep := o.report(sum, runErr, code)
	var firstErr error
	if o.opts.Report != "" {
		if err := WriteJSONFile(o.opts.Report, rep); err != nil {
			firstErr = fmt.Errorf("--report: %w", err)
		}
	}
	if o.opts.JSON {
		rep.Event = "summary"
		o.enc.Encode(rep) //nolint:errcheck // stdout errors surface at Flush
	} else {
		o.summary(sum, code)
	}
	if err := o.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// FinishEarly ends a run that failed before its copy began: the report
// file says why (runErr, code), and nothing goes to stdout, no summary of
// a copy that never ran (the caller prints the error); the --failures and
// --archived files are removed, not left empty.
func (o *Output) FinishEarly(started time.Time, runErr error, code int) error {
	var firstErr error
	if o.opts.Report != "" {
		sum := &engine.Summary{Started: started, Finished: time.Now()}
		if err := WriteJSONFile(o.opts.Report, o.report(sum, runErr, code)); err != nil {
			firstErr = fmt.Errorf("--report: %w", err)
		}
	}
	if err := o.removeManifests(); err != nil && firstErr == nil {
		firstErr = err
	}
	if err := o.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// removeManifests removes the --failures and --archived files of a run
// that never began: nothing failed and nothing was found archived, and an
// empty file would say so (the report says why nothing ran).
func (o *Output) removeManifests() error {
	var first error
	for _, m := range []**ManifestFile{&o.failures, &o.archived} {
		if *m != nil {
			if err := (*m).Remove(); err != nil && first == nil {
				first = err
			}
			*m = nil
		}
	}
	return first
}

// report is the --report file's content (and the --json summary line).
func (o *Output) report(sum *engine.Summary, runErr error, code int) Report {
	rep := Report{
		Source: o.opts.From.String(), Destination: o.opts.To.String(), DryRun: o.opts.DryRun,
		Started: sum.Started.UTC(), Finished: sum.Finished.UTC(),
		DurationSeconds: sum.Finished.Sub(sum.Started).Seconds(),
		Listed:          sum.Listed, ListedBytes: sum.ListedBytes,
		Copied: sum.Copied, BytesCopied: sum.BytesCopied,
		WouldCopy: sum.WouldCopy, WouldCopyBytes: sum.WouldCopyBytes,
		Skipped: orEmpty(sum.Skipped), Failed: orEmpty(sum.Failed), Dropped: sum.Dropped,
		Interrupted: sum.Interrupted, ExitCode: code, Job: o.job,
	}
	if sum.Concurrency.Mode != "" {
		c := sum.Concurrency
		rep.Concurrency = &c
	}
	if rep.Job != nil {
		j := *rep.Job
		j.Skipped = orEmpty(j.Skipped)
		rep.Job = &j
	}
	if runErr != nil {
		rep.Error = ErrorText(runErr, o.opts.Debug)
	}
	return rep
}

// Close flushes stdout and closes the failures file; it may be called
// more than once.
func (o *Output) Close() error {
	var first error
	for _, m := range []**ManifestFile{&o.failures, &o.archived} {
		if *m != nil {
			if err := (*m).Close(); err != nil && first == nil {
				first = err
			}
			*m = nil
		}
	}
	if err := o.stdout.Flush(); err != nil && first == nil {
		first = err
	}
	return first
}
