package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/backfill-dev/backfill/verify"
)

// ClassTally counts one class: objects and bytes (the primary's size, the
// replica's for extras), and how many were decided by checksum, by ETag,
// by size, and not at all.
type ClassTally struct {
	Count      int64 `json:"count"`
	Bytes      int64 `json:"bytes"`
	ByChecksum int64 `json:"by_checksum"`
	ByETag     int64 `json:"by_etag"`
	BySize     int64 `json:"by_size"`
	Undecided  int64 `json:"undecided"`
}

// Tally is what a verify found, by class.
type Tally struct {
	Checked int64                        `json:"checked"`
	Classes map[verify.Class]*ClassTally `json:"classes"`
	// UndecidedRead pairs (listed, the same size, other single-part
	// ETags: only encryption decides them) were read with a HEAD per
	// side under --head-undecided; UndecidedLeft were not, its budget
	// spent. Kept in a verify's checkpoint: the budget spans a resume.
	UndecidedRead int64 `json:"undecided_read_by_head"`
	UndecidedLeft int64 `json:"undecided_left_over_budget"`
}

// NewTally returns an empty tally with every class listed.
func NewTally() *Tally {
	t := &Tally{Classes: map[verify.Class]*ClassTally{}}
	for _, c := range verify.Classes {
		t.Classes[c] = &ClassTally{}
	}
	return t
}

// Add counts one pair's verdict.
func (t *Tally) Add(v verify.Verdict, size int64) {
	t.Checked++
	c := t.Classes[v.Class]
	if c == nil {
		c = &ClassTally{}
		t.Classes[v.Class] = c
	}
	c.Count++
	c.Bytes += size
	switch v.How {
	case verify.ByChecksum:
		c.ByChecksum++
	case verify.ByETag:
		c.ByETag++
	case verify.BySize:
		c.BySize++
	default:
		c.Undecided++
	}
}

// Move takes one object of size from one verdict to another (a fix
// checked again): counts, bytes and how each was decided.
func (t *Tally) Move(from, to verify.Verdict, size int64) {
	if c := t.Classes[from.Class]; c != nil {
		c.Count--
		c.Bytes -= size
		switch from.How {
		case verify.ByChecksum:
			c.ByChecksum--
		case verify.ByETag:
			c.ByETag--
		case verify.BySize:
			c.BySize--
		default:
			c.Undecided--
		}
	}
	t.Checked--
	t.Add(to, size)
}

// Differences counts the objects that leave the replica not whole.
func (t *Tally) Differences(strict bool) int64 {
	var n int64
	for class, c := range t.Classes {
		if class.Difference(strict) {
			n += c.Count
		}
	}
	return n
}

// VerifyReport is the --report file and the --json summary of a verify.
type VerifyReport struct {
	Event       string    `json:"event,omitempty"`
	Source      string    `json:"source"`
	Destination string    `json:"destination"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	// Inputs say what each side was read from, and what that can see.
	PrimaryInput      string `json:"primary_input"`
	ReplicaInput      string `json:"replica_input"`
	StatusVisible     bool   `json:"replication_status_visible"`
	EncryptionVisible bool   `json:"encryption_visible"`
	Deep              bool   `json:"deep"`
	// HeadUndecided is --head-undecided: the pairs only encryption
	// decides that a listing verify may read with a HEAD per side.
	HeadUndecided int    `json:"head_undecided_budget"`
	MinAge        string `json:"min_age"`
	// Cutoff: primary objects modified after it are too new (the run's
	// start, or an inventory's snapshot time, less --min-age).
	Cutoff time.Time `json:"cutoff"`
	*Tally
	Whole       bool  `json:"whole"`
	Differences int64 `json:"differences"`
	// Examples are the first differences by key (all of them: --diff).
	Examples    []Example `json:"first_differences"`
	Fix         *Fixed    `json:"fix,omitempty"`
	Resumed     bool      `json:"resumed"`
	Interrupted bool      `json:"interrupted"`
	Error       string    `json:"error,omitempty"`
	ExitCode    int       `json:"exit_code"`
}

// Example is one difference the summary names.
type Example struct {
	Class  verify.Class `json:"class"`
	Key    string       `json:"key"`
	Reason string       `json:"reason"`
}

// Fixed is what --fix did.
type Fixed struct {
	DryRun        bool             `json:"dry_run"`
	Attempted     int64            `json:"attempted"`
	Fixed         int64            `json:"fixed"`
	StillDiffer   int64            `json:"still_differ"`
	Failed        map[string]int64 `json:"failed"`
	LeftNewer     int64            `json:"left_replica_newer"`
	CopyRequests  int64            `json:"copy_requests"`
	BytesCopied   int64            `json:"bytes_copied"`
	SkippedByCopy map[string]int64 `json:"skipped_by_copy"`
}

var classWords = map[verify.Class]string{
	verify.Same:              "the same",
	verify.ReplicationFailed: "replication failed (the primary says FAILED)",
	verify.TooNew:            "too new (within --min-age: replication is given that long)",
	verify.Missing:           "missing from the replica",
	verify.SizeDiffers:       "of another size in the replica",
	verify.ContentDiffers:    "different in the replica (proven by checksum or ETag)",
	verify.ReplicaNewer:      "different, and newer in the replica (someone wrote it there; --fix leaves it unless --overwrite-newer)",
	verify.MetadataDiffers:   "with other headers, metadata or tags in the replica",
	verify.Unverified:        "not verifiable (no comparable ETag or checksum; --head-undecided or --deep may decide them)",
	verify.Extra:             "only in the replica (never deleted)",
}

// PrintVerify writes a verify's summary in plain words.
func PrintVerify(w io.Writer, r *VerifyReport) {
	d := Duration(r.Finished.Sub(r.Started))
	fmt.Fprintf(w, "Verified %s -> %s: compared %d objects in %s (primary from %s, replica from %s).\n",
		r.Source, r.Destination, r.Checked, d, r.PrimaryInput, r.ReplicaInput)
	for _, class := range verify.Classes {
		c := r.Classes[class]
		if c == nil || c.Count == 0 {
			continue
		}
		how := ""
		switch class {
		case verify.Same, verify.SizeDiffers, verify.ContentDiffers, verify.ReplicaNewer, verify.MetadataDiffers, verify.Unverified:
			how = fmt.Sprintf(" [by checksum %d, ETag %d, size %d, undecided %d]", c.ByChecksum, c.ByETag, c.BySize, c.Undecided)
		}
		fmt.Fprintf(w, "  %-20s %10d  %10s  %s%s\n", class, c.Count, HumanBytes(c.Bytes), classWords[class], how)
	}
	for i, e := range r.Examples {
		if i == 0 {
			fmt.Fprintln(w, "First differences (every one in --diff FILE):")
		}
		fmt.Fprintf(w, "  %-18s %s (%s)\n", e.Class, e.Key, e.Reason)
	}
	if !r.StatusVisible {
		fmt.Fprintln(w, "Replication status was not visible (a listing cannot see it): replication-failed needs --deep or an inventory with ReplicationStatus.")
	}
	if !r.EncryptionVisible && !r.Deep && r.HeadUndecided == 0 {
		fmt.Fprintln(w, "Equal ETags were taken as equal content. A listing cannot see encryption (an SSE-KMS or SSE-C ETag is not an MD5): a pair of one size with other single-part ETags needs a HEAD per side (--head-undecided N, or --deep) to decide.")
	}
	if r.UndecidedRead > 0 {
		fmt.Fprintf(w, "%s of one size with other single-part ETags read with a HEAD per side to see their encryption.\n", Plural(r.UndecidedRead, "pair"))
	}
	switch {
	case r.UndecidedLeft > 0 && r.HeadUndecided == 0:
		fmt.Fprintf(w, "%s of one size with other single-part ETags left unverified: --head-undecided N reads up to N of them with a HEAD per side (--deep reads every pair).\n", Plural(r.UndecidedLeft, "pair"))
	case r.UndecidedLeft > 0:
		fmt.Fprintf(w, "%s more left unverified: the --head-undecided budget of %d was spent (raise it, or --deep reads every pair).\n", Plural(r.UndecidedLeft, "pair"), r.HeadUndecided)
	}
	if f := r.Fix; f != nil {
		printFix(w, f)
	}
	switch {
	case r.Error != "":
		fmt.Fprintln(w, "The verify stopped before it finished.")
	case r.Whole:
		fmt.Fprintln(w, "The replica is whole.")
	default:
		verb := "differ"
		if r.Differences == 1 {
			verb = "differs"
		}
		fmt.Fprintf(w, "The replica is not whole: %s %s.\n", Plural(r.Differences, "object"), verb)
	}
}

func printFix(w io.Writer, f *Fixed) {
	if f.DryRun {
		fmt.Fprintf(w, "--fix --dry-run: would copy %s.\n", Plural(f.Attempted, "object"))
		return
	}
	fmt.Fprintf(w, "Fixed %d of %d (%s copied); %d still differ", f.Fixed, f.Attempted, HumanBytes(f.BytesCopied), f.StillDiffer)
	if len(f.Failed) > 0 {
		fmt.Fprintf(w, "; copies failed: %s", CountsText(f.Failed, nil))
	}
	fmt.Fprintln(w, ".")
	if f.LeftNewer > 0 {
		fmt.Fprintf(w, "%s newer in the replica left alone (--overwrite-newer replaces them).\n", Plural(f.LeftNewer, "object"))
	}
}

// DiffFile is the --diff CSV: a header, then class, key, version id,
// sizes, ETags and reason, one row per difference (and extra, unverified).
type DiffFile struct {
	f *os.File
	w *csv.Writer
}

// CreateDiff creates (or empties) the --diff file, mode 0600.
func CreateDiff(path string) (*DiffFile, error) {
	f, err := CreatePrivate(path)
	if err != nil {
		return nil, err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"class", "key", "version_id", "source_size", "replica_size", "source_etag", "replica_etag", "reason"}) //nolint:errcheck // checked at Close
	return &DiffFile{f: f, w: w}, nil
}

// Write adds one row; a missing side's size is empty.
func (d *DiffFile) Write(class verify.Class, key, version string, src, dst *verify.Obj, reason string) error {
	size := func(o *verify.Obj) string {
		if o == nil {
			return ""
		}
		return strconv.FormatInt(o.Size, 10)
	}
	etag := func(o *verify.Obj) string {
		if o == nil {
			return ""
		}
		return o.ETag
	}
	return d.w.Write([]string{string(class), key, version, size(src), size(dst), etag(src), etag(dst), reason})
}

// Close flushes and closes the file.
func (d *DiffFile) Close() error {
	d.w.Flush()
	err := d.w.Error()
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}
