package setup

// Tests of the review of issue 22 against moto: several replicas of one
// primary, roles of other accounts, the primary's SSE-KMS default, policy
// differences, the role evaluator, and the smaller findings.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/internal/s3url"
)

func planText(p *Plan) string {
	var b strings.Builder
	PrintPlan(&b, p)
	return b.String()
}

// lastRolePolicy is the permission policy of the last PutRolePolicy sent.
func (e *motoEnv) lastRolePolicy() string {
	e.t.Helper()
	rs := e.requests("PutRolePolicy")
	if len(rs) == 0 {
		e.t.Fatal("no PutRolePolicy sent")
	}
	v, err := url.ParseQuery(string(rs[len(rs)-1].Body))
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Get("PolicyDocument")
}

// TestSecondReplicaKeepsFirst: a second setup from the same primary (a
// second replica) puts a role policy for both rules, not only its own:
// the first replica's check still passes, and a plan for either replica
// afterwards finds every step ok.
func TestSecondReplicaKeepsFirst(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	first := e.spec
	if _, err := Apply(ctx, first, e.clients); err != nil {
		t.Fatal(err)
	}
	second := e.spec
	second.Replica.Bucket = s3test.BucketName("second")
	p := mustPlan(t, ctx, second, e.clients)
	text := planText(p)
	t.Log("\n" + text)
	if st := step(p, 3); st.Verdict != Change {
		t.Fatalf("step 3: %+v", st)
	}
	if !strings.Contains(text, "add resource arn:aws:s3:::"+second.Replica.Bucket+"/*") || strings.Contains(text, "remove resource") {
		t.Errorf("step 3's difference does not add the second replica alone")
	}
	if _, err := Apply(ctx, second, e.clients); err != nil {
		t.Fatal(err)
	}
	pol := e.lastRolePolicy()
	for _, b := range []string{first.Replica.Bucket, second.Replica.Bucket} {
		if !strings.Contains(pol, `"arn:aws:s3:::`+b+`/*"`) {
			t.Errorf("the role's policy lacks %s:\n%s", b, pol)
		}
	}
	for _, s := range []Spec{first, second} {
		s.Canaries = -1
		r, err := Check(ctx, s, e.clients)
		if err != nil {
			t.Fatal(err)
		}
		if l := line(r, "replication role"); l.Status != Pass {
			t.Errorf("check of %s: role line %+v", s.Replica.Bucket, l)
		}
		if v := verdicts(mustPlan(t, ctx, s, e.clients)); !slices.Equal(v, []Verdict{OK, OK, OK, OK, Skip, Skip}) {
			t.Errorf("plan of %s afterwards: %v", s.Replica.Bucket, v)
		}
	}
}

// TestSharedRoleNameBlocked: a role named for two primaries' setups
// (--role-name): the second's policy would drop what the first's rule
// needs, so step 3 is blocked naming it, and apply changes nothing.
func TestSharedRoleNameBlocked(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	first := e.spec
	first.RoleName = s3test.BucketName("shared-role")
	if _, err := Apply(ctx, first, e.clients); err != nil {
		t.Fatal(err)
	}
	other := e.bucket("other-primary", "us-east-1", false)
	second := first
	second.Primary, second.Replica = s3url.URL{Bucket: other}, s3url.URL{Bucket: s3test.BucketName("other-replica")}
	e.rec.Reset()
	p, err := Apply(ctx, second, e.clients)
	var be *BlockedError
	if !errors.As(err, &be) || be.Step.Number != 3 {
		t.Fatalf("apply: %v", err)
	}
	for _, want := range []string{"s3:ReplicateObject on arn:aws:s3:::" + first.Replica.Bucket + "/*", "--role-name"} {
		if !strings.Contains(step(p, 3).Reason, want) {
			t.Errorf("step 3's reason lacks %q: %s", want, step(p, 3).Reason)
		}
	}
	if ch := changing(e.rec.Ops()); len(ch) > 0 {
		t.Errorf("a blocked apply sent %v", ch)
	}
}

// TestOwnRuleNarrowedNotBlocked: what this rule's own former settings
// needed may go (the whole bucket narrowed to a prefix): a change, not
// blocked, and the difference says what is removed. (moto reads a rule's
// delete-marker replication back Disabled whatever was put, so turning
// --delete-markers off cannot be shown here.)
func TestOwnRuleNarrowedNotBlocked(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	if _, err := Apply(t.Context(), s, e.clients); err != nil {
		t.Fatal(err)
	}
	s.Prefix = "media/"
	p := mustPlan(t, t.Context(), s, e.clients)
	rep := "arn:aws:s3:::" + s.Replica.Bucket
	if st := step(p, 3); st.Verdict != Change ||
		!strings.Contains(planText(p), "diff:    statement WriteReplicas: add resource "+rep+"/media/*; remove resource "+rep+"/*") {
		t.Errorf("step 3: %+v", st)
	}
}

// TestPolicyChangesShowDifference: a replaced policy is shown statement by
// statement: the role's (step 3), the inventory destination's statement
// (step 5) and the application role's (step 6).
func TestPolicyChangesShowDifference(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.fullSpec()
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	s.DeleteMarkers = true
	s.InventoryTo.Prefix = "weekly/"
	s.Prefix = "media/"
	p := mustPlan(t, ctx, s, e.clients)
	text := planText(p)
	t.Log("\n" + text)
	inv := "arn:aws:s3:::" + s.InventoryTo.Bucket
	rep := "arn:aws:s3:::" + s.Replica.Bucket
	for _, want := range []string{
		"diff:    add statement ReplicateDeleteMarkers: Allow s3:ReplicateDelete on " + rep + "/media/*",
		"diff:    statement WriteReplicas: add resource " + rep + "/media/*; remove resource " + rep + "/*",
		"diff:    statement " + inventorySid(s.Primary.Bucket) + ": add resource " + inv + "/weekly/*; remove resource " + inv + "/daily/*",
		"diff:    statement ReadReplica: add resource " + rep + "/media/*; remove resource " + rep + "/*",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the plan lacks %q", want)
		}
	}
}

// TestOtherAccountRoles: a role ARN of another account is not looked up
// by its name in this one: --apply-app-policy for it is blocked (nothing
// is put on this account's role of the same name), and a --role-arn of
// another account makes step 3 manual, with the documents, and check's
// role line not checked (not failed for a role of the same name here).
func TestOtherAccountRoles(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	own := e.role("site-app", "ec2.amazonaws.com", "")
	name := own[strings.LastIndex(own, "/")+1:]
	s.AppRoleARN, s.ApplyAppPolicy = "arn:aws:iam::999999999999:role/"+name, true
	p, err := Apply(ctx, s, e.clients)
	var be *BlockedError
	if !errors.As(err, &be) || be.Step.Number != 6 || !strings.Contains(be.Step.Current, "account 999999999999") {
		t.Fatalf("apply: %v", err)
	}
	dumpPlan(t, p)
	_, err = e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String(appPolicyName(s.Replica.Bucket, s.Prefix))})
	if s3err.Code(err) != "NoSuchEntity" {
		t.Errorf("this account's role %s got the policy: %v", name, err)
	}
	s.ApplyAppPolicy = false
	if st := step(mustPlan(t, ctx, s, e.clients), 6); st.Verdict != Manual || !strings.Contains(strings.Join(st.Notes, " "), "bucket policy") {
		t.Errorf("step 6 without --apply-app-policy: %+v", st)
	}
	s.AppRoleARN = ""
	given := e.role("given", "s3.amazonaws.com", replicationPolicy(s.withDefaults(), "us-east-1").String())
	s.RoleARN = "arn:aws:iam::999999999999:role/" + given[strings.LastIndex(given, "/")+1:]
	e.rec.Reset()
	st := step(mustPlan(t, ctx, s, e.clients), 3)
	if st.Verdict != Manual || !strings.Contains(st.Current, "account 999999999999") || len(st.Documents) != 2 {
		t.Errorf("step 3 with a role of another account: %+v", st)
	}
	if n := len(e.requests("GetRole")); n > 0 {
		t.Errorf("a role of another account was looked up in this one (%d GetRole)", n)
	}
	s.Canaries = -1
	r, err := Check(ctx, s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(r, "replication role"); l.Status != NotChecked || !strings.Contains(l.Reason, "account 999999999999") {
		t.Errorf("check's role line with a role of another account: %+v", l)
	}
	if n := len(e.requests("GetRole")); n > 0 {
		t.Errorf("check looked a role of another account up in this one (%d GetRole)", n)
	}
}

// TestPrimarySSEKMSDefault: a primary that encrypts with SSE-KMS by
// default blocks the rule until KMS is set up (its key offered as
// --primary-kms-key); check fails the line when the rule does not select
// SSE-KMS objects.
func TestPrimarySSEKMSDefault(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	key := "arn:aws:kms:us-east-1:" + s3test.MotoAccountID + ":key/66666666-7777-8888-9999-000000000000"
	e.mustDo(e.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &s.Primary.Bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: &key}}}}}))
	if st := step(mustPlan(t, ctx, s, e.clients), 4); st.Verdict != Blocked || !strings.Contains(st.Reason, "--primary-kms-key "+key) {
		t.Errorf("step 4: %+v", st)
	}
	s.Canaries = -1
	r, err := Check(ctx, s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(r, "primary default encryption"); l.Status != Fail || !strings.Contains(l.Reason, "does not select SSE-KMS objects") {
		t.Errorf("check line %+v", l)
	}
	s.ReplicaKMSKey = "arn:aws:kms:eu-west-2:" + s3test.MotoAccountID + ":key/11111111-2222-3333-4444-555555555555"
	if st := step(mustPlan(t, ctx, s, e.clients), 4); st.Verdict != Blocked || !strings.Contains(st.Reason, "add --primary-kms-key "+key) {
		t.Errorf("the replica's key but not the primary's: %+v", st)
	}
	s.PrimaryKMSKeys = []string{key}
	if st := step(mustPlan(t, ctx, s, e.clients), 4); st.Verdict == Blocked {
		t.Errorf("with both keys: %+v", st)
	}
}

// TestGivenRoleConditionalDenyAndNotAction: a --role-arn role that allows
// through NotAction and has a Deny with a condition (TLS only) is not
// blocked: the Deny is named as not evaluated, in the plan and in check.
func TestGivenRoleConditionalDenyAndNotAction(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	e.versioning(s.Primary.Bucket, types.BucketVersioningStatusEnabled)
	policy := `{"Version":"2012-10-17","Statement":[
		{"Sid":"AllButIAM","Effect":"Allow","NotAction":"iam:*","Resource":"*"},
		{"Sid":"TLSOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	s.RoleARN = e.role("tls-only", "s3.amazonaws.com", policy)
	p := mustPlan(t, ctx, s, e.clients)
	st := step(p, 3)
	if st.Verdict != OK || !strings.Contains(strings.Join(st.Notes, " "), "a Deny (TLSOnly) with conditions (aws:SecureTransport), not evaluated") {
		dumpPlan(t, p)
		t.Errorf("step 3: %+v", st)
	}
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	s.Canaries = -1
	r, err := Check(ctx, s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(r, "replication role"); l.Status != NotChecked || !strings.Contains(l.Reason, "TLSOnly") {
		t.Errorf("role line %+v", l)
	}
}

// TestArchivedStorageClassNoted: replicas in GLACIER cannot be served:
// the rule's step says so.
func TestArchivedStorageClassNoted(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.StorageClass = "GLACIER"
	if st := step(mustPlan(t, t.Context(), s, e.clients), 4); !strings.Contains(strings.Join(st.Notes, " "), "cannot serve media from this replica") {
		t.Errorf("step 4: %+v", st)
	}
}

// movedPrimary answers HeadBucket as S3 does when the client is in
// another region than the bucket: 301 with x-amz-bucket-region.
type movedPrimary struct{ S3API }

func (movedPrimary) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	resp := &http.Response{StatusCode: 301, Header: http.Header{"X-Amz-Bucket-Region": []string{"us-west-1"}}}
	return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: errors.New("moved")}
}

// TestPrimaryClientInAnotherRegion: the primary's requests go to another
// region than its own: plan refuses saying which --primary-region to
// pass, and check's primary line fails saying so (not "Enabled" or
// "never enabled" versioning read from nowhere).
func TestPrimaryClientInAnotherRegion(t *testing.T) {
	e := newMotoEnv(t)
	e.clients.Primary = movedPrimary{e.clients.Primary}
	s := e.spec
	if _, err := MakePlan(t.Context(), s, e.clients); !errors.Is(err, ErrPrimaryMissing) || !strings.Contains(err.Error(), "pass --primary-region us-west-1") {
		t.Errorf("plan: %v", err)
	}
	s.Canaries = -1
	r, err := Check(t.Context(), s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(r, "primary bucket"); l.Status != Fail || !strings.Contains(l.Reason, "pass --primary-region us-west-1") {
		t.Errorf("primary line %+v", l)
	}
}

// TestInventoryIntoSameRegionReplica: a replica in the primary's region
// may receive the inventory (not refused as "in another region"), even
// before step 1 creates it; one in another region is blocked.
func TestInventoryIntoSameRegionReplica(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.ReplicaRegion = "us-east-1"
	s.InventoryTo = &s3url.URL{Bucket: s.Replica.Bucket, Prefix: "inventory/"}
	st := step(mustPlan(t, t.Context(), s, e.clients), 5)
	if st.Verdict != Create || !strings.Contains(strings.Join(st.Notes, " "), "into the replica bucket") {
		t.Errorf("same region: %+v", st)
	}
	s.ReplicaRegion = "eu-west-2"
	st = step(mustPlan(t, t.Context(), s, e.clients), 5)
	if st.Verdict != Blocked || !strings.Contains(st.Reason, "the destination is in eu-west-2") {
		t.Errorf("another region: %+v", st)
	}
}

// TestManualStepsInSummary: an apply with nothing to change but a manual
// step says so, not "every step was already as wanted".
func TestManualStepsInSummary(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.AppRoleARN = "arn:aws:iam::" + s3test.MotoAccountID + ":role/site-app"
	if _, err := Apply(t.Context(), s, e.clients); err != nil {
		t.Fatal(err)
	}
	p, err := Apply(t.Context(), s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if sum := planSummary(p); strings.Contains(sum, "every step was already as wanted") || !strings.Contains(sum, "step 6 is manual") {
		t.Errorf("summary %q", sum)
	}
}

// TestCheckInventoryPolicyAndHandoff: check fails the inventory
// destination's line when its bucket policy lacks backfill's statement;
// with --canaries 0 the hand-off says no canary was run, not that it
// failed.
func TestCheckInventoryPolicyAndHandoff(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.fullSpec()
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	e.mustDo(e.s3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &s.InventoryTo.Bucket}))
	s.Canaries = -1
	r, err := Check(ctx, s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(r, "inventory destination policy"); l.Status != Fail || !strings.Contains(l.Reason, "lacks statement "+inventorySid(s.Primary.Bucket)) {
		t.Errorf("inventory policy line %+v", l)
	}
	var b strings.Builder
	PrintCheck(&b, r)
	if !strings.Contains(b.String(), "(not measured: the canary was not run: none asked for (--canaries 0))") {
		t.Errorf("hand-off:\n%s", b.String())
	}
}

// TestSecondReplicaKeepsAppAccess: a second replica of the same primary
// set up for the same application role (--app-role-arn with
// --apply-app-policy) adds that replica's read access beside the first's:
// step 6 of the second is create, not a change that would take the first
// replica away from the site.
func TestSecondReplicaKeepsAppAccess(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	first := e.fullSpec()
	first.InventoryTo = nil
	if _, err := Apply(ctx, first, e.clients); err != nil {
		t.Fatal(err)
	}
	second := first
	second.Replica.Bucket = s3test.BucketName("second")
	p := mustPlan(t, ctx, second, e.clients)
	if st := step(p, 6); st.Verdict != Create {
		t.Fatalf("step 6 of the second replica: %+v\n%s", st, planText(p))
	}
	if _, err := Apply(ctx, second, e.clients); err != nil {
		t.Fatal(err)
	}
	name := first.AppRoleARN[strings.LastIndex(first.AppRoleARN, "/")+1:]
	for _, s := range []Spec{first, second} {
		out, err := e.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String(appPolicyName(s.Replica.Bucket, s.Prefix))})
		if err != nil {
			t.Fatalf("the application role's policy for %s: %v", s.Replica.Bucket, err)
		}
		if doc, _ := url.QueryUnescape(aws.ToString(out.PolicyDocument)); !strings.Contains(doc, "arn:aws:s3:::"+s.Replica.Bucket+"/") {
			t.Errorf("the policy for %s does not name it:\n%s", s.Replica.Bucket, doc)
		}
		if st := step(mustPlan(t, ctx, s, e.clients), 6); st.Verdict != OK {
			t.Errorf("step 6 of %s afterwards: %+v", s.Replica.Bucket, st)
		}
	}
}

// Policy names are IAM's: [\w+=,.@-]{1,128}, for any bucket name.
func TestAppPolicyName(t *testing.T) {
	n := appPolicyName("a-bucket.name-of-sixty-three-characters-aaaaaaaaaaaaaaaaaaaaaaaaa", "shows/alpha beta/")
	if len(n) > 128 || !regexp.MustCompile(`^[\w+=,.@-]+$`).MatchString(n) {
		t.Errorf("policy name %q", n)
	}
}
