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

// Status is what `backfill status` shows of a checkpoint.
type Status struct {
	Checkpoint string              `json:"checkpoint"`
	Spec       checkpoint.Spec     `json:"spec"`
	Created    time.Time           `json:"created"`
	LastRun    time.Time           `json:"last_run"`
	Cutoff     time.Time           `json:"cutoff"`
	Done       int64               `json:"done"`
	Failed     int64               `json:"failed"`
	FailedBy   []FailureGroup      `json:"failed_by_code"`
	InProgress int64               `json:"in_progress_uploads"`
	Uploads    []Upload            `json:"uploads,omitempty"`
	Shards     int                 `json:"shards"`
	ShardsDone int                 `json:"shards_complete"`
	Complete   bool                `json:"listing_complete"`
	Totals     checkpoint.Counters `json:"totals"`
}

// PrintStatus writes s as text.
func PrintStatus(w io.Writer, r *Status) {
	fmt.Fprintf(w, "Checkpoint %s\n", r.Checkpoint)
	fmt.Fprintf(w, "  job:       %s -> %s\n", r.Spec["source"], r.Spec["destination"])
	var opts []string
	for _, k := range []string{"include", "exclude", "min-age", "storage-class", "sse", "sse-kms-key-id", "bucket-key", "acl"} {
		if v := r.Spec[k]; v != "" && v != "0s" {
			opts = append(opts, k+"="+strings.ReplaceAll(v, "\n", ","))
		}
	}
	if len(opts) > 0 {
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
