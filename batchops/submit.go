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
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
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
	// prior is the token of the newest record of key when the submit
	// looked ("" none): another record appearing since is another
	// submit's job.
	prior string
	// versioned: the source bucket has versioning on (replicate jobs
	// then need version ids in their manifest).
	versioned bool
}

// Submit makes one S3 Batch Operations job from s, in this order:
//
//	validate the spec                       usage errors: exit 2, nothing made
//	connect both sides, S3 Control, state   each side in its bucket's region
//	                                        (HeadBucket), the job in the
//	                                        destination's (copy) or the
//	                                        source's (replicate); the account
//	                                        from STS unless given
//	an earlier submit of the same command?  its job is reported, none made;
//	                                        its large objects copied if not yet
//	                                        (--dry-run: only reported)
//	preflight                               report and manifest buckets exist;
//	                                        a replicate job's source is covered
//	read the source as a copy's dry run     the same filters as copy
//	write, check and upload the manifest    objects over 5 GiB kept out, listed
//	record the request, CreateJob, record the job id
//	copy the objects over 5 GiB locally (--large-locally) or list them;
//	the record says when that copy finished
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
	b.out.region = b.ctl.region
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

// Seams for tests: how a submit makes its S3 clients and its S3 Control
// client.
var (
	connectSides = run.Connect
	dialControl  = connectControl
)

// connect makes the clients of both sides (as a copy does), each in the
// region S3 says its bucket is in, the S3 Control client in the job's
// region (the destination bucket's for a copy, the source bucket's for
// replication: S3-FACTS 1.1), and reads the state file.
func (b *submit) connect(ctx context.Context) error {
	s := b.spec
	sides, err := connectSides(ctx, &s.Run)
	if err != nil {
		return err
	}
	if sides, err = b.bucketRegions(ctx, sides); err != nil {
		return err
	}
	b.sides = sides
	src, ok1 := sides.Source.(bucketAPI)
	dst, ok2 := sides.Dest.(bucketAPI)
	if !ok1 || !ok2 {
		return errors.New("batchops: the S3 clients cannot make bucket requests")
	}
	b.src, b.job = src, dst
	region, bucket := sides.DestRegion, s.Run.To.Bucket
	if s.Job.Operation == Replicate {
		b.job, region, bucket = src, sides.SourceRegion, s.Run.From.Bucket
	}
	acct := s.Account
	if acct.Region != "" && acct.Region != region {
		return run.Usagef("the job's region is %s, where bucket %s is (S3-FACTS 1.1), not %s; nothing was submitted", region, bucket, acct.Region)
	}
	acct.Region = region
	if b.ctl, err = dialControl(ctx, acct); err != nil {
		return err
	}
	if b.st, err = loadState(s.State); err != nil {
		return err
	}
	b.key = submitKey(s, b.ctl)
	return nil
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

// create records the request, sends CreateJob and records the job id,
// holding the state file's lock. A request S3 refused outright (a 4xx
// answer) is forgotten, so the next submit makes a new one; one without
// an answer stays recorded, so the next submit looks for its job.
//
// Before a new request it reads the state file again: a record of this
// command another submit wrote since this one looked is its job, and no
// second one is made. And it looks for a job carrying the token already
// (ListJobs): one that has not ended is this submit's; one that ended
// belongs to an earlier submit whose record is lost (a state file
// deleted), and the token moves to the next attempt, so S3 does not
// answer with that old job.
func (b *submit) create(ctx context.Context, rec *Record) error {
	return b.st.locked(func() error {
		if rec.JobID == "" && b.st.byToken(rec.Token) == nil {
			if done, err := b.fresh(ctx, rec); done || err != nil {
				return err
			}
		}
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
	})
}

// make creates rec's job and says so; a job create found made already
// (errFound) is reported as found.
func (b *submit) make(ctx context.Context, rec *Record) error {
	err := b.create(ctx, rec)
	switch {
	case errors.Is(err, errFound):
		b.out.found(rec, "", "a submit of this command made it (another one since this one looked, or one whose record the state file lost); nothing new was submitted")
		return nil
	case err != nil:
		return err
	}
	b.out.created(rec)
	return nil
}

// errFound says create found the job of this submit made already (by
// another submit, or one whose record is lost): rec names it.
var errFound = errors.New("the job was made already")

// fresh checks, before a new CreateJob, that no other submit of this
// command recorded a job since this one looked, and picks the attempt
// whose token no job carries yet. done: rec is an existing job.
func (b *submit) fresh(ctx context.Context, rec *Record) (done bool, err error) {
	if err := b.st.reload(); err != nil {
		return false, err
	}
	if other := b.st.last(b.key); other != nil && other.Token != b.prior {
		*rec = *other
		return true, errFound
	}
	for {
		id, status, err := findByTag(ctx, b.ctl, tag(rec.Token))
		switch {
		case err != nil:
			return false, err
		case id == "":
			return false, nil
		case !terminal(types.JobStatus(status)):
			rec.JobID = id
			if err := b.st.put(*rec); err != nil {
				return true, err
			}
			return true, errFound
		}
		b.out.note("Job %s carries this submit's token and ended %s: an earlier submit of the same objects made it, and the state file has no record of it. Submitting as the next attempt.", id, status)
		rec.Attempt++
		rec.Token = jobToken(b.key, rec.Digest, rec.Attempt)
		rec.Description = description(rec.Token, rec.Job)
	}
}

// newRecord is the record of a job about to be created: its token is the
// submit's key, digest and attempt (jobToken).
func (b *submit) newRecord(digest string, m *ManifestRef, objects, bytes int64) *Record {
	attempt := b.st.attempts(b.key)
	token := jobToken(b.key, digest, attempt)
	return &Record{Key: b.key, Token: token, Digest: digest, Attempt: attempt, Account: b.ctl.account, Region: b.ctl.region,
		Endpoint: b.ctl.endpoint, Job: b.spec.Job, Source: b.spec.Source, Manifest: m, Description: description(token, b.spec.Job),
		ConfirmationRequired: !b.spec.Confirm, Objects: objects, Bytes: bytes, Created: time.Now().UTC(), AWS: b.awsSettings()}
}

// awsSettings are the settings the state file keeps: the sides' regions
// as S3 said they are.
func (b *submit) awsSettings() AWSSettings {
	r := b.spec.Run
	return AWSSettings{Profile: r.AWS.Profile, Endpoint: r.AWS.Endpoint,
		Source: SideSettings{Profile: r.SrcSide.Profile, Region: b.sides.SourceRegion, Endpoint: r.SrcSide.Endpoint},
		Dest:   SideSettings{Profile: r.DstSide.Profile, Region: b.sides.DestRegion, Endpoint: r.DstSide.Endpoint}}
}
