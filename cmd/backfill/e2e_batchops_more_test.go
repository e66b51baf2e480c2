package main

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// The account comes from STS GetCallerIdentity (moto) when --account-id is
// not given; the S3 Control client works through HTTPS with AWS_CA_BUNDLE
// set (and refuses the endpoint without it).
func TestBatchopsAccountFromSTSAndCABundle(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(2)
	moto := s3test.SharedMoto(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	tlsFront, err := s3test.NewTLSProxy(b.emu.URL(), ca)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tlsFront.Close() })
	environ := append(b.srv.Env(tlsFront.URL()), "AWS_ENDPOINT_URL_STS="+moto.Endpoint)
	args := []string{"batchops", "submit", "--from", "s3://" + b.src, "--to", "s3://" + b.dst, "--role-arn", b.role,
		"--report-to", "s3://" + b.rep + "/reports", "--no-progress", "--yes", "--max-attempts", "1"}
	r := b.runWith(environ, args...)
	if r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("without AWS_CA_BUNDLE: exit %d\n%s", r.code, r.stderr)
	}
	r = b.runWith(append(environ, "AWS_CA_BUNDLE="+ca), args...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	w := b.runWith(append(environ, "AWS_CA_BUNDLE="+ca), "batchops", "wait", "--poll", "20ms", id)
	mustCode(t, w, 0)
	b.exact(keys, "")
}

// policy prints least-privilege documents; --create-role makes the role
// with IAM (moto), is idempotent, and refuses to change a role unless
// --update.
func TestBatchopsPolicyAndRole(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	moto := s3test.SharedMoto(t)
	name := "backfill-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))[:20]
	args := []string{"batchops", "policy", "--operation", "copy", "--from", "s3://" + b.src + "/shows", "--to", "s3://" + b.dst + "/shows",
		"--report-to", "s3://" + b.rep + "/reports", "--sse-kms-key-id", "arn:aws:kms:us-east-1:123456789012:key/abcd"}
	r := b.runWith(moto.Env(), append(args, "--json")...)
	mustCode(t, r, 0)
	var out struct {
		Trust, Perm map[string]any
	}
	lines := jsonLines(t, r.stdout)
	if len(lines) != 1 {
		t.Fatalf("policy --json:\n%s", r.stdout)
	}
	raw, _ := json.Marshal(lines[0])
	doc := string(raw)
	for _, want := range []string{"batchoperations.s3.amazonaws.com", "arn:aws:s3:::" + b.src + "/shows/*", "arn:aws:s3:::" + b.dst + "/shows/*",
		"arn:aws:s3:::" + b.rep + "/reports/job-*", "arn:aws:s3:::" + b.rep + "/reports/manifests/*", "kms:GenerateDataKey", "arn:aws:kms:us-east-1:123456789012:key/abcd"} {
		if !strings.Contains(doc, want) {
			t.Errorf("policy lacks %q: %s", want, doc)
		}
	}
	if strings.Contains(doc, `"*"`) || strings.Contains(doc, "arn:aws:s3:::*") {
		t.Errorf("a wildcard resource: %s", doc)
	}
	_ = out

	create := append(args, "--create-role", name)
	r = b.runWith(moto.Env(), create...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "created") || !strings.Contains(r.stdout, ":role/"+name) {
		t.Errorf("create-role:\n%s", r.stdout)
	}
	r = b.runWith(moto.Env(), create...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("create-role again:\n%s", r.stdout)
	}
	changed := append(create, "--acl")
	r = b.runWith(moto.Env(), changed...)
	if r.code != 1 || !strings.Contains(r.stderr, "--update") || !strings.Contains(r.stderr, "nothing was changed") {
		t.Errorf("a change without --update: exit %d\n%s", r.code, r.stderr)
	}
	if rolePolicy(t, moto, name, "s3:PutObjectAcl") {
		t.Error("the role was changed without --update")
	}
	r = b.runWith(moto.Env(), append(changed, "--update")...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "updated") || !rolePolicy(t, moto, name, "s3:PutObjectAcl") {
		t.Errorf("--update:\n%s", r.stdout)
	}

	// A policy attached to the role since (say AdministratorAccess) makes
	// it more than least privilege: refused, named; --update detaches it.
	cfg, err := moto.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	api := iam.NewFromConfig(cfg)
	pol, err := api.CreatePolicy(t.Context(), &iam.CreatePolicyInput{PolicyName: aws.String(name + "-admin"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AttachRolePolicy(t.Context(), &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	r = b.runWith(moto.Env(), changed...)
	if r.code != 1 || !strings.Contains(r.stderr, aws.ToString(pol.Policy.Arn)) || !strings.Contains(r.stderr, "--update") {
		t.Errorf("a role with an attached policy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = b.runWith(moto.Env(), append(changed, "--update")...)
	mustCode(t, r, 0)
	att, err := api.ListAttachedRolePolicies(t.Context(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil || len(att.AttachedPolicies) != 0 {
		t.Errorf("--update left %v attached (%v)", att, err)
	}

	// A role backfill created whose PutRolePolicy never happened (the run
	// stopped) is finished without --update.
	half := name + "-half"
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
		"Principal": map[string]string{"Service": "batchoperations.s3.amazonaws.com"}, "Action": []string{"sts:AssumeRole"}}}})
	_, err = api.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String(half), AssumeRolePolicyDocument: aws.String(string(trust)),
		Tags: []iamtypes.Tag{{Key: aws.String("created-by"), Value: aws.String("backfill-batchops")}}})
	if err != nil {
		t.Fatal(err)
	}
	r = b.runWith(moto.Env(), append(args, "--create-role", half)...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "finished") || !rolePolicy(t, moto, half, "kms:GenerateDataKey") {
		t.Errorf("a half-made role:\n%s", r.stdout)
	}
}

// rolePolicy reports whether the role's backfill policy mentions s.
func rolePolicy(t *testing.T, m *s3test.Moto, role, s string) bool {
	t.Helper()
	cfg, err := m.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, err := iam.NewFromConfig(cfg).GetRolePolicy(t.Context(), &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("backfill-batchops")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.PathUnescape(aws.ToString(out.PolicyDocument))
	return strings.Contains(doc, s)
}
