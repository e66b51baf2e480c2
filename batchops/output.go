package batchops

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

// Plan is what a submit will put in its job, shown before it is made.
type Plan struct {
	Operation  Operation        `json:"operation"`
	From       string           `json:"from"`
	To         string           `json:"to"`
	Objects    int64            `json:"objects"`
	Bytes      int64            `json:"bytes"`
	Listed     int64            `json:"listed"`
	Skipped    map[string]int64 `json:"skipped"`
	Failed     map[string]int64 `json:"failed"`
	Large      int64            `json:"over_5gib"`
	LargeBytes int64            `json:"over_5gib_bytes"`
	LargeNote  string           `json:"over_5gib_note,omitempty"`
	Estimate   cost.Option      `json:"estimate"`
	Prices     string           `json:"prices"`
}

// planOf is the plan of a collected source.
func (b *submit) planOf(col *collector, got *run.Collected) Plan {
	s := b.spec
	sum := got.Summary
	p := Plan{Operation: s.Job.Operation, From: s.Job.From, To: s.Job.To, Objects: col.rows, Bytes: col.bytes, Listed: sum.Listed,
		Skipped: sum.Skipped, Failed: sum.Failed, Large: int64(len(col.large)), LargeBytes: col.lbytes, Prices: s.Prices.Source}
	class, _ := col.storageClass()
	if s.Job.Copy.StorageClass != "" {
		class = s.Job.Copy.StorageClass
	}
	p.Estimate = cost.Job(s.Job.Operation == Replicate, col.rows, col.bytes, class, b.sides.SourceRegion, b.sides.DestRegion, s.Prices)
	switch {
	case p.Large == 0:
	case s.LargeLocally:
		p.LargeNote = "not in the job (a copy job takes objects up to 5 GiB): copied on this machine, in parts, once the job is made"
	default:
		p.LargeNote = "not in the job (a copy job takes objects up to 5 GiB): listed in " + s.LargeManifest + " (--large-locally copies them)"
	}
	if s.Job.Operation == Replicate && p.Large > 0 {
		p.LargeNote += "; Batch Replication documents no size limit (UNCONFIRMED), backfill keeps them out of every job"
	}
	return p
}

// printer writes a command's results: text, or JSON lines (one object per
// event) with --json. Notes go to stdout as text too.
type printer struct {
	w    io.Writer
	json bool
}

func newPrinter(w io.Writer, asJSON bool) *printer { return &printer{w: w, json: asJSON} }

func (p *printer) emit(event string, v any) {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{}
	}
	m["event"] = event
	enc := json.NewEncoder(p.w)
	enc.SetEscapeHTML(false)
	enc.Encode(m) //nolint:errcheck // stdout
}

func (p *printer) note(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	if p.json {
		p.emit("note", map[string]string{"message": msg})
		return
	}
	fmt.Fprintln(p.w, msg)
}

func (p *printer) plan(pl Plan, rec *Record) {
	if p.json {
		p.emit("plan", pl)
		return
	}
	what := map[Operation]string{Copy: "copy", Replicate: "replication"}[pl.Operation]
	fmt.Fprintf(p.w, "Batch Operations %s job: %s -> %s\n", what, pl.From, pl.To)
	fmt.Fprintf(p.w, "  in the job    %s (%s): one task each\n", report.Plural(pl.Objects, "object"), report.HumanBytes(pl.Bytes))
	if len(pl.Skipped) > 0 {
		fmt.Fprintf(p.w, "  skipped       %s (the filters of `backfill copy`)\n", counts(pl.Skipped))
	}
	if len(pl.Failed) > 0 {
		fmt.Fprintf(p.w, "  failed        %s: could not be read, not in the job\n", counts(pl.Failed))
	}
	if pl.Large > 0 {
		fmt.Fprintf(p.w, "  over 5 GiB    %s (%s): %s\n", report.Plural(pl.Large, "object"), report.HumanBytes(pl.LargeBytes), pl.LargeNote)
	}
	e := pl.Estimate
	fmt.Fprintf(p.w, "  estimate      %s: Batch Operations fees %s, requests %s, transfer %s; time %s\n",
		cost.USD(e.Total), cost.USD(e.Fees), cost.USD(e.Requests), cost.USD(e.Transfer), e.Time)
	fmt.Fprintf(p.w, "  prices        %s\n", pl.Prices)
	if rec != nil && rec.Manifest != nil {
		fmt.Fprintf(p.w, "  manifest      %s (ETag %s)\n", rec.Manifest.ARN, rec.Manifest.ETag)
	}
}

func (p *printer) planGenerated(rec *Record) {
	g := rec.Job.Generate
	if p.json {
		p.emit("plan", map[string]any{"operation": rec.Job.Operation, "from": rec.Job.From, "to": rec.Job.To, "generate": g})
		return
	}
	fmt.Fprintf(p.w, "Batch Operations %s job with a manifest generator: %s -> %s\n", rec.Job.Operation, rec.Job.From, rec.Job.To)
	fmt.Fprintf(p.w, "  S3 lists the source when it prepares the job: objects created before %s, up to %s, replication status %s",
		g.CreatedBefore.Format("2006-01-02 15:04:05Z07:00"), report.HumanBytes(g.MaxSize), strings.Join(g.ReplicationStatuses, " or "))
	if g.EligibleForReplication {
		fmt.Fprint(p.w, ", eligible for replication")
	}
	fmt.Fprintln(p.w)
	fmt.Fprintln(p.w, "  objects and cost: known once S3 has prepared the job (`backfill batchops status JOB`); fees $0.25 per job, $1.00 per million objects, $0.015 per million objects in the source for the generated manifest (S3-FACTS.md section 9); time unknown")
}

func (p *printer) created(rec *Record) {
	if p.json {
		p.emit("job", map[string]any{"job_id": rec.JobID, "status": "created", "confirmation_required": rec.ConfirmationRequired,
			"token": rec.Token, "account": rec.Account, "region": rec.Region, "manifest": rec.Manifest})
		return
	}
	if rec.ConfirmationRequired {
		fmt.Fprintf(p.w, "Created job %s. It waits (Suspended) for `backfill batchops confirm %s`; `backfill batchops wait %s` follows it.\n", rec.JobID, rec.JobID, rec.JobID)
		return
	}
	fmt.Fprintf(p.w, "Created job %s, confirmed (--yes): it runs once S3 has prepared it; `backfill batchops wait %s` follows it.\n", rec.JobID, rec.JobID)
}

func (p *printer) found(rec *Record, status, why string) {
	if p.json {
		p.emit("job", map[string]any{"job_id": rec.JobID, "status": "found", "job_status": status, "token": rec.Token, "why": why})
		return
	}
	fmt.Fprintf(p.w, "Job %s (%s): %s.\n", rec.JobID, status, why)
}

func (p *printer) largeListed(n, bytes int64, path, from, to string) {
	p.note("%s over 5 GiB (%s) are not in the job: listed in %s. Copy them with `backfill copy --from %s --to %s --manifest %s`, or submit with --large-locally.",
		report.Plural(n, "object"), report.HumanBytes(bytes), path, from, to, path)
}

// counts writes "a 3, b 1", largest first.
func counts(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
