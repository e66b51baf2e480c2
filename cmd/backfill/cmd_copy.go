package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
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
   archived           in GLACIER or DEEP_ARCHIVE, or an archive tier of
                      INTELLIGENT_TIERING (see --include-archived)
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

` + exitStatusHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "source `s3://BUCKET[/PREFIX]` (required)"},
			&cli.StringFlag{Name: "to", Usage: "destination `s3://BUCKET[/PREFIX]` (required)"},
			&cli.StringSliceFlag{Name: "include", Usage: "copy only keys (relative to the source prefix) matching `GLOB` (repeatable; * matches across /)"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "skip keys matching `GLOB` (repeatable)"},
			&cli.DurationFlag{Name: "min-age", Usage: "skip objects modified within `DURATION` of the start (live replication delivers them), e.g. 1h"},
			&cli.IntFlag{Name: "concurrency", Value: engine.DefaultConcurrency, Usage: "requests in flight (`N`): copies, and the parts of large objects"},
			&cli.StringFlag{Name: "multipart-threshold", Value: "5GiB", Usage: "copy objects larger than `SIZE` in parts (at most 5GiB, the CopyObject limit)"},
			&cli.StringFlag{Name: "part-size", Value: "256MiB", Usage: "part `SIZE` of multipart copies (5MiB..5GiB; grown for objects that would need over 10,000 parts)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list what would be copied; copy nothing"},
			&cli.StringFlag{Name: "inventory", Usage: "copy from an S3 Inventory delivery (CSV or Parquet) instead of listing: `LOCATION` is a local manifest.json, s3://.../manifest.json, or s3://BUCKET/PREFIX/ (the newest delivery under it)"},
			&cli.StringFlag{Name: "replication-status", Usage: "with --inventory: the replication statuses to copy, comma-separated (`LIST` of COMPLETED, PENDING, FAILED, REPLICA, NONE; default FAILED,NONE)"},
			&cli.StringFlag{Name: "shard", Usage: "with --inventory: copy only a deterministic `I/N` of the keys (by hash), so N machines can share one inventory"},
			&cli.BoolFlag{Name: "all-versions", Usage: "with --inventory of a versioned bucket: copy the non-current versions too, oldest first per key, so the newest stays the replica's current version"},
			&cli.StringFlag{Name: "inventory-date", Usage: "with --inventory s3://BUCKET/PREFIX/: the delivery of `YYYY-MM-DD` (or a longer prefix of its folder name)"},
			&cli.StringFlag{Name: "completion-report", Usage: "copy the failed tasks of an S3 Batch Operations completion report (its `manifest.json`: a file beside results/, or s3://.../job-ID/manifest.json) instead of listing"},
			&cli.StringFlag{Name: "manifest", Usage: "copy the objects an S3 Batch Operations CSV manifest names (`FILE` or s3://BUCKET/KEY; bucket,key[,versionId], URL-encoded keys; a --failures file is one) instead of listing"},
			&cli.StringFlag{Name: "storage-class", Usage: "storage `CLASS` of the copies (default: each source object's own)"},
			&cli.StringFlag{Name: "sse", Usage: "server-side encryption of the copies: `AES256|aws:kms`"},
			&cli.StringFlag{Name: "sse-kms-key-id", Usage: "KMS `KEY` id or ARN for --sse aws:kms"},
			&cli.BoolFlag{Name: "bucket-key", Usage: "use an S3 Bucket Key with --sse aws:kms"},
			&cli.StringFlag{Name: "acl", Usage: "canned `ACL` for the copies, e.g. bucket-owner-full-control"},
			&cli.StringFlag{Name: "report", Usage: "write a JSON report to `FILE` (mode 0600)"},
			&cli.StringFlag{Name: "failures", Usage: "write failed objects to `FILE` as a Batch Operations CSV manifest (bucket,key[,versionId], URL-encoded keys; mode 0600)"},
			&cli.BoolFlag{Name: "json", Usage: "JSON lines on stdout instead of text"},
			&cli.BoolFlag{Name: "no-progress", Usage: "no progress bar or status lines on stderr"},
			&cli.BoolFlag{Name: "include-archived", Usage: "attempt objects in GLACIER/DEEP_ARCHIVE and Intelligent-Tiering archive tiers (restored ones copy; others fail InvalidObjectState) instead of skipping them as archived"},
		}, append(checkpointFlags(), awsFlags()...)...),
		Action:       runCopy,
		OnUsageError: onUsageError,
	}
}

type copyRun struct {
	from, to s3url.URL
	opts     engine.Options
	include  []string
	exclude  []string
	// checkpoint path ("" = none), reset, retryFailed
	checkpoint  string
	reset       bool
	retryFailed bool
	manifest    string
	report0     string // --completion-report
	inventory   string
	invDate     string
	shard       string
	replStatus  string
	allVersions bool
	// invDelivery is the manifest.json --inventory resolved to: a resume
	// must read the same delivery.
	invDelivery string
	json        bool
	report      string
	failures    string
	progress    bool
}

func parseCopy(c *cli.Context) (*copyRun, error) {
	if c.NArg() > 0 {
		return nil, usageErrorf("unexpected argument %q: give locations with --from and --to", c.Args().First())
	}
	for _, f := range []string{"from", "to"} {
		if c.String(f) == "" {
			return nil, usageErrorf("--%s s3://BUCKET[/PREFIX] is required", f)
		}
	}
	from, err := s3url.Parse(c.String("from"))
	if err != nil {
		return nil, usageErrorf("--from: %w", err)
	}
	to, err := s3url.Parse(c.String("to"))
	if err != nil {
		return nil, usageErrorf("--to: %w", err)
	}
	filter, err := engine.NewFilter(c.StringSlice("include"), c.StringSlice("exclude"))
	if err != nil {
		return nil, usageErrorf("%w", err)
	}
	if c.Int("concurrency") < 1 || c.Int("concurrency") > 4096 {
		return nil, usageErrorf("--concurrency %d: must be between 1 and 4096", c.Int("concurrency"))
	}
	if c.Int("max-attempts") < 1 {
		return nil, usageErrorf("--max-attempts must be at least 1")
	}
	threshold, err := parseSize(c.String("multipart-threshold"))
	if err != nil {
		return nil, usageErrorf("--multipart-threshold: %w", err)
	}
	partSize, err := parseSize(c.String("part-size"))
	if err != nil {
		return nil, usageErrorf("--part-size: %w", err)
	}
	r := &copyRun{
		from: from, to: to,
		json:        c.Bool("json"),
		report:      c.String("report"),
		failures:    c.String("failures"),
		progress:    !c.Bool("no-progress"),
		include:     c.StringSlice("include"),
		exclude:     c.StringSlice("exclude"),
		reset:       c.Bool("reset"),
		retryFailed: c.Bool("retry-failed"),
		manifest:    c.String("manifest"),
		report0:     c.String("completion-report"),
		inventory:   c.String("inventory"),
		invDate:     c.String("inventory-date"),
		shard:       c.String("shard"),
		replStatus:  c.String("replication-status"),
		allVersions: c.Bool("all-versions"),
		opts: engine.Options{
			Source: from, Dest: to,
			Concurrency:         c.Int("concurrency"),
			Filter:              filter,
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
		},
	}
	if err := r.opts.Validate(); err != nil {
		return nil, usageErrorf("%w", err)
	}
	switch {
	case btoi(r.manifest != "")+btoi(r.retryFailed)+btoi(r.report0 != "")+btoi(r.inventory != "") > 1:
		return nil, usageErrorf("--inventory, --manifest, --completion-report and --retry-failed are different sources: give one")
	case (r.shard != "" || r.replStatus != "" || r.allVersions) && r.inventory == "":
		return nil, usageErrorf("--shard, --replication-status and --all-versions go with --inventory")
	case r.shard != "" && !validShard(r.shard):
		_, _, err := parseShard(r.shard)
		return nil, usageErrorf("%w", err)
	case r.replStatus != "" && !validStatuses(r.replStatus):
		_, err := parseStatuses(r.replStatus)
		return nil, usageErrorf("%w", err)
	case r.invDate != "" && !strings.HasPrefix(r.inventory, "s3://"):
		return nil, usageErrorf("--inventory-date goes with --inventory s3://BUCKET/PREFIX/")
	case c.Bool("no-checkpoint") && (r.reset || r.retryFailed || c.IsSet("checkpoint")):
		return nil, usageErrorf("--no-checkpoint cannot go with --checkpoint, --reset or --retry-failed")
	case c.Bool("no-checkpoint"):
	case r.opts.DryRun && (r.reset || r.retryFailed):
		return nil, usageErrorf("--dry-run does not use the checkpoint: it cannot go with --reset or --retry-failed")
	case r.opts.DryRun:
		// A dry run copies nothing, so it records nothing either.
	default:
		r.checkpoint = c.String("checkpoint")
		if r.checkpoint == "" {
			return nil, usageErrorf("--checkpoint needs a path (or use --no-checkpoint)")
		}
	}
	return r, nil
}

func runCopy(c *cli.Context) error {
	r, err := parseCopy(c)
	if err != nil {
		return err
	}
	stdout, stderr := c.App.Writer, c.App.ErrWriter
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	start := time.Now()

	// Ctrl-C from the start: before the copy begins it cancels the set-up;
	// during the copy the first one stops new copies and lets the ones in
	// flight finish, a second one aborts those too.
	var running atomic.Pointer[engine.Engine]
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			eng := running.Load()
			if n++; n == 1 && eng != nil {
				fmt.Fprintln(stderr, "\nbackfill: interrupted: finishing the copies in flight (Ctrl-C again to abort them)")
				eng.Stop()
			} else {
				cancel()
			}
		}
	}()

	// The checkpoint first: a second run on it is refused at once, before
	// it touches anything (such as the running job's report and failures
	// files).
	var cp *checkpoint.Store
	if r.checkpoint != "" {
		if cp, err = openCheckpoint(r.checkpoint, false); err != nil {
			return err
		}
		defer cp.Close()
	}

	// The report and failures files next, so that a run that fails early
	// still leaves a report saying so (never last night's).
	out, err := newOutput(stdout, stderr, r)
	if err != nil {
		return err
	}
	defer out.close()
	fail := func(err error) error {
		code := exitFailed
		var ee *exitError
		switch {
		case errors.As(err, &ee):
			code = ee.code
		case ctx.Err() != nil:
			code, err = exitInterrupted, fmt.Errorf("interrupted before the copy began: %w", err)
		}
		sum := &engine.Summary{Started: start, Finished: time.Now(), Skipped: map[string]int64{}, Failed: map[string]int64{}}
		if ferr := out.finish(sum, err, code); ferr != nil {
			fmt.Fprintf(stderr, "backfill: %v\n", ferr)
		}
		if ee != nil {
			return err
		}
		return &exitError{code: code, err: err}
	}

	ao, srcSide, dstSide := awsOptions(c, r.opts.Concurrency)
	var looked *awsconf.Requests // plan: the requests its look at both sides made
	if c.Command.Name == "plan" {
		looked = &awsconf.Requests{}
		ao.Requests = looked
	}
	srcC, err := awsconf.New(ctx, ao, srcSide, r.from.Bucket)
	if err != nil {
		return fail(err)
	}
	dao := ao
	dao.CopyOutputUnread = true // the engine reads only CopyObject's error
	dst, err := awsconf.New(ctx, dao, dstSide, r.to.Bucket)
	if err != nil {
		return fail(err)
	}
	if err := preflightBoth(ctx, srcC, dst, r); err != nil {
		return fail(err)
	}

	lister := &inventory.Lister{
		Source: srcC, SourceBkt: r.from.Bucket, SourcePfx: r.from.Prefix,
		Replica: dst, ReplicaBkt: r.to.Bucket, ReplicaPfx: r.to.Prefix,
		ExpectedSourceOwner: r.opts.ExpectedSourceOwner, ExpectedReplicaOwner: r.opts.ExpectedDestOwner,
	}
	var src engine.Source = lister
	r.opts.Start = start
	var manifest *manifestSource
	if r.manifest != "" {
		path, cleanup, err := fetchManifest(ctx, r.manifest, srcC)
		if err != nil {
			return fail(err)
		}
		defer cleanup()
		manifest = &manifestSource{path: path, name: r.manifest, refresher: refresher{src: srcC, bucket: r.from.Bucket,
			prefix: r.from.Prefix, owner: r.opts.ExpectedSourceOwner}}
		// The whole manifest is checked before anything is copied.
		n, err := manifest.check()
		if err != nil {
			return fail(fmt.Errorf("manifest: %w (nothing was copied)", err))
		}
		if n == 0 {
			out.note(fmt.Sprintf("The manifest %s is empty: nothing to do.", r.manifest))
		}
		src = manifest
	}
	var invSrc *inventorySource
	var invShards []checkpoint.Shard // the data files an earlier run of this job started
	if r.inventory != "" {
		finished := map[string]bool{}
		if cp != nil && !r.reset {
			shards, err := cp.Shards()
			if err != nil {
				return fail(err)
			}
			for _, sh := range shards {
				// Data files (current versions), or partitions of the rows
				// (--all-versions).
				if strings.HasPrefix(sh.Prefix, "file:") || strings.HasPrefix(sh.Prefix, "versions:") {
					finished[sh.Prefix] = sh.Complete
					if !sh.Complete {
						invShards = append(invShards, sh)
					}
				}
			}
		}
		inv, cleanup, err := loadInventory(ctx, r.inventory, r.invDate, srcC, r.from.Bucket, func(shard string) bool { return finished[shard] })
		if err != nil {
			return fail(fmt.Errorf("%w (nothing was copied)", err))
		}
		defer cleanup()
		inv.prefix, inv.includeArchived, inv.allVersions, inv.finished = r.from.Prefix, r.opts.IncludeArchived, r.allVersions, finished
		r.invDelivery = inv.delivery
		inv.resumed = map[string]string{}
		for _, sh := range invShards {
			inv.resumed[sh.Prefix] = sh.Watermark
		}
		if r.shard != "" {
			if inv.shard, inv.shards, err = parseShard(r.shard); err != nil {
				return fail(&exitError{code: exitUsage, err: err})
			}
		}
		if r.replStatus != "" {
			if inv.copyStatuses, err = parseStatuses(r.replStatus); err != nil {
				return fail(&exitError{code: exitUsage, err: err})
			}
		}
		n, err := inv.check(ctx)
		if err != nil {
			return fail(fmt.Errorf("inventory: %w (nothing was copied)", err))
		}
		if n == 0 {
			out.note(fmt.Sprintf("The inventory %s lists no current object under %s: nothing to do.", r.inventory, r.from))
		}
		src, invSrc = inv, inv
	}
	var report *reportSource
	if r.report0 != "" {
		files, cleanup, err := loadReport(ctx, r.report0, srcC)
		if err != nil {
			return fail(fmt.Errorf("%w (nothing was copied)", err))
		}
		defer cleanup()
		report = &reportSource{files: files, refresher: refresher{src: srcC, bucket: r.from.Bucket,
			prefix: r.from.Prefix, owner: r.opts.ExpectedSourceOwner}}
		n, err := report.check()
		if err != nil {
			return fail(fmt.Errorf("completion report: %w (nothing was copied)", err))
		}
		if n == 0 {
			out.note(fmt.Sprintf("The completion report %s has no failed tasks: nothing to do.", r.report0))
		}
		src = report
	}
	if cp != nil {
		if err := cp.Begin(r.spec(), start.Add(-r.opts.MinAge), r.reset); err != nil {
			if errors.Is(err, checkpoint.ErrSpecMismatch) {
				err = &exitError{code: exitUsage, err: err}
			}
			return fail(err)
		}
		has, err := cp.HasObjects()
		if err != nil {
			return fail(err)
		}
		r.opts.Checkpoint, r.opts.FreshCheckpoint = cp, !has
		switch {
		case invSrc != nil:
			// Each data file is a shard: finished files are not read again,
			// started ones resume after their watermark.
			r.opts.TrackShards, r.opts.Resume = true, invShards
		case manifest != nil || report != nil:
			known := func(key, version string) (checkpoint.Record, bool) {
				rec, ok, _ := cp.Lookup(key, version)
				return rec, ok
			}
			if manifest != nil {
				manifest.known = known
			} else {
				report.known = known
			}
		case r.retryFailed:
			src = &failedSource{cp: cp, refresher: refresher{src: srcC, bucket: r.from.Bucket, prefix: r.from.Prefix, owner: r.opts.ExpectedSourceOwner}}
		default:
			resume, known, pending, err := resumeState(cp)
			if err != nil {
				return fail(err)
			}
			if resume != nil && len(resume) == 0 {
				out.note(fmt.Sprintf("The checkpoint %s says this job's listing is complete: nothing was listed. Use --reset (or another --checkpoint) to list the buckets again.", r.checkpoint))
			}
			lister.Resume, lister.Known = resume, func(p string) bool { return known[p] }
			r.opts.TrackShards, r.opts.Resume = true, pending
		}
	}

	r.opts.Logf = func(format string, args ...any) { fmt.Fprintf(stderr, "backfill: "+format+"\n", args...) }
	var obs engine.Observer = out
	var plan *planner
	if c.Command.Name == "plan" {
		plan = newPlanner(r.opts.MultipartThreshold, r.opts.PartSize)
		if plan.threshold == 0 {
			plan.threshold = engine.MaxCopyObjectSize
		}
		if plan.partSize == 0 {
			plan.partSize = engine.DefaultPartSize
		}
		obs = plan
	}
	eng, err := engine.New(dst, srcC, r.opts, obs)
	if err != nil {
		return fail(usageErrorf("%w", err))
	}
	running.Store(eng)
	if ctx.Err() != nil { // interrupted during the set-up
		eng.Stop()
	}
	prog := startProgress(stderr, eng, progressModeFor(stderr, r.progress))
	sum, runErr := eng.Run(ctx, src)
	prog.stop()

	code := exitOK
	switch {
	case runErr != nil && sum.Interrupted:
		code = exitInterrupted
	case runErr != nil:
		code = exitFailed
	case sum.Interrupted:
		code = exitInterrupted
	case sum.FailedTotal() > 0:
		code = exitPartial
	}
	if cp != nil && !r.opts.DryRun {
		if err := out.fromCheckpoint(cp, r.from, r.retryFailed); err != nil {
			fmt.Fprintf(stderr, "backfill: %v\n", err)
		}
		// Failures of earlier runs that this run did not retry still leave
		// the replica incomplete.
		if code == exitOK && out.job.FailedObjects > 0 {
			code = exitPartial
		}
	}
	out.aborted = ctx.Err() != nil
	if plan != nil && runErr == nil {
		plan.looked(looked.Counts())
		plan.print(stdout, r.json, r.from.String(), r.to.String())
		if err := out.close(); err != nil {
			return err
		}
		if code != exitOK {
			return &exitError{code: code}
		}
		return nil
	}
	if err := out.finish(sum, runErr, code); err != nil {
		if runErr == nil {
			return err
		}
		fmt.Fprintf(stderr, "backfill: %v\n", err)
	}
	if runErr != nil && code == exitFailed {
		return &exitError{code: code, err: runErr}
	}
	if code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// preflightBoth makes sure credentials exist and the buckets answer a
// listing before any copy starts, so a run-level problem stops the run
// with one clear message. Credentials are checked one side after the other
// (an interactive credential_process asks once at a time), the buckets
// both at once (one round trip, not two). A source that fails is the error
// reported, and the destination's look is cancelled.
func preflightBoth(ctx context.Context, src, dst *awsconf.Client, r *copyRun) error {
	if err := checkCredentials(ctx, src, r.from, "source"); err != nil {
		return err
	}
	if err := checkCredentials(ctx, dst, r.to, "destination"); err != nil {
		return err
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var dstErr error
	dstLooked := make(chan struct{})
	go func() {
		defer close(dstLooked)
		dstErr = preflight(dctx, dst, r.to, r.opts.ExpectedDestOwner, "destination")
	}()
	if err := preflight(ctx, src, r.from, r.opts.ExpectedSourceOwner, "source"); err != nil {
		cancel()
		<-dstLooked
		return err
	}
	<-dstLooked
	return dstErr
}

func checkCredentials(ctx context.Context, c *awsconf.Client, u s3url.URL, side string) error {
	if err := c.CheckCredentials(ctx); err != nil {
		return fmt.Errorf("%s %s: %w (set AWS_PROFILE, --%s-profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)", side, u, err, shortSide(side))
	}
	return nil
}

// preflight lists at most one object of the bucket: a missing bucket or a
// denied listing fails here, clearly.
func preflight(ctx context.Context, c *awsconf.Client, u s3url.URL, owner, side string) error {
	l := &inventory.Lister{Source: c, SourceBkt: u.Bucket, SourcePfx: u.Prefix, PageSize: 1, ExpectedSourceOwner: owner}
	err := l.Probe(ctx)
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("%s %s", side, u)
	if re := engine.AsRunError(what, err); re != nil {
		if re.Code == "NoSuchBucket" {
			re.Hint = fmt.Sprintf("bucket %q does not exist", u.Bucket)
		}
		return re
	}
	switch code := engine.ErrorCode(err); code {
	case "AccessDenied", "HTTP403":
		return &engine.RunError{What: what, Code: code, Hint: "access denied: the credentials cannot list this bucket", Err: err}
	case "HTTP404", "NotFound":
		return &engine.RunError{What: what, Code: code, Hint: fmt.Sprintf("bucket %q does not exist", u.Bucket), Err: err}
	}
	var re *engine.RunError
	if errors.As(err, &re) {
		return re
	}
	return &engine.RunError{What: what, Hint: "cannot list the bucket", Err: err}
}

func shortSide(side string) string {
	if side == "destination" {
		return "dest"
	}
	return side
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
