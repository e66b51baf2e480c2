package batchops

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/run"
)

// RetrySpec is `batchops retry JOB`: the failed tasks of a finished job
// submitted as a new job, or (Locally) copied with the local engine.
type RetrySpec struct {
	JobRef
	Locally bool
	// Submit is the template of the new job or local copy: its Run has the
	// AWS settings, concurrency and outputs, and its other fields (state,
	// --yes, large objects, prices) are used as they are. The job's own
	// settings (operation, source, destination, role, report, copy
	// options) come from the state file's record of the job, or else from
	// S3's description of it.
	Submit SubmitSpec
}

// Retry reads the job's completion report and submits its failed tasks
// again: through the same dry run as a submit (a task whose object is in
// the replica by now is skipped, objects over 5 GiB are kept out), as a
// new job with the old one's settings, or copied here with --locally.
func Retry(ctx context.Context, s *RetrySpec, env Env) error {
	c, err := connectJob(ctx, s.JobRef)
	if err != nil {
		return err
	}
	d, err := describe(ctx, c, s.ID)
	if err != nil {
		return err
	}
	url, err := completionURL(d)
	if err != nil {
		return err
	}
	api, err := connectS3(ctx, s.Submit.Run.AWS, c.region)
	if err != nil {
		return err
	}
	comp, err := readCompletion(ctx, api, url, 0, nil)
	if err != nil {
		return err
	}
	out := newPrinter(env.Stdout, s.JSON)
	if comp.Failed == 0 {
		out.note("Job %s has no failed task: nothing to retry.", s.ID)
		return nil
	}
	st, err := loadState(s.Submit.State)
	if err != nil {
		return err
	}
	job, err := retryJob(ctx, d, comp.Bucket, st.byJob(s.ID), api)
	if err != nil {
		return err
	}
	out.note("Retrying the %d failed tasks of job %s (%s)%s.", comp.Failed, s.ID, counts(comp.ByCode), map[bool]string{true: " on this machine"}[s.Locally])
	spec := s.Submit
	spec.Job, spec.Source = job, "retry of job "+s.ID
	spec.Account.ID, spec.Account.Region = c.account, c.region
	spec.Run.From, spec.Run.To = job.from(), job.to()
	spec.Run.Source = inventory.Spec{CompletionReport: url}
	if s.Locally {
		return retryLocally(ctx, &spec, env)
	}
	return Submit(ctx, &spec, env)
}

// retryJob is the settings of the job to retry: the state file's record
// of it when this machine submitted it, else S3's description of it (the
// source bucket taken from the report, the whole bucket as the source).
func retryJob(ctx context.Context, d *types.JobDescriptor, srcBucket string, rec *Record, api replicationAPI) (JobSpec, error) {
	if rec != nil {
		j := rec.Job
		j.Generate = nil
		return j, nil
	}
	j := JobSpec{RoleARN: aws.ToString(d.RoleArn), Priority: d.Priority, From: "s3://" + srcBucket + "/"}
	r := d.Report
	j.ReportScope = string(r.ReportScope)
	if j.ReportScope == "" {
		j.ReportScope = ScopeAll
	}
	j.ReportTo = "s3://" + strings.TrimPrefix(aws.ToString(r.Bucket), "arn:aws:s3:::") + "/" + aws.ToString(r.Prefix)
	j.ManifestTo = strings.TrimSuffix(j.ReportTo, "/") + "/manifests/"
	if m := d.Manifest; m != nil && m.Location != nil {
		if b, k, ok := strings.Cut(strings.TrimPrefix(aws.ToString(m.Location.ObjectArn), "arn:aws:s3:::"), "/"); ok {
			j.ManifestTo = "s3://" + b + "/" + strings.TrimPrefix(path.Dir(k)+"/", "./")
		}
	}
	switch op := d.Operation; {
	case op != nil && op.S3PutObjectCopy != nil:
		j.Operation, j.Copy = Copy, copyOptionsOf(op.S3PutObjectCopy)
		j.To = "s3://" + strings.TrimPrefix(aws.ToString(op.S3PutObjectCopy.TargetResource), "arn:aws:s3:::") + "/" + aws.ToString(op.S3PutObjectCopy.TargetKeyPrefix)
	case op != nil && op.S3ReplicateObject != nil:
		j.Operation = Replicate
		from, _ := s3url.Parse(j.From)
		cov := ReplicationCoverage(ctx, api, from)
		if cov.State != "covers" {
			return j, &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("retry of a replicate job: %s", cov.Note)}
		}
		j.To = "s3://" + cov.Dest + "/"
	default:
		return j, &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("job %s is not a copy or replicate job: backfill retries only those", aws.ToString(d.JobId))}
	}
	return j, nil
}

// copyOptionsOf reads a copy job's options back.
func copyOptionsOf(op *types.S3CopyObjectOperation) CopyOptions {
	o := CopyOptions{StorageClass: string(op.StorageClass), ChecksumAlgorithm: string(op.ChecksumAlgorithm),
		ACL: string(op.CannedAccessControlList), BucketKey: op.BucketKeyEnabled, SSEKMSKeyID: aws.ToString(op.SSEAwsKmsKeyId)}
	if m := op.NewObjectMetadata; m != nil {
		switch m.SSEAlgorithm {
		case types.S3SSEAlgorithmAes256:
			o.SSE = "AES256"
		case types.S3SSEAlgorithmKms:
			o.SSE = "aws:kms"
		}
	}
	return o
}

// retryLocally copies the failed tasks with the local engine, with the
// job's copy options (a replicate job's failures are copied, not
// replicated: the copies are not REPLICAs).
func retryLocally(ctx context.Context, s *SubmitSpec, env Env) error {
	o := s.Job.Copy
	e := &s.Run.Engine
	e.StorageClass, e.SSE, e.SSEKMSKeyID, e.BucketKey, e.ACL = o.StorageClass, o.SSE, o.SSEKMSKeyID, o.BucketKey, o.ACL
	if s.Job.Operation == Replicate {
		newPrinter(env.Stdout, s.JSON).note("--locally copies a replicate job's failed objects with CopyObject: the copies get new version ids and no REPLICA status.")
	}
	return run.Run(ctx, &s.Run, run.Env{Stdout: env.Stdout, Stderr: env.Stderr, Control: env.Control})
}
