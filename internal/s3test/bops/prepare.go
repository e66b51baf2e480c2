package bops

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Job failure codes (JobFailure.FailureCode) for what AWS only finds while a
// job is Preparing or running. AWS documents no codes for these: every code
// below is UNCONFIRMED. Reasons quote AWS's documented wording where there
// is one (cited at the use).
const (
	failManifestRead       = "ManifestReadFailed"
	failManifestETag       = "ManifestETagMismatch"
	failManifestContent    = "InvalidManifestContent"
	failReportBucket       = "ReportBucketNotFound"
	failNoReplicationConf  = "ReplicationConfigurationNotFound"
	failGeneratorSource    = "ManifestGenerationFailed"
	failGeneratorNoKeys    = "ManifestGenerationFoundNoKeys"
	failFailureThreshold   = "TaskFailureThresholdExceeded"
	failReportWrite        = "ReportWriteFailed"
	failGeneratedOutput    = "GeneratedManifestWriteFailed"
	failVersionIDsRequired = "VersionIdsRequired"
)

// failure is a reason to fail a job.
type failure struct{ code, reason string }

func failf(code, format string, args ...any) *failure {
	return &failure{code: code, reason: fmt.Sprintf(format, args...)}
}

// task is one object a job acts on.
type task struct {
	Bucket, Key string
	VersionID   string
	HasVersion  bool // the manifest carries a VersionId column
}

// plan is what Preparing hands to Active.
type plan struct {
	tasks []task
	repl  *replicationConfig // S3ReplicateObject: the source bucket's configuration
}

// prepare does what AWS does while a job is Preparing: check the report
// bucket, read (or generate) the manifest, and check what the operation
// needs of it.
func (s *Server) prepare(j *job) (*plan, *failure) {
	ctx := s.ctx
	if f := s.checkReportBucket(ctx, j.req.Report); f != nil {
		return nil, f
	}
	var tasks []task
	var f *failure
	if j.req.Manifest != nil {
		tasks, f = s.readManifest(ctx, j.req.Manifest)
	} else {
		tasks, f = s.generate(ctx, j)
	}
	if f != nil {
		return nil, f
	}
	p := &plan{tasks: tasks}
	if f := checkOneBucket(tasks); f != nil {
		return nil, f
	}
	if j.operation() == opReplicate {
		if f := s.prepareReplication(ctx, p, j.req.Manifest != nil); f != nil {
			return nil, f
		}
	}
	return p, nil
}

func (s *Server) checkReportBucket(ctx context.Context, r *jobReport) *failure {
	if !*r.Enabled {
		return nil
	}
	arn, _ := parseS3ARN(*r.Bucket, false)
	ok, err := s.bucketExists(ctx, arn.Bucket)
	switch {
	case err != nil:
		return failf(failReportBucket, "Checking the report bucket %s failed: %s", arn.Bucket, describeErr(err).Code)
	case !ok:
		return failf(failReportBucket, "The report bucket %s does not exist", arn.Bucket)
	}
	return nil
}

// checkOneBucket enforces "All source objects must be in one bucket"
// (UG batch-ops-copy-object) for every job.
func checkOneBucket(tasks []task) *failure {
	for _, t := range tasks[min(1, len(tasks)):] {
		if t.Bucket != tasks[0].Bucket {
			return failf(failManifestContent, "The manifest names objects in more than one bucket (%s and %s); all objects of a job must be in one bucket",
				tasks[0].Bucket, t.Bucket)
		}
	}
	return nil
}

// prepareReplication checks that the source bucket has a replication
// configuration (Batch Replication "requires an existing replication
// configuration", UG s3-batch-replication-batch) and, for a user manifest
// on a versioned bucket, that it carries version ids ("you must give version
// IDs"; failing the job rather than its tasks is UNCONFIRMED).
func (s *Server) prepareReplication(ctx context.Context, p *plan, userManifest bool) *failure {
	if len(p.tasks) == 0 {
		return nil
	}
	bucket := p.tasks[0].Bucket
	cfg, ok := s.repl.get(bucket)
	if !ok {
		return failf(failNoReplicationConf, "The source bucket %s has no replication configuration", bucket)
	}
	p.repl = cfg
	if !userManifest || p.tasks[0].HasVersion {
		return nil
	}
	st, err := s.versioning(ctx, bucket)
	if err != nil {
		return failf(failNoReplicationConf, "Reading the versioning of %s failed: %s", bucket, describeErr(err).Code)
	}
	if st == types.BucketVersioningStatusEnabled {
		return failf(failVersionIDsRequired, "The source bucket %s is versioned: a replication manifest must list version ids", bucket)
	}
	return nil
}

// manifestReadFailure words a failed manifest read; the 403 wording is the
// one the troubleshooting guide quotes ("Reading the manifest is
// forbidden: AccessDenied").
func manifestReadFailure(err error) *failure {
	e := describeErr(err)
	if e.Status == http.StatusForbidden {
		return failf(failManifestRead, "Reading the manifest is forbidden: %s", e.Code)
	}
	return failf(failManifestRead, "Reading the manifest failed: %s", e.Code)
}
