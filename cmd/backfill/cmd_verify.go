package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/units"
	"github.com/backfill-dev/backfill/run"
)

const verifyHelp = `Compares the primary and the replica key by key and says whether the replica
is whole: both sides listed (ListObjectsV2, fanned out over folders, joined by
key), or read from S3 Inventory deliveries (--inventory, --dest-inventory;
sorted on local disk, in bounded memory), or one of each: listing requests
only, unless --head-undecided N reads up to N pairs of one size with other
single-part ETags with a HEAD per side (a listing cannot see encryption), or
--deep reads every pair. Every object gets one class, in this order:
   replication-failed  the primary says its replication FAILED (visible only in
                       an inventory with ReplicationStatus, or with --deep)
   too-new             modified within --min-age: never a difference
   missing             in the primary, not in the replica
   size-differs        sizes differ, the replica's copy older
   content-differs     proven different (checksums, or comparable ETags), the
                       replica's copy older
   replica-newer       different, and the replica's copy newer: someone wrote
                       it there (--fix leaves it unless --overwrite-newer)
   metadata-differs    (--deep) headers, user metadata or tag count differ
   unverified          nothing comparable: ETags of another part layout or of
                       an encrypted object, and no checksum of one algorithm on
                       both (--deep decides many)
   extra               only in the replica: reported, never deleted
The replica's REPLICA status against the primary's COMPLETED, a backfilled
copy's newer date and other version id are never differences.

--fix copies what must be copied through the same engine as copy (conditional
on the ETag seen, never over a newer replica object, multipart above the
threshold), then checks those keys again. --checkpoint FILE makes a verify
resumable (a re-run goes on from what was compared) and its repair recorded; a
finished verify on that file is not resumed: the next run starts a new one.

EXIT STATUS:
   0    the replica is whole (only too-new, extra and unverified objects; with
        --strict, unverified ones count as differences)
   1    the run failed (credentials, missing bucket, bad inventory, ...)
   2    usage error
   3    differences remain
   4    the checkpoint is held by another run
   130  interrupted`

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:        "verify",
		Usage:       "compare the primary and the replica, classify every difference, optionally --fix them; exit 0 when the replica is whole",
		UsageText:   "backfill verify --from s3://PRIMARY[/PREFIX] --to s3://REPLICA[/PREFIX] [flags]",
		Description: verifyHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "the primary `s3://BUCKET[/PREFIX]` (required)"},
			&cli.StringFlag{Name: "to", Usage: "the replica `s3://BUCKET[/PREFIX]` (required)"},
			&cli.StringFlag{Name: "inventory", Usage: "read the primary from an S3 Inventory delivery (`LOCATION` as copy's --inventory) instead of listing it"},
			&cli.StringFlag{Name: "inventory-date", Usage: "with --inventory s3://BUCKET/PREFIX/: the delivery of `YYYY-MM-DD`"},
			&cli.StringFlag{Name: "dest-inventory", Usage: "read the replica from its own S3 Inventory delivery (`LOCATION`) instead of listing it"},
			&cli.StringFlag{Name: "dest-inventory-date", Usage: "with --dest-inventory s3://BUCKET/PREFIX/: the delivery of `YYYY-MM-DD`"},
			&cli.DurationFlag{Name: "min-age", Value: run.DefaultVerifyMinAge, Usage: "the delay given to replication: primary objects modified within `DURATION` are too new to be expected in the replica"},
			&cli.BoolFlag{Name: "deep", Usage: "read each compared object with one HEAD per side: checksums (decide most unverified objects), headers, metadata, tag count, replication status"},
			&cli.IntFlag{Name: "head-undecided", Value: run.DefaultHeadUndecided, Usage: "without --deep, read up to `N` pairs of one size with other single-part ETags with a HEAD per side, over a run and its resumes (a listing cannot see encryption, and an SSE-KMS ETag is not an MD5); the others stay unverified. Default 0: listing requests only"},
			&cli.BoolFlag{Name: "strict", Usage: "count unverified objects as differences (exit 3)"},
			&cli.BoolFlag{Name: "fix", Usage: "copy the missing and differing objects (not replica-newer ones), then check them again"},
			&cli.BoolFlag{Name: "dry-run", Usage: "with --fix: say what it would copy, copy nothing"},
			&cli.BoolFlag{Name: "overwrite-newer", Usage: "with --fix: also replace replica-newer objects"},
			&cli.IntFlag{Name: "concurrency", Value: engine.DefaultConcurrency, Usage: "requests in flight (`N`): HEADs (--deep, --head-undecided), --fix's copies"},
			&cli.StringFlag{Name: "multipart-threshold", Value: "5GiB", Usage: "--fix copies objects larger than `SIZE` in parts"},
			&cli.StringFlag{Name: "part-size", Value: "256MiB", Usage: "part `SIZE` of --fix's multipart copies"},
			&cli.StringFlag{Name: "report", Usage: "write a JSON report to `FILE` (mode 0600)"},
			&cli.StringFlag{Name: "diff", Usage: "write every difference, extra and unverified object to `FILE` as CSV (class, key, version, sizes, ETags, reason; mode 0600)"},
			&cli.StringFlag{Name: "missing-manifest", Usage: "write what must be copied to `FILE` as a Batch Operations CSV manifest (mode 0600), e.g. for batchops submit"},
			&cli.StringFlag{Name: "metrics-file", Usage: "write Prometheus metrics to `FILE` for node_exporter's textfile collector (atomically)"},
			&cli.BoolFlag{Name: "json", Usage: "the summary as JSON on stdout"},
			&cli.BoolFlag{Name: "no-progress", Usage: "no progress line on stderr"},
			&cli.StringFlag{Name: "checkpoint", Category: "Checkpoint", Usage: "make the verify resumable in `PATH` (bbolt, 0600; never copy's checkpoint)"},
			&cli.BoolFlag{Name: "reset", Category: "Checkpoint", Usage: "start the verify over on its checkpoint"},
		}, awsFlags()...),
		Action:       runVerify,
		OnUsageError: onUsageError,
	}
}

func runVerify(c *cli.Context) error {
	spec, err := verifySpec(c)
	if err != nil {
		return err
	}
	ctx, ctl, stop := withSignals(c.Context, c.App.ErrWriter)
	defer stop()
	return run.Verify(ctx, spec, run.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Control: ctl})
}

// verifySpec reads verify's flags into a run description.
func verifySpec(c *cli.Context) (*run.VerifySpec, error) {
	if err := noArgs(c); err != nil {
		return nil, err
	}
	from, to, err := locations(c)
	if err != nil {
		return nil, err
	}
	threshold, err := units.ParseSize(c.String("multipart-threshold"))
	if err != nil {
		return nil, run.Usagef("--multipart-threshold: %w", err)
	}
	partSize, err := units.ParseSize(c.String("part-size"))
	if err != nil {
		return nil, run.Usagef("--part-size: %w", err)
	}
	if c.Bool("reset") && c.String("checkpoint") == "" {
		return nil, run.Usagef("--reset goes with --checkpoint")
	}
	s := &run.VerifySpec{
		From: from, To: to,
		Inventory: c.String("inventory"), InventoryDate: c.String("inventory-date"),
		DestInventory: c.String("dest-inventory"), DestInventoryDate: c.String("dest-inventory-date"),
		MinAge: c.Duration("min-age"), Deep: c.Bool("deep"), HeadUndecided: c.Int("head-undecided"), Strict: c.Bool("strict"),
		Fix: c.Bool("fix"), DryRun: c.Bool("dry-run"), OverwriteNewer: c.Bool("overwrite-newer"),
		Checkpoint: c.String("checkpoint"), Reset: c.Bool("reset"),
		Output: run.VerifyOutput{JSON: c.Bool("json"), Report: c.String("report"), Diff: c.String("diff"),
			MissingManifest: c.String("missing-manifest"), MetricsFile: c.String("metrics-file")},
		Progress: !c.Bool("no-progress"),
		Engine: engine.Options{Concurrency: fixedGC(c.Int("concurrency")), MultipartThreshold: threshold, PartSize: partSize,
			ExpectedSourceOwner: c.String("expected-source-owner"), ExpectedDestOwner: c.String("expected-dest-owner")},
	}
	s.AWS, s.SrcSide, s.DstSide = awsOptions(c)
	if debugOn(c) {
		s.AWS.DebugLog, s.Debug = c.App.ErrWriter, true
	}
	return s, nil
}
