package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

// DefaultCheckpoint is the checkpoint file used when none is named.
const DefaultCheckpoint = "backfill.db"

// OpenCheckpoint opens a checkpoint; one held by another run is an
// *ExitError with exit status 4.
func OpenCheckpoint(path string, readOnly bool) (*checkpoint.Store, error) {
	s, err := checkpoint.Open(path, checkpoint.Options{ReadOnly: readOnly})
	if err != nil {
		if errors.Is(err, checkpoint.ErrLocked) {
			return nil, &ExitError{Code: exitcode.Locked, Err: fmt.Errorf("%w: wait for it to finish or stop it; two runs must not share a checkpoint", err)}
		}
		return nil, err
	}
	return s, nil
}

// openExisting opens the checkpoint of a command that reads what a copy
// recorded (status, cleanup): a missing file is an error naming it, and
// nothing is created.
func openExisting(path string, readOnly bool) (*checkpoint.Store, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no checkpoint at %s: a copy creates it; name the one it used with --checkpoint PATH", path)
	}
	return OpenCheckpoint(path, readOnly)
}

// jobSpec is the identity of a copy job: what a checkpoint must match to
// be resumed. delivery is the inventory delivery the source resolved.
func (s *Spec) jobSpec(delivery string) checkpoint.Spec {
	o, src := s.Engine, s.Source
	sorted := func(v []string) string {
		v = slices.Clone(v)
		slices.Sort(v)
		return strings.Join(slices.Compact(v), "\n")
	}
	flag := func(b bool) string { return map[bool]string{true: "true"}[b] }
	return checkpoint.Spec{
		"source":                s.From.String(),
		"destination":           s.To.String(),
		"include":               sorted(s.Include),
		"exclude":               sorted(s.Exclude),
		"expected-source-owner": o.ExpectedSourceOwner,
		"expected-dest-owner":   o.ExpectedDestOwner,
		"include-archived":      fmt.Sprint(o.IncludeArchived),
		"manifest":              src.Manifest,
		"completion-report":     src.CompletionReport,
		"inventory":             src.Inventory,
		"inventory-date":        src.InventoryDate,
		"inventory-delivery":    delivery,
		"shard":                 src.Shard,
		"replication-status":    src.ReplicationStatus,
		"all-versions":          flag(src.AllVersions),
		"min-age":               o.MinAge.String(),
		"storage-class":         o.StorageClass,
		"sse":                   o.SSE,
		"sse-kms-key-id":        o.SSEKMSKeyID,
		"bucket-key":            flag(o.BucketKey),
		"acl":                   o.ACL,
	}
}

// specView is the inverse of jobSpec: a recorded job's identity, typed,
// as status shows it. Keys an older checkpoint lacks read as unset.
func specView(sp checkpoint.Spec) report.JobSpec {
	list := func(v, sep string) []string {
		out := []string{}
		for _, e := range strings.Split(v, sep) {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
		return out
	}
	return report.JobSpec{
		Source: sp["source"], Destination: sp["destination"],
		Include: list(sp["include"], "\n"), Exclude: list(sp["exclude"], "\n"),
		MinAge: sp["min-age"], IncludeArchived: sp["include-archived"] == "true",
		Inventory: sp["inventory"], InventoryDate: sp["inventory-date"], InventoryDelivery: sp["inventory-delivery"],
		Shard: sp["shard"], ReplicationStatus: list(sp["replication-status"], ","), AllVersions: sp["all-versions"] == "true",
		Manifest: sp["manifest"], CompletionReport: sp["completion-report"],
		StorageClass: sp["storage-class"], SSE: sp["sse"], SSEKMSKeyID: sp["sse-kms-key-id"], BucketKey: sp["bucket-key"] == "true",
		ACL:                 sp["acl"],
		ExpectedSourceOwner: sp["expected-source-owner"], ExpectedDestOwner: sp["expected-dest-owner"],
	}
}

// cpState is inventory's view of a checkpoint (inventory never opens one).
type cpState struct{ cp *checkpoint.Store }

func (s cpState) Shards() ([]inventory.ShardState, error) {
	shards, err := s.cp.Shards()
	if err != nil {
		return nil, err
	}
	out := make([]inventory.ShardState, len(shards))
	for i, sh := range shards {
		out[i] = inventory.ShardState{Prefix: sh.Prefix, Depth: sh.Depth, Watermark: sh.Watermark, Mode: inventory.Mode(sh.Mode), Complete: sh.Complete}
	}
	return out, nil
}

func (s cpState) Done(key, version string) (inventory.Object, bool, error) {
	r, ok, err := s.cp.Lookup(key, version)
	if err != nil || !ok || r.State != checkpoint.Done {
		return inventory.Object{}, false, err
	}
	return inventory.Object{Size: r.Size, ETag: r.ETag, LastModified: r.LastModified, StorageClass: r.StorageClass}, true, nil
}

func (s cpState) EachFailed(fn func(key, version string, o inventory.Object) error) error {
	return s.cp.Each(checkpoint.Failed, func(key, version string, r checkpoint.Record) error {
		return fn(key, version, inventory.Object{Size: r.Size, ETag: r.ETag, LastModified: r.LastModified, StorageClass: r.StorageClass})
	})
}

// emptyState is the state of a job being reset: nothing recorded.
type emptyState struct{}

func (emptyState) Shards() ([]inventory.ShardState, error) { return nil, nil }
func (emptyState) Done(string, string) (inventory.Object, bool, error) {
	return inventory.Object{}, false, nil
}
func (emptyState) EachFailed(func(string, string, inventory.Object) error) error {
	return nil
}

// engineShards turns the shards a source resumes into the checkpoint's.
func engineShards(in []inventory.ShardState) []checkpoint.Shard {
	out := make([]checkpoint.Shard, len(in))
	for i, sh := range in {
		out[i] = checkpoint.Shard{Prefix: sh.Prefix, Depth: sh.Depth, Watermark: sh.Watermark, Mode: uint8(sh.Mode), Complete: sh.Complete}
	}
	return out
}

// jobState reads the job's state after a run, for the summary and report,
// and rewrites the --failures file with every object failed now.
func jobState(cp *checkpoint.Store, from s3url.URL, out *report.Output) (report.Job, error) {
	c, err := cp.Counters()
	if err != nil {
		return report.Job{}, err
	}
	job := report.Job{Copied: c.Copied, BytesCopied: c.BytesCopied, Skipped: c.Skipped, FailedObjects: c.FailedObjects, ListingComplete: true}
	shards, err := cp.Shards()
	if err != nil {
		return job, err
	}
	for _, sh := range shards {
		if !sh.Complete {
			job.ListingComplete = false
		}
	}
	if len(shards) == 0 {
		job.ListingComplete = false
	}
	err = out.RewriteFailures(func(emit func(bucket, key, version string) error) error {
		return cp.Each(checkpoint.Failed, func(key, version string, _ checkpoint.Record) error {
			return emit(from.Bucket, from.Key(key), version)
		})
	})
	return job, err
}
