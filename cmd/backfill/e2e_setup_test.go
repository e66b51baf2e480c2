package main

// End-to-end tests of backfill setup: the built binary against moto (IAM,
// STS, S3 bucket configuration, behind a Recorder) and against two MinIO
// servers that really replicate.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// runWith runs the binary with env and returns what it printed.
func runWith(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run backfill: %v", err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}

// motoSetup is a primary bucket on moto and the environment that sends
// the binary's S3, IAM and STS requests through a Recorder.
type motoSetup struct {
	rec     *s3test.Recorder
	env     []string
	s3      *s3.Client
	iam     *iam.Client
	primary string
}

func newMotoSetup(t *testing.T) *motoSetup {
	t.Helper()
	m := s3test.SharedMoto(t)
	rec := s3test.NewRecorder(t, m.Endpoint)
	cfg, err := m.Config(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ms := &motoSetup{rec: rec, s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), iam: iam.NewFromConfig(cfg),
		env:     append(m.Env(), "AWS_ENDPOINT_URL_S3="+rec.URL(), "AWS_ENDPOINT_URL_IAM="+rec.URL(), "AWS_ENDPOINT_URL_STS="+rec.URL()),
		primary: s3test.BucketName(t.Name())}
	if _, err := ms.s3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &ms.primary}); err != nil {
		t.Fatal(err)
	}
	return ms
}

func (ms *motoSetup) changes() []string {
	var out []string
	for _, op := range ms.rec.Ops() {
		if strings.HasPrefix(op, "Put") || strings.HasPrefix(op, "Create") || strings.HasPrefix(op, "Delete") {
			out = append(out, op)
		}
	}
	return out
}

// TestSetupRefusesBadInputBeforeAnyRequest: each bad input exits 2 with a
// message naming it, and not one request is sent.
func TestSetupRefusesBadInputBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	ms := newMotoSetup(t)
	base := []string{"--primary", "s3://" + ms.primary, "--replica-region", "eu-west-2"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--replica", "s3://Not_Valid"}, `bucket name "Not_Valid" has 'N'`},
		{[]string{"--replica", "s3://ok-replica", "--role-arn", "replication-role"}, `--role-arn: "replication-role" is not an ARN`},
		{[]string{"--replica", "s3://" + ms.primary}, "a bucket cannot be its own replica"},
		{[]string{"--replica", "s3://ab"}, "3 to 63 characters"},
		{[]string{"--replica", "s3://ok-replica", "--replica-region", "moon-1"}, "not a region name"},
		{[]string{"--replica", "s3://ok-replica", "--tag", "show=a", "--delete-markers"}, "cannot go with --tag"},
		{[]string{"--replica", "s3://ok-replica", "--tag", "noequals"}, "want KEY=VALUE"},
	} {
		for _, sub := range []string{"plan", "apply", "check"} {
			r := runWith(t, ms.env, append(append([]string{"setup", sub}, base...), tc.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("setup %s %v: exit %d, stderr %q; want 2 and %q", sub, tc.args, r.code, r.stderr, tc.want)
			}
		}
	}
	if ops := ms.rec.Ops(); len(ops) > 0 {
		t.Errorf("bad input sent %v", ops)
	}
}

type planJSON struct {
	Steps []struct {
		Step    int    `json:"step"`
		Verdict string `json:"verdict"`
	} `json:"steps"`
	Applied int `json:"changes_applied"`
}

func verdictsOf(t *testing.T, out string) []string {
	t.Helper()
	var p planJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out)
	}
	var v []string
	for _, s := range p.Steps {
		v = append(v, s.Verdict)
	}
	return v
}

// TestSetupOnMoto: plan (all create), apply, plan (all ok), apply again
// (nothing sent that changes anything, and it says so), check (every
// line passes; no canary on moto, which does not replicate).
func TestSetupOnMoto(t *testing.T) {
	t.Parallel()
	ms := newMotoSetup(t)
	ctx := t.Context()
	inv := s3test.BucketName("inventories")
	if _, err := ms.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &inv}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	app, err := ms.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(s3test.BucketName("site")), AssumeRolePolicyDocument: &trust})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--primary", "s3://" + ms.primary, "--replica", "s3://" + s3test.BucketName("replica"), "--replica-region", "eu-west-2",
		"--inventory-to", "s3://" + inv + "/daily", "--app-role-arn", aws.ToString(app.Role.Arn), "--apply-app-policy"}
	setupRun := func(sub string, extra ...string) result {
		t.Helper()
		return runWith(t, ms.env, append(append([]string{"setup", sub}, args...), extra...)...)
	}
	r := setupRun("plan", "--json")
	if v := verdictsOf(t, r.stdout); r.code != 0 || !slices.Equal(v, []string{"create", "create", "create", "create", "create", "create"}) {
		t.Fatalf("plan: exit %d, verdicts %v\n%s", r.code, v, r.stderr)
	}
	if ch := ms.changes(); len(ch) > 0 {
		t.Errorf("plan sent %v", ch)
	}
	if r = setupRun("apply"); r.code != 0 || !strings.Contains(r.stdout, "Apply: 11 change(s) made") {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r = setupRun("plan", "--json"); !slices.Equal(verdictsOf(t, r.stdout), []string{"ok", "ok", "ok", "ok", "ok", "ok"}) {
		t.Errorf("plan after apply: %s", r.stdout)
	}
	ms.rec.Reset()
	r = setupRun("apply")
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to change") || len(ms.changes()) > 0 {
		t.Errorf("second apply: exit %d, sent %v\n%s", r.code, ms.changes(), r.stdout)
	}
	r = setupRun("check", "--canaries", "0")
	if r.code != 0 || !strings.Contains(r.stdout, "Check: 9 pass, 0 fail, 1 not checked.") {
		t.Errorf("check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("check on moto:\n%s", r.stdout)
}

// minioPair is a primary and a replica on two MinIO servers in different
// regions, each with its own credentials (two profiles in a credentials
// file), the target registered with mc.
type minioPair struct {
	env              []string
	primary, replica *s3test.MinIO
	src, dst, arn    string
}

func newMinIOPair(t *testing.T) *minioPair {
	t.Helper()
	p := &minioPair{primary: s3test.NewMinIO(t, s3test.MinIOOptions{Region: "eu-west-1"}),
		replica: s3test.NewMinIO(t, s3test.MinIOOptions{Region: "us-west-2"})}
	p.src, p.dst = p.primary.NewBucket(t, true), p.replica.NewBucket(t, true)
	var err error
	if p.arn, err = s3test.MCFor(t).AddReplication(t.Context(), p.primary, p.src, p.replica, p.dst, s3test.ReplicationDisabled()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	creds := fmt.Sprintf("[primary]\naws_access_key_id = %s\naws_secret_access_key = %s\n[replica]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		p.primary.AccessKey, p.primary.SecretKey, p.replica.AccessKey, p.replica.SecretKey)
	for name, text := range map[string]string{"credentials": creds, "config": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			p.env = append(p.env, kv)
		}
	}
	p.env = append(p.env, "AWS_EC2_METADATA_DISABLED=true", "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"))
	return p
}

func (p *minioPair) args(sub string, extra ...string) []string {
	return append([]string{"setup", sub, "--primary", "s3://" + p.src + "/media/", "--replica", "s3://" + p.dst,
		"--primary-region", "eu-west-1", "--replica-region", "us-west-2",
		"--primary-profile", "primary", "--replica-profile", "replica",
		"--primary-endpoint-url", p.primary.Endpoint, "--replica-endpoint-url", p.replica.Endpoint,
		"--role-arn", p.arn, "--no-iam", "--no-default-encryption"}, extra...)
}

// TestSetupOnMinIO: cross-region, each side with its own credentials:
// plan shows the rule to add (the role being MinIO's target ARN, "not an
// AWS IAM role: not checked"), apply puts it, check passes with measured
// canary delays, the recommendation and the hand-off; with the rule
// disabled, check exits 3 naming it.
func TestSetupOnMinIO(t *testing.T) {
	t.Parallel()
	p := newMinIOPair(t)
	r := runWith(t, p.env, p.args("plan")...)
	if r.code != 0 || !strings.Contains(r.stdout, "4. replication rule: CHANGE") || !strings.Contains(r.stdout, "not an AWS IAM role: not checked") {
		t.Fatalf("plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r = runWith(t, p.env, p.args("apply")...); r.code != 0 || !strings.Contains(r.stdout, "Apply: 1 change(s) made") {
		t.Fatalf("apply: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runWith(t, p.env, p.args("check", "--canaries", "3", "--timeout", "30s", "--proxy-url", "https://media-eu.studio.test")...)
	for _, want := range []string{"skip  replication role", "not an AWS IAM role: not checked", "pass  canary                        3 of 3 arrived",
		"Make new media available from the replica after 15m0s", "S3 proxy URL:    https://media-eu.studio.test", "replica region:  us-west-2",
		"backfill copy --from s3://" + p.src + "/media/ --to s3://" + p.dst + "/media/ --source-region eu-west-1 --dest-region us-west-2"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check lacks %q", want)
		}
	}
	if r.code != 0 {
		t.Fatalf("check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("check:\n%s", r.stdout)
	disableRule(t, p.primary.Client(), p.src, "backfill-"+p.dst)
	r = runWith(t, p.env, p.args("check", "--canaries", "1", "--timeout", "3s", "--json")...)
	var rep struct {
		Lines []struct{ Name, Status, Reason string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 3 {
		t.Fatalf("check with the rule disabled: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if !slices.ContainsFunc(rep.Lines, func(l struct{ Name, Status, Reason string }) bool {
		return l.Name == "replication rule" && l.Status == "fail" && strings.Contains(l.Reason, "is Disabled")
	}) {
		t.Errorf("lines %+v", rep.Lines)
	}
}

func disableRule(t *testing.T, c *s3.Client, bucket, id string) {
	t.Helper()
	cfg, err := c.GetBucketReplication(t.Context(), &s3.GetBucketReplicationInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range cfg.ReplicationConfiguration.Rules {
		if aws.ToString(r.ID) == id {
			cfg.ReplicationConfiguration.Rules[i].Status = types.ReplicationRuleStatusDisabled
		}
	}
	if _, err := c.PutBucketReplication(t.Context(), &s3.PutBucketReplicationInput{Bucket: &bucket,
		ReplicationConfiguration: cfg.ReplicationConfiguration}); err != nil {
		t.Fatal(err)
	}
}

// TestSetupWithCABundle: S3, IAM and STS behind an HTTPS endpoint of a
// private CA: refused without AWS_CA_BUNDLE, planned with it (the IAM and
// STS clients share the S3 clients' buildable HTTP client).
func TestSetupWithCABundle(t *testing.T) {
	t.Parallel()
	ms := newMotoSetup(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	tp, err := s3test.NewTLSProxy(s3test.SharedMoto(t).Endpoint, ca)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tp.Close() })
	var env []string
	for _, kv := range ms.env {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ENDPOINT_URL_S3="+tp.URL(), "AWS_ENDPOINT_URL_IAM="+tp.URL(), "AWS_ENDPOINT_URL_STS="+tp.URL())
	args := []string{"setup", "plan", "--primary", "s3://" + ms.primary, "--replica", "s3://" + s3test.BucketName("replica"), "--replica-region", "eu-west-2"}
	if r := runWith(t, env, append(args, "--max-attempts", "1")...); r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("without AWS_CA_BUNDLE: exit %d, %s", r.code, r.stderr)
	}
	r := runWith(t, append(env, "AWS_CA_BUNDLE="+ca), args...)
	if r.code != 0 || !strings.Contains(r.stdout, "account "+s3test.MotoAccountID) || !strings.Contains(r.stdout, "3. replication role: CREATE") {
		t.Errorf("with AWS_CA_BUNDLE: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if tp.Count("HeadBucket") == 0 {
		t.Error("no request went through the HTTPS endpoint")
	}
}
