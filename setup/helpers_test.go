package setup

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/internal/s3url"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// motoEnv is one test's account on the shared moto, reached through a
// Recorder so the test sees every request setup sends.
type motoEnv struct {
	t       *testing.T
	rec     *s3test.Recorder
	clients *Clients
	s3      *s3.Client  // direct to moto, for arranging and reading back
	iam     *iam.Client // direct to moto
	spec    Spec
}

// newMotoEnv makes a primary bucket (us-east-1, unversioned) and a Spec
// for a replica in eu-west-2, of the whole bucket: moto 5.2.1 reads a
// rule's filter prefix back as "" (TestFactMotoReplicationFilterPrefix in
// internal/s3test), so a prefix would never plan ok there; the request
// shapes test sends one.
func newMotoEnv(t *testing.T) *motoEnv {
	t.Helper()
	ctx := t.Context()
	m := s3test.SharedMoto(t)
	rec := s3test.NewRecorder(t, m.Endpoint)
	cfg, err := m.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	direct := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	viaRec := cfg.Copy()
	viaRec.BaseEndpoint = aws.String(rec.URL())
	e := &motoEnv{t: t, rec: rec, s3: direct, iam: iam.NewFromConfig(cfg)}
	e.clients = &Clients{
		Primary: s3.NewFromConfig(viaRec, func(o *s3.Options) { o.UsePathStyle = true }),
		Replica: s3.NewFromConfig(viaRec, func(o *s3.Options) { o.UsePathStyle = true; o.Region = "eu-west-2" }),
		IAM:     iam.NewFromConfig(viaRec),
		STS:     sts.NewFromConfig(viaRec),
	}
	primary := s3test.BucketName(t.Name())
	e.mustDo(direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &primary}))
	e.spec = Spec{Primary: s3url.URL{Bucket: primary}, Replica: s3url.URL{Bucket: s3test.BucketName("replica")},
		ReplicaRegion: "eu-west-2"}
	return e
}

func (e *motoEnv) mustDo(_ any, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// bucket creates a bucket in region (versioned if asked) directly.
func (e *motoEnv) bucket(hint, region string, versioned bool) string {
	e.t.Helper()
	ctx := e.t.Context()
	name := s3test.BucketName(hint)
	in := &s3.CreateBucketInput{Bucket: &name}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(region)}
	}
	e.mustDo(e.s3.CreateBucket(ctx, in))
	if versioned {
		e.versioning(name, types.BucketVersioningStatusEnabled)
	}
	return name
}

func (e *motoEnv) versioning(bucket string, st types.BucketVersioningStatus) {
	e.t.Helper()
	e.mustDo(e.s3.PutBucketVersioning(e.t.Context(), &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: st}}))
}

// role creates an IAM role trusting trust (a service) with an inline
// policy, directly, and returns its ARN.
func (e *motoEnv) role(hint, trustService, policy string) string {
	e.t.Helper()
	ctx := e.t.Context()
	name := s3test.BucketName(hint)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + trustService + `"},"Action":"sts:AssumeRole"}]}`
	out, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
	if err != nil {
		e.t.Fatal(err)
	}
	if policy != "" {
		e.mustDo(e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: aws.String("p"), PolicyDocument: &policy}))
	}
	return aws.ToString(out.Role.Arn)
}

// managedRole creates a role trusting S3 whose permissions come from an
// attached managed policy, and returns its ARN.
func (e *motoEnv) managedRole(policy string) string {
	e.t.Helper()
	ctx := e.t.Context()
	arn := e.role("managed", "s3.amazonaws.com", "")
	name := arn[strings.LastIndex(arn, "/")+1:]
	out, err := e.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name + "-policy"), PolicyDocument: &policy})
	if err != nil {
		e.t.Fatal(err)
	}
	e.mustDo(e.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &name, PolicyArn: out.Policy.Arn}))
	return arn
}

// iamOps are the IAM and STS operations setup may send.
var iamOps = []string{"GetRole", "CreateRole", "GetRolePolicy", "PutRolePolicy", "ListRolePolicies",
	"ListAttachedRolePolicies", "GetPolicy", "GetPolicyVersion", "GetCallerIdentity"}

// changing lists the recorded requests that change something.
func changing(ops []string) []string {
	var out []string
	for _, op := range ops {
		if strings.HasPrefix(op, "Put") || strings.HasPrefix(op, "Create") || strings.HasPrefix(op, "Delete") ||
			slices.Contains([]string{"UpdateAssumeRolePolicy", "AttachRolePolicy"}, op) {
			out = append(out, op)
		}
	}
	return out
}

// requests returns the recorded requests of op.
func (e *motoEnv) requests(op string) []s3test.Recorded {
	var out []s3test.Recorded
	for _, r := range e.rec.Requests() {
		if r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

func verdicts(p *Plan) []Verdict {
	var v []Verdict
	for _, st := range p.Steps {
		v = append(v, st.Verdict)
	}
	return v
}

func mustPlan(t *testing.T, ctx context.Context, s Spec, c *Clients) *Plan {
	t.Helper()
	p, err := MakePlan(ctx, s, c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func step(p *Plan, n int) *Step { return p.Steps[n-1] }

func dumpPlan(t *testing.T, p *Plan) {
	t.Helper()
	var b strings.Builder
	PrintPlan(&b, p)
	t.Log("\n" + b.String())
}
