package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/gctune"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/internal/units"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

func copyCommand() *cli.Command {
	return &cli.Command{
		Name:      "copy",
		Usage:     "copy every object under the source prefix to the same relative key under the destination prefix",
		UsageText: "backfill copy --from s3://BUCKET[/PREFIX] --to s3://BUCKET[/PREFIX] [flags]",
		Description: `Lists the source and the destination side by side (ListObjectsV2, fanned out over
folders), decides per object, and copies with CopyObject on the destination's
side: bytes, content headers, user metadata and tags are copied by S3 itself,
the storage class is kept unless --storage-class is given. Objects above
--multipart-threshold are copied in parts (UploadPartCopy, in parallel within
--concurrency), with their headers, metadata, tags, storage class and checksum
algorithm carried over explicitly; a failed or interrupted one is aborted, a
killed one is resumed from its checkpoint (only missing parts are copied). An object is
skipped, with its reason counted in the summary and report, when:
   exists             the destination has it with the same size and ETag
   newer-in-replica   the destination's copy is newer than the source's
   too-new            modified within --min-age of the start (or after it)
   too-large          above 48.8 TiB, S3's object limit
   changed            it changed after it was listed (never copied stale)
   excluded           filtered out by --include/--exclude
   done               an earlier run of this job copied it (checkpoint)
   gone               deleted from the source after it was listed
   archived           needs a restore first: GLACIER or DEEP_ARCHIVE in the
                      listing or inventory, an INTELLIGENT_TIERING archive
                      tier in an inventory (IntelligentTieringAccessTier),
                      or any object whose copy S3 refused with
                      InvalidObjectState (a listing cannot see archive
                      tiers). --archived FILE lists them all as a Batch
                      Operations manifest for a restore job; with
                      --include-archived they are attempted instead, and a
                      refusal is a failure (exit 3). A restored object
                      still shows its archive class: after the restore,
                      run the same command with --include-archived
                      added (the same job): the objects the checkpoint
                      recorded archived are tried first
With --inventory, what the replica holds comes from a listing of the
replica under the destination prefix (or its own inventory, --dest-inventory),
joined with the inventory's keys through a sort on local disk: no request per
object (--replica-lookup head sends one HeadObject per object instead).
With --inventory, from the inventory's own fields:
   replicated, replication-pending, is-replica
                      ReplicationStatus COMPLETED, PENDING, REPLICA
   replication-status a status --replication-status does not choose
   delete-marker      a version of a key whose current version is a delete
                      marker (--all-versions)

Progress is recorded in a checkpoint (--checkpoint, default ./backfill.db):
run the same command again after a crash or Ctrl-C and it goes on where it
stopped, without copying or listing again what is done. A finished job's
checkpoint makes a re-run a no-op; --reset starts the job over.

` + exitcode.Help,
		Flags:        copyFlags(),
		Action:       runCopy,
		OnUsageError: onUsageError,
	}
}

// copyFlags are copy's flags (plan takes most of them and refuses the rest).
func copyFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "from", Usage: "source `s3://BUCKET[/PREFIX]` (required)"},
		&cli.StringFlag{Name: "to", Usage: "destination `s3://BUCKET[/PREFIX]` (required)"},
		&cli.StringSliceFlag{Name: "include", Usage: "copy only keys (relative to the source prefix) matching `GLOB` (repeatable; * matches across /)"},
		&cli.StringSliceFlag{Name: "exclude", Usage: "skip keys matching `GLOB` (repeatable)"},
		&cli.DurationFlag{Name: "min-age", Usage: "skip objects modified within `DURATION` of the start (live replication delivers them), e.g. 1h"},
		&cli.IntFlag{Name: "concurrency", Usage: "fix the requests in flight (`N`): copies, and the parts of large objects (default: adaptive, from 1,024 up to --max-concurrency while throughput grows; backs off on SlowDown and when the CPU is the limit)"},
		&cli.IntFlag{Name: "max-concurrency", Value: engine.DefaultMaxConcurrency, Usage: "the most requests in flight the adaptive concurrency grows to (`N`)"},
		&cli.StringFlag{Name: "multipart-threshold", Value: "5GiB", Usage: "copy objects larger than `SIZE` in parts (at most 5GiB, the CopyObject limit)"},
		&cli.BoolFlag{Name: "keep-part-layout", Usage: "copy objects uploaded in parts over their own part ranges (one HEAD each for the layout), at any size, so the replica's ETag equals the source's and verify can compare them (objects copied in parts anyway keep their layout by default)"},
		&cli.StringFlag{Name: "part-size", Value: "256MiB", Usage: "part `SIZE` of multipart copies (5MiB..5GiB; grown for objects that would need over 10,000 parts)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "list what would be copied; copy nothing"},
		&cli.StringFlag{Name: "inventory", Usage: "copy from an S3 Inventory delivery (CSV or Parquet) instead of listing: `LOCATION` is a local manifest.json, s3://.../manifest.json, or s3://BUCKET/PREFIX/ (the newest delivery under it)"},
		&cli.StringFlag{Name: "replication-status", Usage: "with --inventory: the replication statuses to copy, comma-separated (`LIST` of COMPLETED, PENDING, FAILED, REPLICA, NONE; default FAILED,NONE)"},
		&cli.StringFlag{Name: "shard", Usage: "with --inventory: copy only a deterministic `I/N` of the keys (by hash), so N machines can share one inventory"},
		&cli.BoolFlag{Name: "all-versions", Usage: "with --inventory of a versioned bucket: copy the non-current versions too, oldest first per key, so the newest stays the replica's current version"},
		&cli.StringFlag{Name: "replica-lookup", Usage: "with --inventory: how to learn what the replica holds: `HOW` is list (default: list the replica under the destination prefix and join it with the inventory's keys on local disk), inventory (with --dest-inventory), or head (one HeadObject per object: a small inventory against a huge replica; --all-versions always does)"},
		&cli.StringFlag{Name: "dest-inventory", Usage: "with --inventory: the replica's own S3 Inventory delivery (`LOCATION` as --inventory's), read instead of listing the replica"},
		&cli.StringFlag{Name: "dest-inventory-date", Usage: "with --dest-inventory s3://BUCKET/PREFIX/: the delivery of `YYYY-MM-DD`"},
		&cli.StringFlag{Name: "inventory-date", Usage: "with --inventory s3://BUCKET/PREFIX/: the delivery of `YYYY-MM-DD` (or a longer prefix of its folder name)"},
		&cli.StringFlag{Name: "completion-report", Usage: "copy the failed tasks of an S3 Batch Operations completion report (its `manifest.json`: a file beside results/, or s3://.../job-ID/manifest.json) instead of listing"},
		&cli.StringFlag{Name: "manifest", Usage: "copy the objects an S3 Batch Operations CSV manifest names (`FILE` or s3://BUCKET/KEY; bucket,key[,versionId], URL-encoded keys; a --failures file is one) instead of listing"},
		&cli.StringFlag{Name: "storage-class", Usage: "storage `CLASS` of the copies (default: each source object's own)"},
		&cli.StringFlag{Name: "sse", Usage: "server-side encryption of the copies: `AES256|aws:kms`"},
		&cli.StringFlag{Name: "sse-kms-key-id", Usage: "KMS `KEY` id or ARN for --sse aws:kms"},
		&cli.BoolFlag{Name: "bucket-key", Usage: "use an S3 Bucket Key with --sse aws:kms"},
		&cli.StringFlag{Name: "acl", Usage: "canned `ACL` for the copies, e.g. bucket-owner-full-control"},
		&cli.StringFlag{Name: "report", Usage: "write a JSON report to `FILE` (mode 0600)"},
		&cli.StringFlag{Name: "archived", Usage: "write every object that needs a restore before it can be copied to `FILE`, as a Batch Operations CSV manifest (the input of a restore job; mode 0600)"},
		&cli.StringFlag{Name: "failures", Usage: "write failed objects to `FILE` as a Batch Operations CSV manifest (bucket,key[,versionId], URL-encoded keys; mode 0600)"},
		&cli.BoolFlag{Name: "json", Usage: "JSON lines on stdout instead of text"},
		&cli.BoolFlag{Name: "no-progress", Usage: "no progress bar or status lines on stderr"},
		&cli.BoolFlag{Name: "include-archived", Usage: "attempt objects the listing or inventory shows archived (restored ones copy; others fail InvalidObjectState, exit 3) instead of skipping them as archived; on a job's checkpoint, first try again the objects it recorded archived (adding or dropping it keeps the same job)"},
	}, append(checkpointFlags(), awsFlags()...)...)
}

// copySpec reads copy's (and plan's) flags into a run description.
func copySpec(c *cli.Context) (*run.Spec, error) {
	if c.NArg() > 0 {
		return nil, run.Usagef("unexpected argument %q: give locations with --from and --to", c.Args().First())
	}
	from, to, err := locations(c)
	if err != nil {
		return nil, err
	}
	eo, err := engineOptions(c)
	if err != nil {
		return nil, err
	}
	s := &run.Spec{
		From: from, To: to,
		Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"),
		Engine: eo,
		Source: inventory.Spec{
			Inventory: c.String("inventory"), InventoryDate: c.String("inventory-date"),
			Shard: c.String("shard"), ReplicationStatus: c.String("replication-status"), AllVersions: c.Bool("all-versions"),
			ReplicaLookup: c.String("replica-lookup"), DestInventory: c.String("dest-inventory"), DestInventoryDate: c.String("dest-inventory-date"),
			Manifest: c.String("manifest"), CompletionReport: c.String("completion-report"), RetryFailed: c.Bool("retry-failed"),
		},
		Checkpoint: c.String("checkpoint"), Reset: c.Bool("reset"),
		Output:   report.Options{JSON: c.Bool("json"), Report: c.String("report"), Failures: c.String("failures"), Archived: c.String("archived")},
		Progress: !c.Bool("no-progress"),
	}
	s.AWS, s.SrcSide, s.DstSide = awsOptions(c)
	if debugOn(c) {
		s.AWS.DebugLog, s.Output.Debug = c.App.ErrWriter, true
	}
	// The options first, then how the checkpoint flags go together: a
	// run with several mistakes names the same one it always did.
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Checkpoint, err = checkpointPath(c); err != nil {
		return nil, err
	}
	return s, nil
}

// locations reads --from and --to.
func locations(c *cli.Context) (from, to s3url.URL, err error) {
	for _, f := range []string{"from", "to"} {
		if c.String(f) == "" {
			return from, to, run.Usagef("--%s s3://BUCKET[/PREFIX] is required", f)
		}
	}
	if from, err = s3url.Parse(c.String("from")); err != nil {
		return from, to, run.Usagef("--from: %w", err)
	}
	if to, err = s3url.Parse(c.String("to")); err != nil {
		return from, to, run.Usagef("--to: %w", err)
	}
	return from, to, nil
}

// engineOptions reads the copy options.
func engineOptions(c *cli.Context) (engine.Options, error) {
	threshold, err := units.ParseSize(c.String("multipart-threshold"))
	if err != nil {
		return engine.Options{}, run.Usagef("--multipart-threshold: %w", err)
	}
	partSize, err := units.ParseSize(c.String("part-size"))
	if err != nil {
		return engine.Options{}, run.Usagef("--part-size: %w", err)
	}
	if c.IsSet("concurrency") && c.Int("concurrency") < 1 {
		return engine.Options{}, run.Usagef("--concurrency %d: must be at least 1 (leave it out for the adaptive concurrency)", c.Int("concurrency"))
	}
	return engine.Options{
		Concurrency:         c.Int("concurrency"),
		MaxConcurrency:      maxConcurrency(c),
		MinAge:              c.Duration("min-age"),
		DryRun:              c.Bool("dry-run"),
		StorageClass:        c.String("storage-class"),
		SSE:                 c.String("sse"),
		SSEKMSKeyID:         c.String("sse-kms-key-id"),
		BucketKey:           c.Bool("bucket-key"),
		ACL:                 c.String("acl"),
		ExpectedSourceOwner: c.String("expected-source-owner"),
		ExpectedDestOwner:   c.String("expected-dest-owner"),
		IncludeArchived:     c.Bool("include-archived"),
		MultipartThreshold:  threshold,
		PartSize:            partSize,
		KeepPartLayout:      c.Bool("keep-part-layout"),
	}, nil
}

// maxConcurrency is --max-concurrency, or 0 when --concurrency fixes the
// concurrency (and the default ceiling was left alone).
func maxConcurrency(c *cli.Context) int {
	if c.Int("concurrency") > 0 && !c.IsSet("max-concurrency") {
		return 0
	}
	return c.Int("max-concurrency")
}

func runCopy(c *cli.Context) error {
	spec, err := copySpec(c)
	if err != nil {
		return err
	}
	return runSpec(c, spec)
}

// runSpec runs a copy or plan with Ctrl-C handling.
func runSpec(c *cli.Context, spec *run.Spec) error {
	ctx, ctl, stop := withSignals(c.Context, c.App.ErrWriter)
	defer stop()
	return run.Run(ctx, spec, run.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Control: ctl, Concurrency: gctune.Follow})
}
