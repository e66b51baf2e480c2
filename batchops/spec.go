package batchops

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/run"
)

// Operation is what a job does to each object.
type Operation string

// Operations.
const (
	Copy      Operation = "copy"      // S3PutObjectCopy
	Replicate Operation = "replicate" // S3ReplicateObject (Batch Replication)
)

// MaxCopySize is the largest object a copy job takes: CopyObject's limit,
// 5 GiB ("The specified copy source is larger than the maximum allowable
// size for a copy source: 5368709120"). AWS documents "objects up to 5 GB"
// for copy jobs. Larger objects never go into a job: they are copied
// locally, in parts.
const MaxCopySize int64 = 5 << 30

// Report scopes (--report-scope).
const (
	ScopeAll    = string(types.JobReportScopeAllTasks)
	ScopeFailed = string(types.JobReportScopeFailedTasksOnly)
)

// CopyOptions are what an S3PutObjectCopy job sets on every copy. The
// metadata and tagging are always copied from the source (MetadataDirective
// COPY, no NewObjectTagging).
type CopyOptions struct {
	StorageClass      string `json:"storage_class,omitempty"`
	SSE               string `json:"sse,omitempty"` // "", AES256 or aws:kms
	SSEKMSKeyID       string `json:"sse_kms_key_id,omitempty"`
	BucketKey         bool   `json:"bucket_key,omitempty"`
	ChecksumAlgorithm string `json:"checksum_algorithm,omitempty"`
	ACL               string `json:"acl,omitempty"`
}

// Generator is a ManifestGenerator's filter (--generate): S3 lists the
// source bucket itself when the job is prepared.
type Generator struct {
	// CreatedBefore is always set (the submit time less --min-age unless
	// given), so a generated job never takes objects written after it.
	CreatedBefore time.Time `json:"created_before"`
	// CreatedBeforeDefault says CreatedBefore was not given but defaulted
	// (it then stays out of the submit's identity).
	CreatedBeforeDefault bool       `json:"created_before_default,omitempty"`
	CreatedAfter         *time.Time `json:"created_after,omitempty"`
	// MinSize and MaxSize bound the object sizes, inclusive (0 = none);
	// MaxSize is at most MaxCopySize.
	MinSize int64 `json:"min_size,omitempty"`
	MaxSize int64 `json:"max_size"`
	// StorageClasses, when set, are the only classes taken.
	StorageClasses []string `json:"storage_classes,omitempty"`
	// ReplicationStatuses are the replication statuses taken (default
	// NONE and FAILED: never replicated, or failed).
	ReplicationStatuses []string `json:"replication_statuses"`
	// EligibleForReplication keeps only objects a replication rule covers
	// (replicate jobs).
	EligibleForReplication bool `json:"eligible_for_replication,omitempty"`
}

// JobSpec is a job's logical content: what it does, from where to where,
// with which role, options and report. Its JSON is part of the job's
// identity (the ClientRequestToken) and is kept in the state file.
type JobSpec struct {
	Operation   Operation   `json:"operation"`
	From        string      `json:"from"`
	To          string      `json:"to"`
	RoleARN     string      `json:"role_arn"`
	ReportTo    string      `json:"report_to"`
	ReportScope string      `json:"report_scope"`
	ManifestTo  string      `json:"manifest_to"`
	Copy        CopyOptions `json:"copy,omitzero"`
	Generate    *Generator  `json:"generate,omitempty"`
	Priority    int32       `json:"priority"`
}

var (
	roleARNRe  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	accountRe  = regexp.MustCompile(`^\d{12}$`)
	kmsARNRe   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$`)
	statusList = []string{"NONE", "FAILED", "COMPLETED", "REPLICA"}
)

// validate checks a job spec without AWS: every error names the flag.
func (j *JobSpec) validate() error {
	switch j.Operation {
	case Copy, Replicate:
	default:
		return fmt.Errorf("--operation %q: must be copy or replicate", j.Operation)
	}
	if err := checkRoleARN(j.RoleARN); err != nil {
		return err
	}
	if j.ReportTo == "" {
		return errors.New("--report-to s3://BUCKET/PREFIX is required: where S3 writes the job's completion report")
	}
	for _, loc := range [][2]string{{"--report-to", j.ReportTo}, {"--manifest-to", j.ManifestTo}} { // in this order: --manifest-to defaults to a folder of --report-to
		if _, err := s3url.Parse(loc[1]); err != nil {
			return fmt.Errorf("%s: %w", loc[0], err)
		}
	}
	if err := outsideData(j.from(), j.to(), j.ReportTo, j.ManifestTo); err != nil {
		return err
	}
	if j.ReportScope != ScopeAll && j.ReportScope != ScopeFailed {
		return fmt.Errorf("--report-scope %q: must be all or failed", j.ReportScope)
	}
	if j.Priority < 0 {
		return fmt.Errorf("--priority %d: must be 0 or more", j.Priority)
	}
	if j.Operation == Replicate {
		if j.Copy != (CopyOptions{}) {
			return errors.New("--storage-class, --sse, --sse-kms-key-id, --bucket-key, --checksum-algorithm and --acl go with --operation copy: a replicate job takes them from the replication configuration")
		}
		return j.checkReplicateLocations()
	}
	if _, err := TargetKeyPrefix(j.from(), j.to()); err != nil {
		return err
	}
	return j.Copy.validate()
}

func (j *JobSpec) from() s3url.URL { u, _ := s3url.Parse(j.From); return u }
func (j *JobSpec) to() s3url.URL   { u, _ := s3url.Parse(j.To); return u }

func (j *JobSpec) checkReplicateLocations() error {
	from, to := j.from(), j.to()
	if from.Bucket == to.Bucket {
		return fmt.Errorf("--to %s: a replicate job copies into the replication configuration's destination bucket, not the source", j.To)
	}
	if from.Prefix != to.Prefix {
		return fmt.Errorf("--from %s and --to %s: replication keeps each key as it is, so the two prefixes must be the same", j.From, j.To)
	}
	return nil
}

func checkRoleARN(arn string) error {
	switch {
	case arn == "":
		return errors.New("--role-arn ARN is required: the IAM role the job runs as (`backfill batchops policy --create-role NAME` makes one)")
	case !roleARNRe.MatchString(arn):
		return fmt.Errorf("--role-arn %q: not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", arn)
	}
	return nil
}

func (o CopyOptions) validate() error {
	if o.StorageClass != "" && !slices.Contains(types.S3StorageClass("").Values(), types.S3StorageClass(o.StorageClass)) {
		return fmt.Errorf("--storage-class %q: a copy job takes %s", o.StorageClass, join(types.S3StorageClass("").Values()))
	}
	switch o.SSE {
	case "", "AES256", "aws:kms":
	default:
		return fmt.Errorf("--sse %q: a copy job takes AES256 or aws:kms", o.SSE)
	}
	if o.SSEKMSKeyID != "" && o.SSE != "aws:kms" {
		return errors.New("--sse-kms-key-id needs --sse aws:kms")
	}
	if o.BucketKey && o.SSE != "aws:kms" {
		return errors.New("--bucket-key needs --sse aws:kms")
	}
	if o.ChecksumAlgorithm != "" && !slices.Contains(types.S3ChecksumAlgorithm("").Values(), types.S3ChecksumAlgorithm(o.ChecksumAlgorithm)) {
		return fmt.Errorf("--checksum-algorithm %q: a copy job takes %s", o.ChecksumAlgorithm, join(types.S3ChecksumAlgorithm("").Values()))
	}
	if o.ACL != "" && !slices.Contains(types.S3CannedAccessControlList("").Values(), types.S3CannedAccessControlList(o.ACL)) {
		return fmt.Errorf("--acl %q: a copy job takes %s", o.ACL, join(types.S3CannedAccessControlList("").Values()))
	}
	return nil
}

func join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// TargetKeyPrefix is the TargetKeyPrefix that puts each object of from
// where `backfill copy` would, at to's prefix + the key relative to
// from's. A copy job writes TargetKeyPrefix + "/" + the whole source key
// (so a prefix of from cannot be dropped): to's prefix must be from's, or
// end in it. The prefix is sent without a trailing "/" (whether S3 adds a
// second one after a prefix ending in "/" is UNCONFIRMED).
func TargetKeyPrefix(from, to s3url.URL) (string, error) {
	head, ok := strings.CutSuffix(to.Prefix, from.Prefix)
	if !ok || (head != "" && !strings.HasSuffix(head, "/")) {
		return "", fmt.Errorf("--from %s --to %s: a copy job writes each object at the destination under its whole source key (TargetKeyPrefix/KEY), so the destination prefix must be the source's (%s) or end in it (say s3://%s/backup/%s)",
			from, to, "s3://"+to.Bucket+"/"+from.Prefix, to.Bucket, from.Prefix)
	}
	return strings.TrimSuffix(head, "/"), nil
}

// SubmitSpec describes one `batchops submit` (or a retry as a new job).
type SubmitSpec struct {
	Job JobSpec
	// Run is where the objects come from and how they are filtered: the
	// same description as `backfill copy`'s (its From and To are the
	// job's). Its engine options also serve the local copy of large
	// objects.
	Run run.Spec
	// Source names what the user gave as the source, for the submit's
	// identity ("listing", "inventory s3://...", ...).
	Source string
	// Account is where the job goes (its region is the destination's for
	// a copy, the source's for replication, unless set).
	Account Account
	// Confirm (--yes) creates the job without ConfirmationRequired.
	Confirm bool
	// LargeLocally copies the objects over MaxCopySize with the local
	// engine after the job is created; either way they are listed in
	// LargeManifest. LargeCheckpoint is that copy's checkpoint ("":
	// backfill-large-TOKEN.db beside the state file).
	LargeLocally    bool
	LargeManifest   string
	LargeCheckpoint string
	// State is the local state file (0600) where submits are recorded.
	State string
	// DryRun prints the plan and creates nothing (no upload, no job, no
	// confirmation, no local copy): an earlier submit's job is only
	// reported.
	DryRun bool
	// UploadManifest uploads backfill's own manifest even when an S3
	// Inventory could be the job's manifest as it is (whose delivery the
	// job's role must then be able to read).
	UploadManifest bool
	// JSON prints machine-readable output.
	JSON bool
	// Prices price the plan (cost.Default, or a --price-file over it).
	Prices cost.Prices
}

// Validate checks the spec without AWS; its errors are usage errors
// (exit 2), and nothing is created.
func (s *SubmitSpec) Validate() error {
	s.Job.From, s.Job.To = s.Run.From.String(), s.Run.To.String()
	if s.Job.ManifestTo == "" && s.Job.ReportTo != "" {
		s.Job.ManifestTo = strings.TrimSuffix(s.Job.ReportTo, "/") + "/manifests/"
	}
	if err := s.Job.validate(); err != nil {
		return run.Usagef("%w", err)
	}
	if s.Account.ID != "" && !accountRe.MatchString(s.Account.ID) {
		return run.Usagef("--account-id %q: an AWS account id is 12 digits", s.Account.ID)
	}
	if err := s.Run.Validate(); err != nil {
		return err
	}
	if s.Run.Source.AllVersions {
		return run.Usagef("--all-versions: a Batch Operations job runs its tasks in no particular order, so the versions of a key could land out of order; copy versions with `backfill copy --all-versions`")
	}
	if s.Job.Generate != nil {
		if err := s.validateGenerate(); err != nil {
			return err
		}
	}
	if s.State == "" {
		return run.Usagef("--state needs a path")
	}
	return nil
}

func (s *SubmitSpec) validateGenerate() error {
	src := s.Run.Source
	if src.Inventory != "" || src.Manifest != "" || src.CompletionReport != "" || src.RetryFailed {
		return run.Usagef("--generate is a source of its own (S3 lists the bucket when it prepares the job): it cannot go with --inventory, --manifest, --missing-manifest, --completion-report or --checkpoint --failed")
	}
	if len(s.Run.Include) > 0 || len(s.Run.Exclude) > 0 {
		return run.Usagef("--include and --exclude do not go with --generate: a manifest generator filters by prefix, size, storage class, creation time and replication status only")
	}
	g := s.Job.Generate
	for _, st := range g.ReplicationStatuses {
		if !slices.Contains(statusList, st) {
			return run.Usagef("--replication-status %q: a generator takes %s", st, strings.Join(statusList, ", "))
		}
	}
	for _, c := range g.StorageClasses {
		if !slices.Contains(types.S3StorageClass("").Values(), types.S3StorageClass(c)) {
			return run.Usagef("--generate-storage-class %q: a generator takes %s", c, join(types.S3StorageClass("").Values()))
		}
	}
	if g.MinSize < 0 || g.MaxSize < 0 || g.MaxSize > 0 && g.MinSize > g.MaxSize {
		return run.Usagef("--min-size %d and --max-size %d: not a size range", g.MinSize, g.MaxSize)
	}
	if g.MaxSize == 0 || g.MaxSize > MaxCopySize {
		g.MaxSize = MaxCopySize // objects over 5 GiB never go into a job
	}
	if s.Job.Operation == Copy && s.Job.Copy.StorageClass == "" {
		if len(g.StorageClasses) != 1 {
			return run.Usagef("--generate with --operation copy: a copy job gives all its copies one storage class, and S3 would store them STANDARD: give --storage-class (or --generate-storage-class CLASS, one class per job)")
		}
		s.Job.Copy.StorageClass = g.StorageClasses[0]
	}
	if g.CreatedAfter != nil && !g.CreatedAfter.Before(g.CreatedBefore) {
		return run.Usagef("--created-after %s is not before the created-before time %s", g.CreatedAfter.Format(time.RFC3339), g.CreatedBefore.Format(time.RFC3339))
	}
	return nil
}

// outsideData refuses a report or manifest folder that overlaps the source
// or the destination: the job's own files would be listed and copied as
// media by the next run, or found as extras by verify, and a grant to
// write the copies would cover them. An empty location is not checked.
func outsideData(from, to s3url.URL, reportTo, manifestTo string) error {
	for _, loc := range [][2]string{{"--report-to", reportTo}, {"--manifest-to", manifestTo}} {
		u, err := s3url.Parse(loc[1])
		if err != nil {
			continue // named by the caller's own check
		}
		for _, side := range []struct {
			flag string
			u    s3url.URL
		}{{"--from", from}, {"--to", to}} {
			if side.u.Bucket != "" && s3url.Overlaps(u, side.u) {
				return fmt.Errorf("%s %s overlaps %s %s: the job's reports and manifests would be taken for media (listed, copied, verified); put them under a prefix of their own", loc[0], loc[1], side.flag, side.u)
			}
		}
	}
	return nil
}
