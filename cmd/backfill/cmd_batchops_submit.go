package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/batchops"
	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/units"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/run"
)

func batchopsSubmitCommand() *cli.Command {
	flags := append(submitJobFlags(), submitSourceFlags()...)
	flags = append(flags, submitCopyFlags()...)
	flags = append(flags, accountFlags()...)
	return &cli.Command{
		Name:      "submit",
		Usage:     "make a Batch Operations copy or replication job of the objects copy would copy",
		UsageText: "backfill batchops submit --from s3://P[/PREFIX] --to s3://R[/PREFIX] --role-arn ARN --report-to s3://BUCKET/PREFIX [--operation copy|replicate] [source] [flags]",
		Description: `Reads the source as copy's dry run (a listing of both sides by default,
--inventory, --manifest, --missing-manifest, --checkpoint FILE --failed) with
copy's filters, writes every object copy would copy to a Batch Operations CSV
manifest (no header, keys URL-encoded with %20 and %2B, version ids in every
row or none, "null" for a null version), checks it, uploads it to
--manifest-to (default: beside the report, REPORT-TO/manifests/), and makes
the job with its ETag. --generate makes S3 list the source itself (a
manifest generator). Objects over 5 GiB never go into a job: they are
listed in --large-manifest, and --large-locally copies them here once the
job is made (a submit run again finishes that copy).

Each side's requests go to the region S3 says its bucket is in (a region
from AWS_REGION or a profile that is not the bucket's is replaced; one a
flag gave is refused). A copy job is made in the destination bucket's
region, with MetadataDirective COPY
(the source's metadata and tags), the storage class of --storage-class or,
when every object has the same, that one (a job sets one class for all). A
replicate job is made in the source bucket's region, after the source's
replication configuration is read: one of its enabled rules must cover the
source prefix and replicate to --to's bucket.

The job waits for 'backfill batchops confirm JOB' unless --yes. The
submit is recorded in --state (mode 0600) before CreateJob: the same
command run again (after a timeout, Ctrl-C) reports the job it made, or
sends the very same request (same ClientRequestToken), and never makes a
second job. With --dry-run it only reports what it finds.

` + batchopsHelp,
		Flags:        append(flags, awsFlags()...),
		Action:       submitAction,
		OnUsageError: onUsageError,
	}
}

func submitJobFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "from", Usage: "source `s3://BUCKET[/PREFIX]` (required)"},
		&cli.StringFlag{Name: "to", Usage: "destination `s3://BUCKET[/PREFIX]` (required); a copy job writes PREFIX/SOURCE-KEY, so the prefix must be the source's or end in it"},
		&cli.StringFlag{Name: "operation", Value: "copy", Usage: "`copy` (S3PutObjectCopy) or replicate (S3ReplicateObject)"},
		&cli.StringFlag{Name: "role-arn", Usage: "the IAM role `ARN` the job runs as (required; `backfill batchops policy --create-role` makes one)"},
		&cli.StringFlag{Name: "report-to", Usage: "completion report location `s3://BUCKET/PREFIX` (required)"},
		&cli.StringFlag{Name: "report-scope", Value: "failed", Usage: "report `failed` tasks only or all"},
		&cli.StringFlag{Name: "manifest-to", Usage: "where the manifest is uploaded, `s3://BUCKET/PREFIX` (default REPORT-TO/manifests/)"},
		&cli.IntFlag{Name: "priority", Value: 10, Usage: "the job's `PRIORITY` (higher runs first)"},
		&cli.BoolFlag{Name: "yes", Usage: "confirm the job at once (default: it waits, Suspended, for `batchops confirm`)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "print the plan; upload nothing, make, confirm or copy nothing (an earlier submit's job is only reported)"},
		&cli.BoolFlag{Name: "large-locally", Usage: "copy the objects over 5 GiB on this machine (in parts, as copy does) once the job is made"},
		&cli.StringFlag{Name: "large-manifest", Value: "backfill-large-objects.csv", Usage: "`FILE` listing the objects over 5 GiB (a Batch Operations manifest, mode 0600)"},
		&cli.StringFlag{Name: "large-checkpoint", Usage: "checkpoint `PATH` of the local copy of the objects over 5 GiB (default: backfill-large-TOKEN.db beside --state; the same command run again resumes it)"},
		&cli.StringFlag{Name: "state", Value: "backfill-batchops.json", Usage: "the local record of submits, `PATH` (mode 0600)"},
		&cli.StringFlag{Name: "price-file", Usage: "prices for the estimate, a JSON `FILE` over the defaults (S3-FACTS.md section 9)"},
		&cli.BoolFlag{Name: "no-progress", Usage: "no progress display while reading the source"},
		&cli.IntFlag{Name: "concurrency", Value: engine.DefaultConcurrency, Usage: "requests in flight (`N`) reading the source and copying large objects"},
	}
}

func submitSourceFlags() []cli.Flag {
	const cat = "Source (default: a listing of both sides)"
	return []cli.Flag{
		&cli.StringFlag{Name: "inventory", Category: cat, Usage: "an S3 Inventory delivery `LOCATION` (as copy's --inventory); a CSV one that needs no filtering is the job's manifest as it is (unless --upload-manifest)"},
		&cli.BoolFlag{Name: "upload-manifest", Category: cat, Usage: "with --inventory: always upload backfill's own manifest, never name the inventory's manifest.json (whose delivery the role must then read: policy --inventory)"},
		&cli.StringFlag{Name: "inventory-date", Category: cat, Usage: "with --inventory s3://BUCKET/PREFIX/: the delivery of `YYYY-MM-DD`"},
		&cli.StringFlag{Name: "shard", Category: cat, Usage: "with --inventory: only `I/N` of the keys"},
		&cli.StringFlag{Name: "manifest", Category: cat, Usage: "a Batch Operations CSV manifest `FILE` or s3://BUCKET/KEY"},
		&cli.StringFlag{Name: "missing-manifest", Category: cat, Usage: "a verify diff's --missing-manifest `FILE` (a Batch Operations CSV manifest, read as --manifest)"},
		&cli.StringFlag{Name: "completion-report", Category: cat, Usage: "the failed tasks of a completion report (its `manifest.json`)"},
		&cli.StringFlag{Name: "checkpoint", Category: cat, Usage: "with --failed: a local run's checkpoint `FILE`"},
		&cli.BoolFlag{Name: "failed", Category: cat, Usage: "with --checkpoint: the objects that run failed"},
		&cli.BoolFlag{Name: "generate", Category: cat, Usage: "S3 generates the manifest (a manifest generator) when it prepares the job"},
		&cli.StringFlag{Name: "replication-status", Category: cat, Usage: "`LIST` of replication statuses taken (with --inventory, as copy's; with --generate, default NONE,FAILED)"},
		&cli.StringFlag{Name: "created-before", Category: cat, Usage: "with --generate: objects created before `TIME` (RFC 3339 or YYYY-MM-DD; default now less --min-age)"},
		&cli.StringFlag{Name: "created-after", Category: cat, Usage: "with --generate: objects created after `TIME`"},
		&cli.StringFlag{Name: "min-size", Category: cat, Usage: "with --generate: objects of at least `SIZE`"},
		&cli.StringFlag{Name: "max-size", Category: cat, Usage: "with --generate: objects of at most `SIZE` (never over 5GiB)"},
		&cli.StringSliceFlag{Name: "generate-storage-class", Category: cat, Usage: "with --generate: only objects of storage `CLASS` (repeatable; default every class but GLACIER and DEEP_ARCHIVE, unless --include-archived)"},
		&cli.StringSliceFlag{Name: "include", Category: cat, Usage: "only keys matching `GLOB` (as copy's)"},
		&cli.StringSliceFlag{Name: "exclude", Category: cat, Usage: "skip keys matching `GLOB`"},
		&cli.DurationFlag{Name: "min-age", Category: cat, Usage: "skip objects modified within `DURATION` of now"},
		&cli.BoolFlag{Name: "include-archived", Category: cat, Usage: "take objects in archive classes too (they fail unless restored)"},
	}
}

func submitCopyFlags() []cli.Flag {
	const cat = "Copy job options"
	return []cli.Flag{
		&cli.StringFlag{Name: "storage-class", Category: cat, Usage: "storage `CLASS` of the copies (default: the objects' one class; several are refused)"},
		&cli.StringFlag{Name: "sse", Category: cat, Usage: "encryption of the copies: `AES256|aws:kms`"},
		&cli.StringFlag{Name: "sse-kms-key-id", Category: cat, Usage: "KMS `KEY` for --sse aws:kms (an ARN for a key of another account)"},
		&cli.BoolFlag{Name: "bucket-key", Category: cat, Usage: "an S3 Bucket Key with --sse aws:kms"},
		&cli.StringFlag{Name: "checksum-algorithm", Category: cat, Usage: "checksum `ALGORITHM` of the copies (CRC32, CRC32C, SHA1, SHA256, CRC64NVME, ...)"},
		&cli.StringFlag{Name: "acl", Category: cat, Usage: "canned `ACL` of the copies"},
	}
}

func submitAction(c *cli.Context) error {
	s, err := submitSpec(c)
	if err != nil {
		return err
	}
	ctx, ctl, stop := withSignals(c.Context, c.App.ErrWriter)
	defer stop()
	return batchops.Submit(ctx, s, batchops.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Control: ctl})
}

// submitSpec reads submit's flags into a description.
func submitSpec(c *cli.Context) (*batchops.SubmitSpec, error) {
	if c.NArg() > 0 {
		return nil, run.Usagef("unexpected argument %q: give locations with --from and --to", c.Args().First())
	}
	from, to, err := locations(c)
	if err != nil {
		return nil, err
	}
	src, label, err := submitSource(c)
	if err != nil {
		return nil, err
	}
	prices, err := cost.Load(c.String("price-file"))
	if err != nil {
		return nil, run.Usagef("%w", err)
	}
	s := &batchops.SubmitSpec{
		Job: batchops.JobSpec{Operation: batchops.Operation(c.String("operation")), RoleARN: c.String("role-arn"),
			ReportTo: c.String("report-to"), ReportScope: reportScope(c.String("report-scope")), ManifestTo: c.String("manifest-to"),
			Priority: int32(c.Int("priority")), Copy: copyJobOptions(c)},
		Run: run.Spec{From: from, To: to, Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"),
			Engine: engine.Options{Concurrency: fixedGC(c.Int("concurrency")), MinAge: c.Duration("min-age"), IncludeArchived: c.Bool("include-archived"),
				StorageClass: c.String("storage-class"), SSE: c.String("sse"), SSEKMSKeyID: c.String("sse-kms-key-id"), BucketKey: c.Bool("bucket-key"),
				ACL: c.String("acl"), ExpectedSourceOwner: c.String("expected-source-owner"), ExpectedDestOwner: c.String("expected-dest-owner")},
			Source: src, Progress: !c.Bool("no-progress")},
		Source: label, Confirm: c.Bool("yes"), LargeLocally: c.Bool("large-locally"), LargeManifest: c.String("large-manifest"),
		LargeCheckpoint: c.String("large-checkpoint"), State: c.String("state"), DryRun: c.Bool("dry-run"), JSON: c.Bool("json"), Prices: prices,
		UploadManifest: c.Bool("upload-manifest"),
	}
	if src.RetryFailed {
		s.Run.Checkpoint = c.String("checkpoint")
	}
	s.Run.AWS, s.Run.SrcSide, s.Run.DstSide = awsOptions(c)
	s.Account = account(c, "") // the job's region is its bucket's: submit asks S3
	if c.Bool("generate") {
		if s.Job.Generate, err = generator(c); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func copyJobOptions(c *cli.Context) batchops.CopyOptions {
	return batchops.CopyOptions{StorageClass: c.String("storage-class"), SSE: c.String("sse"), SSEKMSKeyID: c.String("sse-kms-key-id"),
		BucketKey: c.Bool("bucket-key"), ChecksumAlgorithm: c.String("checksum-algorithm"), ACL: c.String("acl")}
}

func reportScope(s string) string {
	switch s {
	case "failed":
		return batchops.ScopeFailed
	case "all":
		return batchops.ScopeAll
	}
	return s
}

// submitSource reads the source flags: the inventory.Spec the dry run
// reads, and how the submit's identity names it.
func submitSource(c *cli.Context) (inventory.Spec, string, error) {
	manifest := c.String("manifest")
	if mm := c.String("missing-manifest"); mm != "" {
		if manifest != "" {
			return inventory.Spec{}, "", run.Usagef("--manifest and --missing-manifest are both a manifest: give one")
		}
		manifest = mm
	}
	if c.Bool("failed") != c.IsSet("checkpoint") {
		return inventory.Spec{}, "", run.Usagef("--checkpoint FILE and --failed go together: the objects a local run's checkpoint records as failed")
	}
	s := inventory.Spec{Inventory: c.String("inventory"), InventoryDate: c.String("inventory-date"), Shard: c.String("shard"),
		Manifest: manifest, CompletionReport: c.String("completion-report"), RetryFailed: c.Bool("failed")}
	if !c.Bool("generate") {
		s.ReplicationStatus = c.String("replication-status")
	}
	var label string
	switch {
	case c.Bool("generate"):
		label = "generate"
	case s.Inventory != "":
		label = "inventory " + s.Inventory + " " + s.InventoryDate + " " + s.Shard + " " + s.ReplicationStatus
	case s.Manifest != "":
		label = "manifest " + s.Manifest
	case s.CompletionReport != "":
		label = "completion-report " + s.CompletionReport
	case s.RetryFailed:
		label = "checkpoint-failed " + c.String("checkpoint")
	default:
		label = "listing"
	}
	return s, strings.TrimSpace(label), nil
}

// generator reads the manifest generator's flags.
func generator(c *cli.Context) (*batchops.Generator, error) {
	g := &batchops.Generator{CreatedBefore: time.Now().UTC().Add(-c.Duration("min-age")),
		StorageClasses: c.StringSlice("generate-storage-class"), ReplicationStatuses: []string{"NONE", "FAILED"}}
	if len(g.StorageClasses) == 0 && !c.Bool("include-archived") {
		// as copy: objects in archive classes need a restore first
		g.StorageClasses = []string{"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"}
	}
	if v := c.String("replication-status"); v != "" {
		g.ReplicationStatuses = strings.Split(strings.ToUpper(v), ",")
	}
	var err error
	g.CreatedBeforeDefault = true
	if v := c.String("created-before"); v != "" {
		if g.CreatedBefore, err = parseTime(v); err != nil {
			return nil, run.Usagef("--created-before: %w", err)
		}
		g.CreatedBeforeDefault = false
	}
	if v := c.String("created-after"); v != "" {
		t, err := parseTime(v)
		if err != nil {
			return nil, run.Usagef("--created-after: %w", err)
		}
		g.CreatedAfter = &t
	}
	for flag, p := range map[string]*int64{"min-size": &g.MinSize, "max-size": &g.MaxSize} {
		if v := c.String(flag); v != "" {
			if *p, err = units.ParseSize(v); err != nil {
				return nil, run.Usagef("--%s: %w", flag, err)
			}
		}
	}
	return g, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, e.g. 2026-11-20T10:00:00Z, or YYYY-MM-DD)", s)
}
