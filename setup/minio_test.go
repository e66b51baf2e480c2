package setup

// These tests run apply and check against real replication: MinIO, with
// the replica registered as a replication target by mc (whose ARN MinIO
// takes as the rule's role), and real REPLICA/COMPLETED statuses and
// delays for the canary.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// minioEnv is a primary and a replica bucket on MinIO (one server, or two
// in different regions), the target registered with mc (its own rule
// disabled, so the rule that replicates is the one setup puts), and a Spec
// for it.
type minioEnv struct {
	t                *testing.T
	primary, replica *s3test.MinIO
	mc               *s3test.MC
	clients          *Clients
	spec             Spec
}

func newMinIOEnv(t *testing.T, primary, replica *s3test.MinIO) *minioEnv {
	t.Helper()
	ctx := t.Context()
	e := &minioEnv{t: t, primary: primary, replica: replica, mc: s3test.MCFor(t)}
	src, dst := primary.NewBucket(t, true), replica.NewBucket(t, true)
	arn, err := e.mc.AddReplication(ctx, primary, src, replica, dst, s3test.ReplicationDisabled())
	if err != nil {
		t.Fatal(err)
	}
	e.clients = &Clients{Primary: primary.Client(), Replica: replica.Client(), PrimaryEndpoint: primary.Endpoint, ReplicaEndpoint: replica.Endpoint}
	e.spec = Spec{Primary: s3url.URL{Bucket: src}, Replica: s3url.URL{Bucket: dst}, ReplicaRegion: replica.Region,
		RoleARN: arn, NoDefaultEncryption: true, Prefix: "media/", Timeout: 30 * time.Second}
	return e
}

// apply runs setup apply and wants step 4 to have been the one change
// (the buckets, versioning and target were made by the harness).
func (e *minioEnv) apply() {
	e.t.Helper()
	p, err := Apply(e.t.Context(), e.spec, e.clients)
	if err != nil {
		dumpPlan(e.t, p)
		e.t.Fatal(err)
	}
	if got := verdicts(p); !slices.Equal(got, []Verdict{OK, OK, OK, Change, Skip, Skip}) {
		dumpPlan(e.t, p)
		e.t.Errorf("apply on MinIO: %v", got)
	}
	if st := step(p, 3); !strings.Contains(strings.Join(st.Notes, " "), minioRoleNote) {
		e.t.Errorf("role step on MinIO: %+v", st)
	}
}

func (e *minioEnv) check() *Report {
	e.t.Helper()
	r, err := Check(e.t.Context(), e.spec, e.clients)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	PrintCheck(&b, r)
	e.t.Log("\n" + b.String())
	return r
}

// leftovers lists what remains under the canary folder on either side.
func (e *minioEnv) leftovers() []string {
	e.t.Helper()
	var left []string
	for _, side := range []struct {
		c      *s3.Client
		bucket string
	}{{e.primary.Client(), e.spec.Primary.Bucket}, {e.replica.Client(), e.spec.Replica.Bucket}} {
		out, err := side.c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &side.bucket,
			Prefix: aws.String(e.spec.Prefix + CanaryDir)})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, v := range out.Versions {
			left = append(left, side.bucket+"/"+aws.ToString(v.Key))
		}
		for _, m := range out.DeleteMarkers {
			left = append(left, side.bucket+"/"+aws.ToString(m.Key)+" (delete marker)")
		}
	}
	return left
}

// TestCheckMinIOPasses: both buckets on one server. After apply, every
// line passes or says why it was not checked (the role is MinIO's target
// ARN: "not an AWS IAM role: not checked"); the canaries arrive with real
// delays, are gone from both sides afterwards, and the recommended delay
// is the 15-minute floor.
func TestCheckMinIOPasses(t *testing.T) {
	e := newMinIOEnv(t, s3test.SharedMinIO(t), s3test.SharedMinIO(t))
	e.apply()
	r := e.check()
	if r.Failed() > 0 {
		t.Fatalf("%d lines failed", r.Failed())
	}
	if l := line(r, "replication role"); l.Status != NotChecked || !strings.Contains(l.Reason, minioRoleNote) {
		t.Errorf("role line %+v", l)
	}
	c := r.Canary
	if c == nil || c.Arrived != DefaultCanaries || len(c.DelaysMS) != DefaultCanaries || c.MaxMS < c.MinMS {
		t.Fatalf("canary %+v", c)
	}
	if r.Recommendation == nil || r.Recommendation.Delay != "15m0s" || r.Handoff.Delay != "15m0s" {
		t.Errorf("recommendation %+v, hand-off %+v", r.Recommendation, r.Handoff)
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Errorf("canaries left behind: %v", left)
	}
	if !strings.Contains(strings.Join(r.Handoff.Next, "\n"), "--min-age 15m0s") {
		t.Errorf("next commands %v", r.Handoff.Next)
	}
}

// TestCheckMinIOCrossRegion: the replica on a second server in another
// region: the regions are checked as each server reports them, and the
// canaries cross servers.
func TestCheckMinIOCrossRegion(t *testing.T) {
	primary := s3test.NewMinIO(t, s3test.MinIOOptions{Region: "eu-west-1"})
	replica := s3test.NewMinIO(t, s3test.MinIOOptions{Region: "ap-southeast-2"})
	e := newMinIOEnv(t, primary, replica)
	e.spec.Canaries = 3
	e.apply()
	r := e.check()
	if r.Failed() > 0 || r.PrimaryRegion != "eu-west-1" || r.Canary.Arrived != 3 {
		t.Fatalf("%d failed; primary region %q; canary %+v", r.Failed(), r.PrimaryRegion, r.Canary)
	}
	if l := line(r, "replica bucket"); !strings.Contains(l.Reason, "in ap-southeast-2") {
		t.Errorf("replica line %+v", l)
	}
}

// TestCheckMinIOReplicaStopped: the replica's server is killed while the
// check waits (as the first canary is written): the canaries go FAILED on
// the primary, and the check fails naming the likely causes and the
// canaries it could not delete.
func TestCheckMinIOReplicaStopped(t *testing.T) {
	primary := s3test.NewMinIO(t, s3test.MinIOOptions{Region: "eu-west-1"})
	replica := s3test.NewMinIO(t, s3test.MinIOOptions{Region: "us-west-2"})
	e := newMinIOEnv(t, primary, replica)
	e.apply()
	p := primary.NewProxy(t)
	var once sync.Once
	p.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "PutObject" && strings.Contains(r.Key, CanaryDir) {
			once.Do(replica.Kill)
		}
		return nil
	})
	pc, err := primary.NewClient(t.Context(), func(o *s3.Options) { o.BaseEndpoint = aws.String(p.URL()) })
	if err != nil {
		t.Fatal(err)
	}
	e.clients.Primary = pc
	e.spec.Canaries, e.spec.Timeout = 2, 20*time.Second
	start := time.Now()
	r := e.check()
	l := line(r, "canary")
	if l.Status != Fail || !strings.Contains(l.Reason, "0 of 2 arrived") || !strings.Contains(l.Reason, "unreachable") {
		t.Errorf("canary line %+v", l)
	}
	if !slices.ContainsFunc(r.Canary.Failures, func(f string) bool { return strings.Contains(f, "FAILED on the primary") }) {
		t.Errorf("failures %v", r.Canary.Failures)
	}
	if !strings.Contains(strings.Join(r.Canary.Failures, " "), "the replica cannot be read") {
		t.Errorf("failures do not say the replica could not be read: %v", r.Canary.Failures)
	}
	if len(r.Canary.Cleanup) == 0 || r.Handoff.Delay != "" || r.Recommendation != nil {
		t.Errorf("cleanup %v, delay %q", r.Canary.Cleanup, r.Handoff.Delay)
	}
	t.Logf("failed after %s", time.Since(start).Round(time.Millisecond))
}

// TestCheckMinIOReplicaVersioningSuspended: versioning suspended on the
// replica (MinIO refuses it on the primary while a rule exists): the
// versioning line fails, the canaries go FAILED, the causes name
// versioning.
func TestCheckMinIOReplicaVersioningSuspended(t *testing.T) {
	e := newMinIOEnv(t, s3test.SharedMinIO(t), s3test.SharedMinIO(t))
	e.apply()
	_, err := e.replica.Client().PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: &e.spec.Replica.Bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	if err != nil {
		t.Fatal(err)
	}
	e.spec.Canaries = 2
	r := e.check()
	if l := line(r, "versioning on the replica"); l.Status != Fail || !strings.Contains(l.Reason, "Suspended") {
		t.Errorf("versioning line %+v", l)
	}
	if l := line(r, "canary"); l.Status != Fail || !strings.Contains(l.Reason, "versioning is not Enabled") || !strings.Contains(l.Reason, "FAILED") {
		t.Errorf("canary line %+v", l)
	}
}

// TestCheckMinIORuleDisabled: the rule disabled after apply (its Status
// put Disabled with the rest kept; `mc replicate update --state disable`
// would also reset its prefix and the role): its line fails, and the
// canaries, which get no replication status at all, fail at --timeout
// naming the rule.
func TestCheckMinIORuleDisabled(t *testing.T) {
	e := newMinIOEnv(t, s3test.SharedMinIO(t), s3test.SharedMinIO(t))
	e.apply()
	ctx, c := t.Context(), e.primary.Client()
	cfg, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &e.spec.Primary.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range cfg.ReplicationConfiguration.Rules {
		if aws.ToString(r.ID) == e.spec.withDefaults().RuleID {
			cfg.ReplicationConfiguration.Rules[i].Status = types.ReplicationRuleStatusDisabled
		}
	}
	_, err = c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: &e.spec.Primary.Bucket, ReplicationConfiguration: cfg.ReplicationConfiguration})
	if err != nil {
		t.Fatal(err)
	}
	e.spec.Canaries, e.spec.Timeout = 2, 3*time.Second
	r := e.check()
	if l := line(r, "replication rule"); l.Status != Fail || !strings.Contains(l.Reason, "is Disabled") {
		t.Errorf("rule line %+v", l)
	}
	l := line(r, "canary")
	if l.Status != Fail || !strings.Contains(l.Reason, "no enabled rule covers the canary's key") || !strings.Contains(l.Reason, "the rule (see its line") {
		t.Errorf("canary line %+v", l)
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Errorf("canaries left behind: %v", left)
	}
}

// TestApplyStopsAtFirstFailure: without --no-default-encryption on a
// server that has no KMS, step 1's PutBucketEncryption fails: apply stops
// there, says what to do, and attempts nothing after it (the rule is not
// put).
func TestApplyStopsAtFirstFailure(t *testing.T) {
	e := newMinIOEnv(t, s3test.SharedMinIO(t), s3test.SharedMinIO(t))
	e.spec.NoDefaultEncryption = false
	p, err := Apply(t.Context(), e.spec, e.clients)
	var se *StepError
	if !errors.As(err, &se) || se.Step.Number != 1 || !strings.Contains(err.Error(), "--no-default-encryption") {
		t.Fatalf("apply: %v", err)
	}
	dumpPlan(t, p)
	if !strings.HasPrefix(step(p, 1).Outcome, "failed: set default encryption") {
		t.Errorf("step 1 outcome %q", step(p, 1).Outcome)
	}
	for _, st := range p.Steps[1:] {
		if st.Outcome != "not attempted" {
			t.Errorf("step %d outcome %q", st.Number, st.Outcome)
		}
	}
	cfg, err := e.primary.Client().GetBucketReplication(t.Context(), &s3.GetBucketReplicationInput{Bucket: &e.spec.Primary.Bucket})
	if err != nil || len(cfg.ReplicationConfiguration.Rules) != 1 {
		t.Errorf("the rule was put after the failure: %v %+v", err, cfg)
	}
}

// TestCheckMinIOTagFilter: a rule that filters on a tag (and the prefix):
// the canaries carry the tag, so the rule covers them, and they arrive.
func TestCheckMinIOTagFilter(t *testing.T) {
	e := newMinIOEnv(t, s3test.SharedMinIO(t), s3test.SharedMinIO(t))
	e.spec.Tags = []Tag{{"dept", "comp"}}
	e.spec.Canaries = 2
	e.apply()
	r := e.check()
	if r.Failed() > 0 || r.Canary.Arrived != 2 {
		t.Fatalf("%d failed, canary %+v", r.Failed(), r.Canary)
	}
	if l := line(r, "replication rule"); !strings.Contains(l.Reason, "tag dept=comp") {
		t.Errorf("rule line %+v", l)
	}
}
