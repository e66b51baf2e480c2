package run

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/report"
)

// sizeBuckets are the histogram's upper bounds.
var sizeBuckets = []struct {
	label string
	max   int64
}{
	{"< 64 KiB", 64 << 10}, {"64 KiB - 1 MiB", 1 << 20}, {"1 - 64 MiB", 64 << 20}, {"64 MiB - 1 GiB", 1 << 30},
	{"1 - 5 GiB", 5 << 30}, {"5 GiB - 100 GiB", 100 << 30}, {">= 100 GiB", 1 << 62},
}

type countBytes struct {
	Count int64 `json:"count"`
	Bytes int64 `json:"bytes"`
}

// planner aggregates a dry run's results. Result is called from the
// engine's collector only.
type planner struct {
	opts         engine.Options
	WouldCopy    countBytes            `json:"would_copy"`
	Skipped      map[string]countBytes `json:"skipped"`
	StorageClass map[string]countBytes `json:"by_storage_class"`
	Sizes        map[string]countBytes `json:"size_histogram"`
	CopyObject   int64                 `json:"copy_object_requests"`
	Multipart    int64                 `json:"multipart_objects"`
	Parts        int64                 `json:"upload_part_copy_requests"`
	Requests     int64                 `json:"copy_requests"`
	// LayoutHeads are the HEADs of a multipart source's first part that
	// keeping its part layout costs (--keep-part-layout, or any object
	// copied in parts whose source was uploaded in parts).
	LayoutHeads int64 `json:"layout_head_requests"`
	// Large are the objects over 5 GiB (never in a Batch Operations copy
	// job) and LargeRequests the requests their copies in parts make.
	Large         countBytes `json:"over_5gib"`
	LargeRequests int64      `json:"over_5gib_requests"`
	// Look is the requests this plan made to look at both sides (listing,
	// HEADs, the inventory's files): the copy makes them again.
	Look map[string]int64 `json:"look_requests"`
	// ByOperation is every request the copy would make, by operation.
	ByOperation map[string]int64 `json:"requests_by_operation"`
	Total       int64            `json:"requests_total"`
}

// looked adds the requests of the plan's own look to the copy's.
func (p *planner) looked(look map[string]int64) {
	p.Look = maps.Clone(look)
	if p.Look == nil {
		p.Look = map[string]int64{}
	}
	p.ByOperation = maps.Clone(look)
	if p.ByOperation == nil {
		p.ByOperation = map[string]int64{}
	}
	add := func(op string, n int64) {
		if n > 0 {
			p.ByOperation[op] += n
		}
	}
	add("CopyObject", p.CopyObject)
	add("HeadObject", p.Multipart+p.LayoutHeads) // the source's headers, with if-match; its part layout
	add("GetObjectTagging", p.Multipart)
	add("CreateMultipartUpload", p.Multipart)
	add("UploadPartCopy", p.Parts)
	add("CompleteMultipartUpload", p.Multipart)
	p.Total = 0
	for _, n := range p.ByOperation {
		p.Total += n
	}
}

func newPlanner(o engine.Options) *planner {
	return &planner{opts: o, Skipped: map[string]countBytes{}, StorageClass: map[string]countBytes{}, Sizes: map[string]countBytes{}}
}

func addCount(m map[string]countBytes, k string, size int64) {
	c := m[k]
	c.Count++
	c.Bytes += size
	m[k] = c
}

func (p *planner) Result(r *engine.Result) {
	size := r.Entry.Source.Size
	switch r.Outcome {
	case engine.WouldCopy:
		p.WouldCopy.Count++
		p.WouldCopy.Bytes += size
		addCount(p.StorageClass, r.Entry.Source.StorageClass, size)
		for _, b := range sizeBuckets {
			if size < b.max {
				addCount(p.Sizes, b.label, size)
				break
			}
		}
		if cp := engine.PlanOf(p.opts, size, r.Entry.Source.ETag); cp.Multipart {
			p.Multipart++
			p.Parts += cp.Parts
			p.Requests += cp.Parts + 4 // HeadObject, GetObjectTagging, Create, parts, Complete
			if cp.LayoutHead {
				p.LayoutHeads++
				p.Requests++
			}
			if size > engine.MaxCopyObjectSize {
				p.Large.Count++
				p.Large.Bytes += size
				p.LargeRequests += cp.Parts + 4
			}
		} else {
			p.CopyObject++
			p.Requests++
		}
	case engine.Skipped:
		addCount(p.Skipped, r.Reason, size)
	}
}

// planDoc is the plan as --json prints it and --report writes it: the
// counts (none when the plan stopped before it began), its exit status,
// the error that stopped it, and the recommendation.
type planDoc struct {
	Event       string `json:"event"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Interrupted bool   `json:"interrupted"`
	ExitCode    int    `json:"exit_code"`
	// ReplicaLookup says how the plan learnt what the replica holds.
	ReplicaLookup string `json:"replica_lookup,omitempty"`
	Error         string `json:"error,omitempty"`
	*planner
	Advice any `json:"advice,omitempty"`
}

// print writes the plan on w, as text or as JSON (doc), and the advice.
func (p *planner) print(w io.Writer, asJSON bool, doc planDoc, advice *Advice) {
	if asJSON {
		if advice != nil {
			doc.Advice = advice.JSON
		}
		report.JSON(w, doc) //nolint:errcheck // stdout errors surface at the caller's flush
		return
	}
	defer func() {
		if advice != nil && advice.Text != nil {
			advice.Text(w)
		}
	}()
	from, to := doc.Source, doc.Destination
	fmt.Fprintf(w, "Plan: %s -> %s\n", from, to)
	if doc.ReplicaLookup != "" {
		fmt.Fprintf(w, "  the replica  %s\n", doc.ReplicaLookup)
	}
	fmt.Fprintf(w, "  would copy   %s (%s): %d by CopyObject, %d in parts (%d UploadPartCopy); about %d copy requests\n",
		report.Plural(p.WouldCopy.Count, "object"), report.HumanBytes(p.WouldCopy.Bytes), p.CopyObject, p.Multipart, p.Parts, p.Requests)
	printMap := func(title string, m map[string]countBytes, order []string) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s\n", title)
		if order == nil {
			for k := range m {
				order = append(order, k)
			}
			sort.Slice(order, func(i, j int) bool { return m[order[i]].Count > m[order[j]].Count })
		}
		for _, k := range order {
			if c, ok := m[k]; ok {
				fmt.Fprintf(w, "    %-20s %10d  %s\n", k, c.Count, report.HumanBytes(c.Bytes))
			}
		}
	}
	if len(p.ByOperation) > 0 {
		ops := slices.Sorted(maps.Keys(p.ByOperation))
		var parts []string
		for _, op := range ops {
			parts = append(parts, fmt.Sprintf("%s %d", op, p.ByOperation[op]))
		}
		fmt.Fprintf(w, "  requests the copy would make: %d (%s), of which %d to look at both sides as this plan did\n",
			p.Total, strings.Join(parts, ", "), sum(p.Look))
	}
	printMap("skipped, by reason:", p.Skipped, nil)
	printMap("to copy, by storage class:", p.StorageClass, nil)
	var order []string
	for _, b := range sizeBuckets {
		order = append(order, b.label)
	}
	printMap("to copy, by size:", p.Sizes, order)
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
