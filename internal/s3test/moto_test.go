package s3test

// These tests record what moto 5.2.1 (moto_server) does with the IAM and STS
// calls backfill setup makes; doc.go summarises the findings.

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const assumeS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
	`"Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const replicationPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
	`"Action":["s3:GetReplicationConfiguration","s3:ListBucket"],"Resource":["arn:aws:s3:::primary"]}]}`

func motoClients(t *testing.T) (*iam.Client, *sts.Client) {
	t.Helper()
	cfg, err := SharedMoto(t).Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

// TestFactMotoIAMRole: CreateRole, PutRolePolicy, GetRole and GetRolePolicy
// round-trip (the policy comes back URL-encoded, as from AWS); a second
// CreateRole of the same name gets EntityAlreadyExists (409); a missing
// role gets NoSuchEntity (404).
func TestFactMotoIAMRole(t *testing.T) {
	ic, _ := motoClients(t)
	ctx := context.Background()
	name := BucketName("replication-role")
	created, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: aws.String(assumeS3)})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:iam::" + MotoAccountID + ":role/" + name
	if got := aws.ToString(created.Role.Arn); got != wantARN {
		t.Errorf("role ARN %q, want %q", got, wantARN)
	}
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: aws.String("replicate"),
		PolicyDocument: aws.String(replicationPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Role.Arn) != wantARN || !strings.Contains(decoded(t, got.Role.AssumeRolePolicyDocument), "s3.amazonaws.com") {
		t.Errorf("GetRole: arn %q, trust policy %q", aws.ToString(got.Role.Arn), aws.ToString(got.Role.AssumeRolePolicyDocument))
	}
	pol, err := ic.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String("replicate")})
	if err != nil {
		t.Fatal(err)
	}
	if doc := decoded(t, pol.PolicyDocument); !strings.Contains(doc, "s3:GetReplicationConfiguration") {
		t.Errorf("GetRolePolicy document %q", doc)
	}

	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: aws.String(assumeS3)})
	if apiCode(err) != "EntityAlreadyExists" || status(err) != 409 {
		t.Errorf("second CreateRole: %v", err)
	}
	t.Logf("second CreateRole: %v", err)
	_, err = ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name + "-missing")})
	if apiCode(err) != "NoSuchEntity" || status(err) != 404 {
		t.Errorf("GetRole of a missing role: %v", err)
	}
}

// decoded undoes the URL encoding IAM puts on policy documents.
func decoded(t *testing.T, doc *string) string {
	t.Helper()
	s, err := url.QueryUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatalf("policy document %q: %v", aws.ToString(doc), err)
	}
	return s
}

// TestFactMotoSTS: GetCallerIdentity answers with moto's account
// (MotoAccountID) for any credentials.
func TestFactMotoSTS(t *testing.T) {
	_, sc := motoClients(t)
	out, err := sc.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != MotoAccountID {
		t.Errorf("account %q, want %q", aws.ToString(out.Account), MotoAccountID)
	}
	t.Logf("GetCallerIdentity: account %s, arn %s", aws.ToString(out.Account), aws.ToString(out.Arn))
}

// TestMotoEnv: Env points IAM, STS and S3 at moto, with dummy credentials
// and nothing of the caller's AWS settings.
func TestMotoEnv(t *testing.T) {
	t.Setenv("AWS_PROFILE", "developer")
	m := SharedMoto(t)
	env := strings.Join(m.Env(), "\n") + "\n"
	for _, want := range []string{"AWS_ENDPOINT_URL_IAM=" + m.Endpoint, "AWS_ENDPOINT_URL_STS=" + m.Endpoint,
		"AWS_ENDPOINT_URL_S3=" + m.Endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_EC2_METADATA_DISABLED=true"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("Env lacks %s", want)
		}
	}
	if strings.Contains(env, "AWS_PROFILE=") {
		t.Error("Env kept AWS_PROFILE")
	}
}
