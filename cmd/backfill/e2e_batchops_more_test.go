package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// An object over 5 GiB (a sparse file in the server's folder) never goes
// into the copy job: --large-locally copies it here, in parts, with its
// headers; the job copies the rest.
func TestBatchopsLargeObjectsLocally(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(3)
	const size = 5<<30 + 1
	path := filepath.Join(b.srv.RootDir, b.src, "shows", "feature.mov")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head of the film"), 0)
	f.WriteAt([]byte("end credits!"), size-12)
	f.Close()
	if err := syscall.Setxattr(path, "user.etag", []byte("0123456789abcdef0123456789abcdef-640"), 0); err != nil {
		t.Fatalf("user xattrs are needed to serve a placed file: %v", err)
	}
	syscall.Setxattr(path, "user.content-type", []byte("video/quicktime"), 0)

	r := b.bo(b.submitArgs("--yes", "--large-locally")...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "3 objects") || !strings.Contains(r.stdout, "over 5 GiB    1 object") {
		t.Errorf("submit:\n%s", r.stdout)
	}
	id := jobID(t, r)
	if n := b.describe(id).ProgressSummary; n != nil && aws.ToInt64(n.TotalNumberOfTasks) > 3 {
		t.Errorf("the job has %d tasks", aws.ToInt64(n.TotalNumberOfTasks))
	}
	b.waitJob(id, 0)
	b.exact(keys, "")
	h := b.head(b.dst, "shows/feature.mov")
	if h["Content-Length"] != fmt.Sprint(size) || h["Content-Type"] != "video/quicktime" {
		t.Errorf("large object in the replica: %v", h)
	}
	large, err := os.ReadFile(filepath.Join(b.dir, "backfill-large-objects.csv"))
	if err != nil || string(large) != b.src+",shows/feature.mov\n" {
		t.Errorf("large manifest %q %v", large, err)
	}
}

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
		"arn:aws:s3:::" + b.rep + "/reports/*", "arn:aws:s3:::" + b.rep + "/reports/manifests/*", "kms:GenerateDataKey", "arn:aws:kms:us-east-1:123456789012:key/abcd"} {
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
