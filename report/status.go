package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
)

// Upload is a multipart upload a checkpoint records as in progress.
type Upload struct {
	Key       string    `json:"key"`
	VersionID string    `json:"version_id,omitempty"`
	UploadID  string    `json:"upload_id"`
	PartsDone int       `json:"parts_done"`
	Parts     int       `json:"parts"`
	Size      int64     `json:"size"`
	Started   time.Time `json:"started"`
}

// FailureGroup is the objects failed with one code.
type FailureGroup struct {
	Code  string   `json:"code"`
	Count int64    `json:"count"`
	Keys  []string `json:"first_keys"`
}

// JobSpec is a job's identity as a checkpoint records it, typed: what
// the copy was asked to do. Every field is always present; lists are []
// when empty, strings "" when not set.
type JobSpec struct {
	Source              string   `json:"source"`
	Destination         string   `json:"destination"`
	SourceEndpoint      string   `json:"source_endpoint"`      // "" for AWS's own
	DestinationEndpoint string   `json:"destination_endpoint"` // "" for AWS's own
	Include             []string `json:"include"`
	Exclude             []string `json:"exclude"`
	MinAge              string   `json:"min_age"` // a Go duration, "0s" when not set
	IncludeArchived     bool     `json:"include_archived"`
	Inventory           string   `json:"inventory"`
	InventoryDate       string   `json:"inventory_date"`
	InventoryDelivery   string   `json:"inventory_delivery"`
	Shard               string   `json:"shard"`
	ReplicationStatus   []string `json:"replication_status"`
	AllVersions         bool     `json:"all_versions"`
	Manifest            string   `json:"manifest"`
	CompletionReport    string   `json:"completion_report"`
	StorageClass        string   `json:"storage_class"`
	SSE                 string   `json:"sse"`
	SSEKMSKeyID         string   `json:"sse_kms_key_id"`
	BucketKey           bool     `json:"bucket_key"`
	ACL                 string   `json:"acl"`
	ExpectedSourceOwner string   `json:"expected_source_owner"`
	ExpectedDestOwner   string   `json:"expected_dest_owner"`
}

// Totals are the counts of all the runs of a job.
type Totals struct {
	Copied      int64 `json:"copied"`
	BytesCopied int64 `json:"bytes_copied"`
	// Skipped counts objects by reason, Failed failed attempts by error
	// code (an object that failed twice counts twice).
	Skipped       map[string]int64 `json:"skipped"`
	Failed        map[string]int64 `json:"failed"`
	FailedObjects int64            `json:"failed_objects"`
}

// TotalsOf is c with {} for its empty maps.
func TotalsOf(c checkpoint.Counters) Totals {
	return Totals{Copied: c.Copied, BytesCopied: c.BytesCopied, Skipped: orEmpty(c.Skipped), Failed: orEmpty(c.Failed), FailedObjects: c.FailedObjects}
}

// orEmpty is m, or an empty map for nil: JSON shows {} rather than null.
func orEmpty(m map[string]int64) map[string]int64 {
	if m == nil {
		return map[string]int64{}
	}
	return m
}

// Status is what `backfill status` shows of a checkpoint.
type Status struct {
	Checkpoint string         `json:"checkpoint"`
	Spec       JobSpec        `json:"spec"`
	Created    time.Time      `json:"created"`
	LastRun    time.Time      `json:"last_run"`
	Cutoff     time.Time      `json:"cutoff"`
	Done       int64          `json:"done"`
	Failed     int64          `json:"failed"`
	FailedBy   []FailureGroup `json:"failed_by_code"`
	InProgress int64          `json:"in_progress_uploads"`
	Uploads    []Upload       `json:"uploads"`
	Shards     int            `json:"shards"`
	ShardsDone int            `json:"shards_complete"`
	Complete   bool           `json:"listing_complete"`
	Totals     Totals         `json:"totals"`
}

// PrintStatus writes s as text.
func PrintStatus(w io.Writer, r *Status) {
	fmt.Fprintf(w, "Checkpoint %s\n", r.Checkpoint)
	fmt.Fprintf(w, "  job:       %s -> %s\n", r.Spec.Source, r.Spec.Destination)
	if opts := specOptions(r.Spec); len(opts) > 0 {
		fmt.Fprintf(w, "  options:   %s\n", strings.Join(opts, " "))
	}
	fmt.Fprintf(w, "  created:   %s\n  last run:  %s\n  cutoff:    %s (objects modified after it are left to live replication)\n",
		Time(r.Created), Time(r.LastRun), Time(r.Cutoff))
	listing := "in progress"
	if r.Complete {
		listing = "complete"
	}
	fmt.Fprintf(w, "  listing:   %s (%d of %d shards complete)\n", listing, r.ShardsDone, r.Shards)
	fmt.Fprintf(w, "  done:      %d objects\n", r.Done)
	fmt.Fprintf(w, "  failed:    %d objects\n", r.Failed)
	for _, g := range r.FailedBy {
		fmt.Fprintf(w, "    %-24s %d, e.g. %s\n", g.Code, g.Count, strings.Join(quoteAll(g.Keys), ", "))
	}
	printUploads(w, r)
	t := r.Totals
	fmt.Fprintf(w, "  all runs:  copied %d (%s)", t.Copied, HumanBytes(t.BytesCopied))
	if len(t.Skipped) > 0 {
		fmt.Fprintf(w, ", skipped: %s", CountsText(t.Skipped, nil))
	}
	if len(t.Failed) > 0 {
		fmt.Fprintf(w, ", failed attempts: %s", CountsText(t.Failed, nil))
	}
	fmt.Fprintln(w)
}

// specOptions are the job's copy options that are set, as flag=value.
func specOptions(sp JobSpec) []string {
	var opts []string
	for _, o := range []struct{ name, value string }{
		{"include", strings.Join(sp.Include, ",")}, {"exclude", strings.Join(sp.Exclude, ",")}, {"min-age", sp.MinAge},
		{"storage-class", sp.StorageClass}, {"sse", sp.SSE}, {"sse-kms-key-id", sp.SSEKMSKeyID},
		{"bucket-key", map[bool]string{true: "true"}[sp.BucketKey]}, {"acl", sp.ACL},
	} {
		if o.value != "" && o.value != "0s" {
			opts = append(opts, o.name+"="+o.value)
		}
	}
	return opts
}

func printUploads(w io.Writer, r *Status) {
	fmt.Fprintf(w, "  in progress multipart uploads: %d\n", r.InProgress)
	for i, u := range r.Uploads {
		if i == 20 {
			fmt.Fprintf(w, "    ... (%d more; --json lists them all)\n", len(r.Uploads)-i)
			break
		}
		fmt.Fprintf(w, "    %q: %d of %d parts (%s), upload %s, since %s\n", u.Key, u.PartsDone, u.Parts, HumanBytes(u.Size), u.UploadID, Time(u.Started))
	}
}

func quoteAll(ks []string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = fmt.Sprintf("%q", k)
	}
	return out
}
