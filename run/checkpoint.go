package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
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
// be resumed. delivery is the inventory delivery the source resolved;
// the endpoints are the sides' (see Sides).
func (s *Spec) jobSpec(delivery string, sides *Sides) checkpoint.Spec {
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
		"source-endpoint":       normalEndpoint(sides.SourceEndpoint),
		"destination-endpoint":  normalEndpoint(sides.DestEndpoint),
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
		SourceEndpoint: sp["source-endpoint"], DestinationEndpoint: sp["destination-endpoint"],
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

func (s cpState) EachArchived(fn func(key, version string, o inventory.Object) error) error {
	return s.cp.Each(0, func(key, version string, r checkpoint.Record) error {
		if !needsRestore(r) {
			return nil
		}
		return fn(key, version, inventory.Object{Size: r.Size, ETag: r.ETag, LastModified: r.LastModified, StorageClass: r.StorageClass})
	})
}

// needsRestore: the record is of an object skipped as archived, or failed
// because S3 refused to copy an archive.
func needsRestore(r checkpoint.Record) bool {
	return r.State == checkpoint.Archived || r.State == checkpoint.Failed && engine.IsArchiveCode(r.Code)
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
func (emptyState) EachArchived(func(string, string, inventory.Object) error) error {
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

// jobState reads the job's state after a run, for the summary and report.
func jobState(cp *checkpoint.Store) (report.Job, error) {
	c, err := cp.Counters()
	if err != nil {
		return report.Job{}, err
	}
	job := report.Job{Copied: c.Copied, BytesCopied: c.BytesCopied, Skipped: c.Skipped, FailedObjects: c.FailedObjects}
	shards, err := cp.Shards()
	if err != nil {
		return report.Job{}, err
	}
	job.ListingComplete = len(shards) > 0
	for _, sh := range shards {
		if !sh.Complete {
			job.ListingComplete = false
		}
	}
	return job, nil
}

// rewriteFailures writes the --failures file again with every object of
// the job failed now, earlier runs' too, so it can be fed back in.
func rewriteFailures(cp *checkpoint.Store, from s3url.URL, out *report.Output) error {
	return out.RewriteFailures(func(emit func(bucket, key, version string) error) error {
		return cp.Each(checkpoint.Failed, func(key, version string, _ checkpoint.Record) error {
			return emit(from.Bucket, from.Key(key), version)
		})
	})
}

// rewriteArchived writes the --archived file again with every object of
// the job that needs a restore: skipped as archived, or (with
// --include-archived) failed because S3 refused to copy an archive.
func rewriteArchived(cp *checkpoint.Store, from s3url.URL, out *report.Output) error {
	return out.RewriteArchived(func(emit func(bucket, key, version string) error) error {
		return cp.Each(0, func(key, version string, r checkpoint.Record) error {
			if needsRestore(r) {
				return emit(from.Bucket, from.Key(key), version)
			}
			return nil
		})
	})
}

// abortForReset aborts the multipart uploads the checkpoint records
// before --reset forgets them (they are billed until aborted). One that
// cannot be aborted stops the reset, naming it: nothing is forgotten.
func (r *copyRun) abortForReset(ctx context.Context) error {
	return abortAllRecorded(ctx, r.cp, r.sides.Dest, r.sides.DestEndpoint, r.env.Stderr)
}

// abortAllRecorded aborts every multipart upload cp records (in the
// destination its spec names, with dst, whose endpoint is endpoint), or
// says which it could not.
func abortAllRecorded(ctx context.Context, cp *checkpoint.Store, dst aborter, endpoint string, stderr io.Writer) error {
	var ups []checkpoint.Upload
	if err := cp.Uploads(func(u checkpoint.Upload) error { ups = append(ups, u); return nil }); err != nil || len(ups) == 0 {
		return err
	}
	spec, err := cp.Spec()
	if err != nil {
		return err
	}
	dest, err := s3url.Parse(spec["destination"])
	if err != nil {
		return fmt.Errorf("checkpoint %s records uploads but no destination: %w", cp.Path(), err)
	}
	if err := sameUploadEndpoint(cp.Path(), spec, endpoint, dest, ups, "reset"); err != nil {
		return err
	}
	var failed []string
	for _, u := range ups {
		key := dest.Key(u.Key)
		if err := abortUpload(ctx, dst, dest.Bucket, key, u.UploadID); err != nil {
			failed = append(failed, fmt.Sprintf("s3://%s/%s upload %s (%v)", dest.Bucket, key, u.UploadID, err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("reset: %d multipart uploads the checkpoint records could not be aborted, so the checkpoint was not reset (they are billed until aborted; try `backfill cleanup --checkpoint %s`): %s",
			len(failed), cp.Path(), strings.Join(failed, "; "))
	}
	fmt.Fprintf(stderr, "backfill: reset: aborted the %d multipart uploads the checkpoint recorded\n", len(ups))
	return nil
}

// sameUploadEndpoint refuses (a usage error) to abort a checkpoint's
// uploads through a destination endpoint other than the one the job
// recorded: another server answers NoSuchUpload for an upload it never
// had, which would pass for an abort, and the uploads, still billed,
// would be forgotten. A checkpoint written before endpoints were recorded
// cannot tell, and is taken at its word.
func sameUploadEndpoint(path string, spec checkpoint.Spec, endpoint string, dest s3url.URL, ups []checkpoint.Upload, what string) error {
	rec, ok := spec["destination-endpoint"]
	if !ok || rec == normalEndpoint(endpoint) {
		return nil
	}
	names := make([]string, 0, min(len(ups), 10))
	for _, u := range ups[:min(len(ups), 10)] {
		names = append(names, fmt.Sprintf("s3://%s/%s upload %s", dest.Bucket, dest.Key(u.Key), u.UploadID))
	}
	if len(ups) > 10 {
		names = append(names, fmt.Sprintf("and %d more", len(ups)-10))
	}
	flag := "--dest-endpoint-url " + rec
	if rec == "" {
		flag = "no endpoint flag (AWS's own S3)"
	}
	return Usagef("%s: the checkpoint %s records %d multipart uploads in the destination at %s, but this run's destination is %s: they can only be aborted there, so nothing was %s (they are billed until aborted; run `backfill cleanup --checkpoint %s` with %s first): %s",
		what, path, len(ups), orAWS(rec), orAWS(normalEndpoint(endpoint)), map[string]string{"reset": "reset", "cleanup": "aborted or forgotten"}[what], path, flag, strings.Join(names, "; "))
}

// normalEndpoint writes an endpoint one way: lower case, no trailing "/".
func normalEndpoint(e string) string {
	return strings.TrimRight(strings.ToLower(e), "/")
}

// mayChange are the parts of a job's spec a later run may change and
// still be the same job: --include-archived, added after a restore, tries
// the objects the job recorded archived (and dropped again, skips them).
var mayChange = []string{"include-archived"}

// endpointKeys are the parts of a job's identity that checkpoints written
// before them lack: such a checkpoint is adopted, not refused.
var endpointKeys = []string{"source-endpoint", "destination-endpoint"}

// pinDelivery makes a resumed inventory job read the delivery it started
// from, not the newest one under its prefix: the same command, re-run
// after the next delivery lands, resumes the job.
func (r *copyRun) pinDelivery() error {
	if r.cp == nil || r.spec.Reset || r.spec.Source.Inventory == "" {
		return nil
	}
	old, err := r.cp.Spec()
	if err != nil || old == nil {
		return err
	}
	if old["source"] == r.spec.From.String() && old["destination"] == r.spec.To.String() &&
		old["inventory"] == r.spec.Source.Inventory && old["inventory-date"] == r.spec.Source.InventoryDate {
		r.spec.Source.Delivery = old["inventory-delivery"]
	}
	return nil
}

// reconcile makes this run's job spec agree with the recorded one where
// they name the same job differently, adopts a checkpoint written before
// the endpoints were part of a job (saying so), and records the parts a
// run may change (mayChange) when nothing else differs. The delivery is
// an inventory job's identity: naming its manifest.json, or its date, is
// the same job as the prefix it was first found under.
func (r *copyRun) reconcile(spec checkpoint.Spec) error {
	old, err := r.cp.Spec()
	if err != nil || old == nil || r.spec.Reset {
		return err
	}
	if d := old["inventory-delivery"]; d != "" && d == spec["inventory-delivery"] {
		spec["inventory"], spec["inventory-date"] = old["inventory"], old["inventory-date"]
	}
	add := checkpoint.Spec{}
	for _, k := range endpointKeys {
		add[k] = spec[k]
	}
	adopted, err := r.cp.Adopt(add)
	if err != nil {
		return err
	}
	if len(adopted) > 0 && (spec["source-endpoint"] != "" || spec["destination-endpoint"] != "") {
		r.out.Note(fmt.Sprintf("The checkpoint %s was written by an earlier backfill, before a job's endpoints were part of it: it was adopted for this run's endpoints (source %s, destination %s).",
			r.cp.Path(), orAWS(spec["source-endpoint"]), orAWS(spec["destination-endpoint"])))
	}
	for _, k := range adopted {
		old[k] = add[k]
	}
	set := checkpoint.Spec{}
	for _, k := range mayChange {
		set[k] = spec[k]
		old[k] = spec[k]
	}
	if !maps.Equal(withoutEmpty(old), withoutEmpty(spec)) {
		return nil // another job: Begin refuses it, naming every difference
	}
	return r.cp.Amend(set)
}

// withoutEmpty is sp less its empty values (a key a spec lacks reads as
// empty).
func withoutEmpty(sp checkpoint.Spec) checkpoint.Spec {
	out := checkpoint.Spec{}
	for k, v := range sp {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func orAWS(e string) string {
	if e == "" {
		return "AWS"
	}
	return e
}
