package batchops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

// fromSource submits a job whose manifest backfill writes from the
// source, read as a copy's dry run.
func (b *submit) fromSource(ctx context.Context) error {
	col, got, err := b.collect(ctx)
	if err != nil {
		return err
	}
	defer col.remove()
	plan := b.planOf(col, got)
	if col.rows == 0 {
		b.out.plan(plan, nil)
		b.out.note("Nothing for a job: no object to copy passed the filters.")
		return b.large(ctx, col)
	}
	if err := b.pickStorageClass(col); err != nil {
		return err
	}
	fill := col.mixedVersions() || b.spec.Job.Operation == Replicate && b.versioned && col.version < col.rows
	m, err := finalize(ctx, col.f.Name(), b.src, fill, b.spec.Run.Engine.Concurrency)
	if err != nil {
		return err
	}
	defer os.Remove(m.path)
	from := b.spec.Run.From
	if err := checkManifest(m, from.Bucket, from.Prefix, m.rows); err != nil {
		return err
	}
	if m.gone > 0 {
		b.out.note("%d objects were deleted from the source since they were listed: not in the job.", m.gone)
	}
	rec, err := b.manifestRecord(ctx, m, got, col)
	if err != nil || rec == nil {
		return err
	}
	b.out.plan(plan, rec)
	if err := b.create(ctx, rec); err != nil {
		return err
	}
	b.out.created(rec)
	if err := b.large(ctx, col); err != nil {
		return err
	}
	if n := got.Summary.FailedTotal(); n > 0 {
		return &run.ExitError{Code: exitcode.Partial, Err: fmt.Errorf("%s of the source could not be read (%s) and are not in the job", report.Plural(n, "object"), counts(got.Summary.Failed))}
	}
	return nil
}

// collect reads the source as a copy's dry run into a collector.
func (b *submit) collect(ctx context.Context) (*collector, *run.Collected, error) {
	col, err := newCollector()
	if err != nil {
		return nil, nil, err
	}
	spec := b.spec.Run
	spec.Plan, spec.Checkpoint = false, ""
	if spec.Source.RetryFailed {
		spec.Checkpoint = b.spec.Run.Checkpoint
	}
	env := run.Env{Stdout: b.env.Stdout, Stderr: b.env.Stderr, Control: b.env.Control,
		Connect: func(context.Context, *run.Spec) (*run.Sides, error) { return b.sides, nil }}
	got, err := run.Collect(ctx, &spec, env, col)
	if cerr := col.close(); err == nil {
		err = cerr
	}
	if err != nil {
		col.remove()
		return nil, nil, fmt.Errorf("read the source: %w; nothing was submitted", err)
	}
	for _, n := range got.Notes {
		b.out.note("%s", n)
	}
	return col, got, nil
}

// pickStorageClass sets a copy job's storage class: --storage-class, or
// the one class of every object (a copy job sets one class for all its
// copies; S3 would store them STANDARD otherwise). Objects of several
// classes without --storage-class are refused.
func (b *submit) pickStorageClass(col *collector) error {
	if b.spec.Job.Operation != Copy || b.spec.Job.Copy.StorageClass != "" {
		return nil
	}
	class, several := col.storageClass()
	if class == "" {
		return run.Usagef("the objects to copy are in several storage classes (%s), and a copy job gives all its copies one: give --storage-class (or copy with `backfill copy`, which keeps each object's); nothing was submitted",
			strings.Join(several, ", "))
	}
	b.spec.Job.Copy.StorageClass = class
	return nil
}

// manifestRecord uploads the manifest (or, for an S3 Inventory that
// needed no filtering, names the inventory's own manifest.json) and
// returns the job's record; nil with --dry-run.
func (b *submit) manifestRecord(ctx context.Context, m *manifest, got *run.Collected, col *collector) (*Record, error) {
	attempt := b.st.attempts(b.key)
	token := jobToken(b.key, m.digest, attempt)
	ref, err := b.inventoryAsIs(ctx, got, col, m)
	if err != nil {
		return nil, err
	}
	if ref == nil {
		to, _ := s3url.Parse(b.spec.Job.ManifestTo)
		key := to.Prefix + "backfill-" + token[:16] + ".csv"
		ref = &ManifestRef{Format: formatCSV, ARN: objectARN(to.Bucket, key), Versions: m.versions}
		if b.spec.DryRun {
			b.out.plan(b.planOf(col, got), nil)
			b.out.note("--dry-run: the manifest (%d rows) would go to s3://%s/%s; nothing was uploaded or submitted.", m.rows, to.Bucket, key)
			return nil, nil
		}
		if ref.ETag, err = upload(ctx, b.job, m.path, to.Bucket, key); err != nil {
			return nil, err
		}
	} else if b.spec.DryRun {
		b.out.plan(b.planOf(col, got), nil)
		b.out.note("--dry-run: the job would read the inventory %s as it is; nothing was submitted.", ref.ARN)
		return nil, nil
	}
	return b.newRecord(token, ref, m.rows, col.bytes), nil
}

// generated submits a job whose manifest S3 generates. The objects over
// MaxCopySize are found with a listing only for --large-locally.
func (b *submit) generated(ctx context.Context) error {
	g := b.spec.Job.Generate
	if b.spec.Job.Operation == Replicate {
		g.EligibleForReplication = true
	}
	token := jobToken(b.key, "generate "+g.CreatedBefore.UTC().Format("2006-01-02T15:04:05Z"), b.st.attempts(b.key))
	rec := b.newRecord(token, nil, 0, 0)
	b.out.planGenerated(rec)
	if b.spec.DryRun {
		b.out.note("--dry-run: nothing was submitted.")
		return nil
	}
	if err := b.create(ctx, rec); err != nil {
		return err
	}
	b.out.created(rec)
	if !b.spec.LargeLocally {
		b.out.note("Objects over 5 GiB are left out by the generator's size filter: `backfill plan` counts them, --large-locally copies them.")
		return nil
	}
	col, _, err := b.collect(ctx)
	if err != nil {
		return err
	}
	defer col.remove()
	return b.large(ctx, col)
}

// large copies the objects over MaxCopySize with the local engine
// (--large-locally), or lists them in a manifest for the user.
func (b *submit) large(ctx context.Context, col *collector) error {
	if len(col.large) == 0 {
		return nil
	}
	path := b.spec.LargeManifest
	if err := col.writeLarge(path); err != nil {
		return fmt.Errorf("--large-manifest: %w", err)
	}
	n := int64(len(col.large))
	if !b.spec.LargeLocally {
		b.out.largeListed(n, col.lbytes, path, b.spec.Run.From.String(), b.spec.Run.To.String())
		return nil
	}
	b.out.note("Copying the %s over 5 GiB (%s) on this machine, in parts (listed in %s):", report.Plural(n, "object"), report.HumanBytes(col.lbytes), path)
	spec := b.spec.Run
	spec.Plan, spec.Engine.DryRun = false, false
	spec.Source = inventory.Spec{Manifest: path}
	spec.Checkpoint, spec.Reset = b.spec.LargeCheckpoint, false
	spec.Output = report.Options{JSON: b.spec.JSON}
	err := run.Run(ctx, &spec, run.Env{Stdout: b.env.Stdout, Stderr: b.env.Stderr, Control: b.env.Control,
		Connect: func(context.Context, *run.Spec) (*run.Sides, error) { return b.sides, nil }})
	if err != nil && run.ExitCode(err) == exitcode.Failed && !run.Explained(err) {
		return fmt.Errorf("the local copy of the objects over 5 GiB: %w (the job was submitted)", err)
	}
	return err
}

// inventoryAsIs returns the job's manifest when the S3 Inventory given
// with --inventory can be the job's manifest as it is (no filtering was
// needed): a CSV inventory in S3, of current versions only, of the whole
// bucket, whose every row the dry run would copy (nothing skipped or
// failed, none over 5 GiB), and no version ids needed. Otherwise nil:
// backfill's own manifest is uploaded.
func (b *submit) inventoryAsIs(ctx context.Context, got *run.Collected, col *collector, m *manifest) (*ManifestRef, error) {
	s := b.spec
	sum := got.Summary
	if !strings.HasPrefix(got.Delivery, "s3://") || s.Run.From.Prefix != "" || len(s.Run.Include)+len(s.Run.Exclude) > 0 ||
		s.Run.Engine.MinAge > 0 || s.Run.Source.Shard != "" || len(col.large) > 0 || m.versions || m.gone > 0 ||
		sum.SkippedTotal() > 0 || sum.FailedTotal() > 0 || sum.Listed != m.rows {
		return nil, nil
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(got.Delivery, "s3://"), "/")
	out, err := b.src.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("read %s again: %w", got.Delivery, err)
	}
	defer out.Body.Close()
	var inv struct{ FileFormat, FileSchema string }
	if err := json.NewDecoder(out.Body).Decode(&inv); err != nil {
		return nil, fmt.Errorf("%s: %w", got.Delivery, err)
	}
	if inv.FileFormat != "CSV" || strings.Contains(inv.FileSchema, "VersionId") {
		return nil, nil
	}
	b.out.note("The inventory %s needed no filtering: the job reads it as it is (no manifest uploaded).", got.Delivery)
	return &ManifestRef{Format: formatInventory, ARN: objectARN(bucket, key), ETag: aws.ToString(out.ETag)}, nil
}
