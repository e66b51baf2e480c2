package batchops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/run"
)

// Env is where a command writes, and how a signal handler stops it.
type Env struct {
	Stdout, Stderr io.Writer
	Control        *run.Control
}

// submit is one Submit from start to end.
type submit struct {
	spec  *SubmitSpec
	env   Env
	out   *printer
	sides *run.Sides
	src   bucketAPI // the source side
	job   bucketAPI // the side in the job's region (report, manifest)
	ctl   *control
	st    *state
	key   string
	// versioned: the source bucket has versioning on (replicate jobs
	// then need version ids in their manifest).
	versioned bool
}

// Submit makes one S3 Batch Operations job from s, in this order:
//
//	validate the spec                       usage errors: exit 2, nothing made
//	connect both sides, S3 Control, state   the account from STS unless given
//	an earlier submit of the same command?  its job is reported, none made
//	preflight                               report and manifest buckets exist;
//	                                        a replicate job's source is covered
//	read the source as a copy's dry run     the same filters as copy
//	write, check and upload the manifest    objects over 5 GiB kept out
//	record the request, CreateJob, record the job id
//	copy the objects over 5 GiB locally (--large-locally) or list them
//
// A retried submit (after a timeout, Ctrl-C) finds the job of the first
// one and never makes a second (see doc.go).
func Submit(ctx context.Context, s *SubmitSpec, env Env) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b := &submit{spec: s, env: env, out: newPrinter(env.Stdout, s.JSON)}
	if err := b.connect(ctx); err != nil {
		return err
	}
	if done, err := b.resume(ctx); done || err != nil {
		return err
	}
	if err := b.preflight(ctx); err != nil {
		return err
	}
	if s.Job.Generate != nil {
		return b.generated(ctx)
	}
	return b.fromSource(ctx)
}

// connect makes the clients of both sides (as a copy does), the S3
// Control client in the job's region, and reads the state file.
func (b *submit) connect(ctx context.Context) error {
	s := b.spec
	sides, err := run.Connect(ctx, &s.Run)
	if err != nil {
		return err
	}
	b.sides = sides
	src, ok1 := sides.Source.(bucketAPI)
	dst, ok2 := sides.Dest.(bucketAPI)
	if !ok1 || !ok2 {
		return errors.New("batchops: the S3 clients cannot make bucket requests")
	}
	b.src, b.job = src, dst
	acct := s.Account
	if acct.Region == "" {
		acct.Region = sides.DestRegion // copy jobs run in the destination's region
	}
	if s.Job.Operation == Replicate {
		b.job = src
		if s.Account.Region == "" {
			acct.Region = sides.SourceRegion // replication jobs in the source's
		}
	}
	if b.ctl, err = connectControl(ctx, acct); err != nil {
		return err
	}
	if b.st, err = loadState(s.State); err != nil {
		return err
	}
	b.key = submitKey(s, b.ctl)
	return nil
}

// resume looks for an earlier submit of the same command. Its job, while
// it has not ended, is this submit's answer; a request that may have made
// a job (no id recorded) is looked for by its description, else sent
// again as it was. done says there is nothing more to do.
func (b *submit) resume(ctx context.Context) (done bool, err error) {
	rec := b.st.last(b.key)
	if rec == nil {
		return false, nil
	}
	if rec.JobID == "" {
		return true, b.finishPending(ctx, rec)
	}
	d, err := describe(ctx, b.ctl, rec.JobID)
	if isNoSuchJob(err) {
		b.out.note("The job %s of an earlier submit of this command is no longer known to S3 (jobs are kept about 30 days): submitting again.", rec.JobID)
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if terminal(d.Status) {
		b.out.note("The last job of this command, %s, ended %s: submitting again.", rec.JobID, d.Status)
		return false, nil
	}
	b.out.found(rec, string(d.Status), "an earlier submit of this command made it; nothing new was submitted")
	if b.spec.Confirm && d.Status == "Suspended" {
		return true, confirmJob(ctx, b.ctl, rec.JobID, b.out)
	}
	return true, nil
}

// finishPending ends a submit whose CreateJob got no answer: the job it
// may have made is looked for (ListJobs, by the token in its
// description); if there is none, the same request is sent again with the
// same token, which S3 answers with the same job if it made one.
func (b *submit) finishPending(ctx context.Context, rec *Record) error {
	id, status, err := findByTag(ctx, b.ctl, tag(rec.Token))
	if err != nil {
		return err
	}
	if id != "" {
		rec.JobID = id
		if err := b.st.put(*rec); err != nil {
			return err
		}
		b.out.found(rec, status, "an earlier submit of this command made it (its answer was lost); nothing new was submitted")
		return b.confirmIfAsked(ctx, rec.JobID)
	}
	b.out.note("An earlier submit of this command got no answer to CreateJob; sending the same request (token %s) again.", rec.Token[:16])
	if err := b.create(ctx, rec); err != nil {
		return err
	}
	return b.confirmIfAsked(ctx, rec.JobID)
}

func (b *submit) confirmIfAsked(ctx context.Context, id string) error {
	if !b.spec.Confirm {
		return nil
	}
	return confirmJob(ctx, b.ctl, id, b.out)
}

// preflight checks before reading the source what S3 would only find
// while preparing the job: the report and manifest buckets exist, and a
// replicate job's source has a replication rule covering it.
func (b *submit) preflight(ctx context.Context) error {
	j := b.spec.Job
	for _, loc := range [][2]string{{"--report-to", j.ReportTo}, {"--manifest-to", j.ManifestTo}} {
		u, _ := s3url.Parse(loc[1])
		if err := bucketExists(ctx, b.job, u.Bucket); err != nil {
			return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("%s %s: %w; nothing was submitted", loc[0], loc[1], err)}
		}
	}
	if j.Operation != Replicate {
		return nil
	}
	from, to := j.from(), j.to()
	if err := checkReplication(ctx, b.src, from, to); err != nil {
		return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("%w; nothing was submitted", err)}
	}
	v, err := b.src.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(from.Bucket)})
	if err != nil {
		return fmt.Errorf("read the versioning of %s: %w", from.Bucket, err)
	}
	b.versioned = v.Status == s3types.BucketVersioningStatusEnabled
	return nil
}

// bucketExists asks S3 whether bucket exists and can be reached.
func bucketExists(ctx context.Context, api bucketAPI, bucket string) error {
	_, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	switch code := s3err.Code(err); code {
	case "":
		return nil
	case "NoSuchBucket", "NotFound", "HTTP404":
		return fmt.Errorf("bucket %q does not exist (S3 would fail the job while preparing it)", bucket)
	case "AccessDenied", "Forbidden", "HTTP403":
		return fmt.Errorf("bucket %q cannot be reached: access denied", bucket)
	}
	return fmt.Errorf("bucket %q: %w", bucket, err)
}

// create records the request, sends CreateJob and records the job id. A
// request S3 refused outright (a 4xx answer) is forgotten, so the next
// submit makes a new one; one without an answer stays recorded, so the
// next submit looks for its job.
func (b *submit) create(ctx context.Context, rec *Record) error {
	if err := b.st.put(*rec); err != nil {
		return err
	}
	out, err := b.ctl.api.CreateJob(ctx, createJobInput(rec))
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorFault() == smithy.FaultClient {
			if derr := b.st.drop(rec.Token); derr != nil {
				err = fmt.Errorf("%w (and the state file: %v)", err, derr)
			}
			return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("CreateJob refused: %w; no job was made", err)}
		}
		return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("CreateJob: %w; it may or may not have made a job: run the same command again, it finds the job or sends the same request (token %s)", err, rec.Token[:16])}
	}
	rec.JobID = aws.ToString(out.JobId)
	return b.st.put(*rec)
}

// newRecord is the record of a job about to be created.
func (b *submit) newRecord(token string, m *ManifestRef, objects, bytes int64) *Record {
	return &Record{Key: b.key, Token: token, Attempt: b.st.attempts(b.key), Account: b.ctl.account, Region: b.ctl.region,
		Endpoint: b.ctl.endpoint, Job: b.spec.Job, Source: b.spec.Source, Manifest: m, Description: description(token, b.spec.Job),
		ConfirmationRequired: !b.spec.Confirm, Objects: objects, Bytes: bytes, Created: time.Now().UTC()}
}
