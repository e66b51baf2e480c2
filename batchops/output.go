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
	// Lookups are the requests that find the rows' version ids (a
	// ListObjectVersions per 1,000 versions, or a HEAD per object), and
	// how; their cost is in the estimate.
	Lookups    int64       `json:"version_lookups,omitempty"`
	LookupNote string      `json:"version_lookup_note,omitempty"`
	Estimate   cost.Option `json:"estimate"`
	// Prices names where the prices come from; PriceList what they are.
	Prices    string `json:"prices"`
	PriceList string `json:"price_list"`
}

// planOf is the plan of a collected source; fill says its rows need
// version ids looked up.
func (b *submit) planOf(col *collector, got *run.Collected, fill bool) Plan {
	s := b.spec
	sum := got.Summary
	p := Plan{Operation: s.Job.Operation, From: s.Job.From, To: s.Job.To, Objects: col.rows, Bytes: col.bytes, Listed: sum.Listed,
		Skipped: sum.Skipped, Failed: sum.Failed, Large: int64(len(col.large)), LargeBytes: col.lbytes, Prices: s.Prices.Source,
		PriceList: priceList(s.Prices)}
	class, _ := col.storageClass()
	if s.Job.Copy.StorageClass != "" {
		class = s.Job.Copy.StorageClass
	}
	p.Estimate = cost.Job(s.Job.Operation == Replicate, col.rows, col.bytes, class, b.sides.SourceRegion, b.sides.DestRegion, s.Prices)
	if fill {
		b.lookupCost(&p, col.rows-col.version)
	}
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

// lookupCost adds to the plan the requests that find the version ids of
// n rows: ListObjectVersions pages (LIST, at the STANDARD PUT price; at
// least one per 1,000 rows, more when the prefix has older versions), or
// one HEAD each (GET price).
func (b *submit) lookupCost(p *Plan, n int64) {
	pr := b.spec.Prices
	var usd float64
	if b.listsVersions() {
		p.Lookups = (n + listedVersionsPerRequest - 1) / listedVersionsPerRequest
		usd = float64(p.Lookups) * pr.PutPer1000["STANDARD"] / 1000
		p.LookupNote = fmt.Sprintf("version ids from ListObjectVersions: at least %d requests (more when the prefix holds older versions)", p.Lookups)
	} else {
		p.Lookups = n
		usd = float64(n) * pr.GetPer1000["STANDARD"] / 1000
		p.LookupNote = fmt.Sprintf("version ids from one HEAD per object: %d requests", n)
	}
	p.Estimate.Requests += usd
	p.Estimate.Total += usd
}

// priceList says the prices an estimate uses.
func priceList(p cost.Prices) string {
	return fmt.Sprintf("$%g per job, $%g per million objects, $%g per million source objects for a generated manifest; PUT/COPY/LIST $%g and GET/HEAD $%g per 1,000 (STANDARD); transfer $%g/GB between regions",
		p.BatchJob, p.BatchPerMillionObjects, p.GeneratePerMillionObjects, p.PutPer1000["STANDARD"], p.GetPer1000["STANDARD"], p.InterRegionPerGB)
}

// printer writes a command's results: text, or JSON lines (one object per
// event) with --json. Notes go to stdout as text too.
type printer struct {
	w    io.Writer
	json bool
	// region is the job's, put in the commands it suggests ("" none).
	region string
}

// cmd is a job command to suggest: `backfill batchops VERB [--region R] ID`.
func (p *printer) cmd(verb, id string) string {
	if p.region != "" {
		return fmt.Sprintf("backfill batchops %s --region %s %s", verb, p.region, id)
	}
	return "backfill batchops " + verb + " " + id
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
	if pl.LookupNote != "" {
		fmt.Fprintf(p.w, "  lookups       %s\n", pl.LookupNote)
	}
	fmt.Fprintf(p.w, "  estimate      %s: Batch Operations fees %s, requests %s, transfer %s; time %s\n",
		cost.USD(e.Total), cost.USD(e.Fees), cost.USD(e.Requests), cost.USD(e.Transfer), e.Time)
	fmt.Fprintf(p.w, "  prices        %s (%s)\n", pl.PriceList, pl.Prices)
	if rec != nil && rec.Manifest != nil {
		fmt.Fprintf(p.w, "  manifest      %s (ETag %s)\n", rec.Manifest.ARN, rec.Manifest.ETag)
	}
}

func (p *printer) planGenerated(rec *Record, prices cost.Prices) {
	g := rec.Job.Generate
	if p.json {
		p.emit("plan", map[string]any{"operation": rec.Job.Operation, "from": rec.Job.From, "to": rec.Job.To, "generate": g,
			"prices": prices.Source, "price_list": priceList(prices)})
		return
	}
	fmt.Fprintf(p.w, "Batch Operations %s job with a manifest generator: %s -> %s\n", rec.Job.Operation, rec.Job.From, rec.Job.To)
	fmt.Fprintf(p.w, "  S3 lists the source when it prepares the job: objects created before %s, up to %s, replication status %s",
		g.CreatedBefore.Format("2006-01-02 15:04:05Z07:00"), report.HumanBytes(g.MaxSize), strings.Join(g.ReplicationStatuses, " or "))
	if g.EligibleForReplication {
		fmt.Fprint(p.w, ", eligible for replication")
	}
	fmt.Fprintln(p.w)
	fmt.Fprintf(p.w, "  objects and cost: known once S3 has prepared the job (`%s`); fees $%g per job, $%g per million objects, $%g per million objects in the source for the generated manifest (%s); time unknown\n",
		p.cmd("status", "JOB"), prices.BatchJob, prices.BatchPerMillionObjects, prices.GeneratePerMillionObjects, prices.Source)
}

func (p *printer) created(rec *Record) {
	if p.json {
		p.emit("job", map[string]any{"job_id": rec.JobID, "status": "created", "confirmation_required": rec.ConfirmationRequired,
			"token": rec.Token, "account": rec.Account, "region": rec.Region, "manifest": rec.Manifest})
		return
	}
	if rec.ConfirmationRequired {
		fmt.Fprintf(p.w, "Created job %s in %s. It waits (Suspended) for `%s`; `%s` follows it.\n", rec.JobID, rec.Region, p.cmd("confirm", rec.JobID), p.cmd("wait", rec.JobID))
		return
	}
	fmt.Fprintf(p.w, "Created job %s in %s, confirmed (--yes): it runs once S3 has prepared it; `%s` follows it.\n", rec.JobID, rec.Region, p.cmd("wait", rec.JobID))
}

func (p *printer) found(rec *Record, status, why string) {
	if p.json {
		p.emit("job", map[string]any{"job_id": rec.JobID, "status": "found", "job_status": status, "token": rec.Token, "why": why})
		return
	}
	if status != "" {
		status += ", "
	}
	fmt.Fprintf(p.w, "Job %s (%sin %s): %s; `%s` follows it.\n", rec.JobID, status, rec.Region, why, p.cmd("wait", rec.JobID))
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
