package setup

// These tests run setup against moto (IAM, STS and S3 bucket
// configuration), through a Recorder: moto validates little, so they assert
// on the requests setup sends as well as on what moto holds afterwards.

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// fullSpec asks for every step: the inventory into a bucket of the
// primary's region, and the application role's statement applied.
func (e *motoEnv) fullSpec() Spec {
	s := e.spec
	inv := s3url.URL{Bucket: e.bucket("inventories", "us-east-1", false), Prefix: "daily/"}
	s.InventoryTo = &inv
	s.AppRoleARN = e.role("site-app", "ec2.amazonaws.com", "")
	s.ApplyAppPolicy = true
	return s
}

// TestPlanEmptyAccountAllCreate: with only an unversioned primary, every
// step is create, and planning sends only reads.
func TestPlanEmptyAccountAllCreate(t *testing.T) {
	e := newMotoEnv(t)
	s := e.fullSpec()
	p := mustPlan(t, t.Context(), s, e.clients)
	dumpPlan(t, p)
	want := []Verdict{Create, Create, Create, Create, Create, Create}
	if got := verdicts(p); !slices.Equal(got, want) {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	if ch := changing(e.rec.Ops()); len(ch) > 0 {
		t.Errorf("plan sent requests that change things: %v", ch)
	}
	if p.Account != s3test.MotoAccountID {
		t.Errorf("account %q", p.Account)
	}
	if got := step(p, 4).Desired; !strings.Contains(got, "arn:aws:iam::"+s3test.MotoAccountID+":role/backfill-replication-") {
		t.Errorf("the rule's role is not the role to be created: %s", got)
	}
}

// TestApplyThenPlanAllOK: apply makes every change in step order; a plan
// afterwards finds every step ok.
func TestApplyThenPlanAllOK(t *testing.T) {
	e := newMotoEnv(t)
	s := e.fullSpec()
	p, err := Apply(t.Context(), s, e.clients)
	if err != nil {
		dumpPlan(t, p)
		t.Fatal(err)
	}
	wantOrder := []string{"CreateBucket", "PutPublicAccessBlock", "PutBucketEncryption", "PutBucketVersioning", "PutBucketVersioning",
		"CreateRole", "PutRolePolicy", "PutBucketReplication", "PutBucketPolicy", "PutBucketInventoryConfiguration", "PutRolePolicy"}
	if got := changing(e.rec.Ops()); !slices.Equal(got, wantOrder) {
		t.Errorf("apply sent %v, want %v", got, wantOrder)
	}
	if p.Applied != len(wantOrder) {
		t.Errorf("Applied %d, want %d", p.Applied, len(wantOrder))
	}
	again := mustPlan(t, t.Context(), s, e.clients)
	if got := verdicts(again); !slices.Equal(got, []Verdict{OK, OK, OK, OK, OK, OK}) {
		dumpPlan(t, again)
		t.Errorf("plan after apply: %v, want every step ok", got)
	}
}

// TestApplyTwiceChangesNothing: the second apply sends no request that
// changes anything, says so, and counts no change.
func TestApplyTwiceChangesNothing(t *testing.T) {
	e := newMotoEnv(t)
	s := e.fullSpec()
	if _, err := Apply(t.Context(), s, e.clients); err != nil {
		t.Fatal(err)
	}
	e.rec.Reset()
	p, err := Apply(t.Context(), s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if ch := changing(e.rec.Ops()); len(ch) > 0 || p.Applied != 0 {
		t.Errorf("second apply: %d changes, requests %v", p.Applied, ch)
	}
	for _, st := range p.Steps {
		if st.Outcome != "nothing to do" {
			t.Errorf("step %d outcome %q", st.Number, st.Outcome)
		}
	}
	if sum := planSummary(p); !strings.Contains(sum, "nothing to change") {
		t.Errorf("summary %q", sum)
	}
	t.Logf("second apply: %d requests, all reads: %v", len(e.rec.Ops()), e.rec.Ops())
}

// TestApplyRequestShapes: what apply sends, field by field, not only
// what moto keeps (moto accepts a bogus versioning status or algorithm).
func TestApplyRequestShapes(t *testing.T) {
	e := newMotoEnv(t)
	e.spec.Prefix = "media/"
	s := e.fullSpec()
	if _, err := Apply(t.Context(), s, e.clients); err != nil {
		t.Fatal(err)
	}
	body := func(op string, i int) string {
		rs := e.requests(op)
		if len(rs) <= i {
			t.Fatalf("no request %d of %s", i, op)
		}
		return string(rs[i].Body)
	}
	wantIn(t, "CreateBucket", body("CreateBucket", 0), "<LocationConstraint>eu-west-2</LocationConstraint>")
	for _, f := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
		wantIn(t, "PutPublicAccessBlock", body("PutPublicAccessBlock", 0), "<"+f+">true</"+f+">")
	}
	wantIn(t, "PutBucketEncryption", body("PutBucketEncryption", 0), "<SSEAlgorithm>AES256</SSEAlgorithm>")
	for i := range 2 {
		wantIn(t, "PutBucketVersioning", body("PutBucketVersioning", i), "<Status>Enabled</Status>")
	}
	repl := body("PutBucketReplication", 0)
	for _, w := range []string{"<Role>arn:aws:iam::" + s3test.MotoAccountID + ":role/backfill-replication-", "<ID>backfill-" + s.Replica.Bucket + "</ID>",
		"<Priority>1</Priority>", "<Status>Enabled</Status>", "<Filter><Prefix>media/</Prefix></Filter>",
		"<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>",
		"<Destination><Bucket>arn:aws:s3:::" + s.Replica.Bucket + "</Bucket></Destination>"} {
		wantIn(t, "PutBucketReplication", repl, w)
	}
	checkRoleRequests(t, e, s)
	inv := body("PutBucketInventoryConfiguration", 0)
	for _, w := range []string{"<Frequency>Daily</Frequency>", "<Format>CSV</Format>", "<IncludedObjectVersions>All</IncludedObjectVersions>",
		"<IsEnabled>true</IsEnabled>", "<Bucket>arn:aws:s3:::" + s.InventoryTo.Bucket + "</Bucket>", "<Prefix>daily</Prefix>",
		"<Filter><Prefix>media/</Prefix></Filter>", "<Field>ReplicationStatus</Field>", "<Field>ETag</Field>", "<Field>Size</Field>"} {
		wantIn(t, "PutBucketInventoryConfiguration", inv, w)
	}
	pol, err := parsePolicy(body("PutBucketPolicy", 0))
	if err != nil || len(pol.Statement) != 1 {
		t.Fatalf("bucket policy %v: %+v", err, pol)
	}
	st := pol.Statement[0]
	if !slices.Equal(st.Resource, strList{"arn:aws:s3:::" + s.InventoryTo.Bucket + "/daily/*"}) || !slices.Equal(st.Action, strList{"s3:PutObject"}) ||
		st.Condition["StringEquals"]["aws:SourceAccount"] != s3test.MotoAccountID ||
		st.Condition["ArnLike"]["aws:SourceArn"] != "arn:aws:s3:::"+s.Primary.Bucket ||
		st.Condition["StringEquals"]["s3:x-amz-acl"] != "bucket-owner-full-control" {
		t.Errorf("inventory statement %+v", st)
	}
}

func wantIn(t *testing.T, what, body, want string) {
	t.Helper()
	if !strings.Contains(body, want) {
		t.Errorf("%s lacks %s:\n%s", what, want, body)
	}
}

// checkRoleRequests: the role trusts s3.amazonaws.com only, and its policy
// names exactly these buckets and the prefix, no wildcard service action,
// no ReplicateDelete without --delete-markers; the app policy reads the
// replica's prefix only.
func checkRoleRequests(t *testing.T, e *motoEnv, s Spec) {
	t.Helper()
	form := func(op string, i int) url.Values {
		v, err := url.ParseQuery(string(e.requests(op)[i].Body))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if trust := form("CreateRole", 0).Get("AssumeRolePolicyDocument"); !samePolicy(trust, trustPolicy().String()) || !trustsS3(trust) {
		t.Errorf("trust policy %s", trust)
	}
	pol, err := parsePolicy(form("PutRolePolicy", 0).Get("PolicyDocument"))
	if err != nil {
		t.Fatal(err)
	}
	var resources, actions []string
	for _, st := range pol.Statement {
		resources, actions = append(resources, st.Resource...), append(actions, st.Action...)
	}
	want := []string{"arn:aws:s3:::" + s.Primary.Bucket, "arn:aws:s3:::" + s.Primary.Bucket + "/media/*", "arn:aws:s3:::" + s.Replica.Bucket + "/media/*"}
	slices.Sort(resources)
	slices.Sort(want)
	if !slices.Equal(resources, want) {
		t.Errorf("role policy resources %v, want %v", resources, want)
	}
	for _, a := range actions {
		if strings.Contains(a, "*") || a == "s3:ReplicateDelete" || a == "s3:GetObjectVersion" {
			t.Errorf("role policy action %s: not least privilege", a)
		}
	}
	app, err := parsePolicy(form("PutRolePolicy", 1).Get("PolicyDocument"))
	if err != nil || app.Statement[0].Resource[0] != "arn:aws:s3:::"+s.Replica.Bucket+"/media/*" || form("PutRolePolicy", 1).Get("PolicyName") != appPolicyName(s.Replica.Bucket, s.Prefix) {
		t.Errorf("app policy %v %+v", err, app)
	}
}

// TestForeignRuleKept: an existing configuration with another rule (to
// another bucket, over an overlapping prefix) under the same role: the
// plan keeps it and notes the overlap, apply sends both rules, and moto
// holds both.
func TestForeignRuleKept(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	e.versioning(s.Primary.Bucket, types.BucketVersioningStatusEnabled)
	s.RoleARN = e.role("given-role", "s3.amazonaws.com", replicationPolicy(s.withDefaults(), "us-east-1").String())
	other := e.bucket("elsewhere", "ap-southeast-2", true)
	e.mustDo(e.s3.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: &s.Primary.Bucket,
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: &s.RoleARN, Rules: []types.ReplicationRule{{
			ID: aws.String("foreign"), Priority: aws.Int32(3), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("media/movies/")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::" + other)}}}}}))
	p := mustPlan(t, ctx, s, e.clients)
	dumpPlan(t, p)
	st := step(p, 4)
	if st.Verdict != Change || !slices.ContainsFunc(st.Notes, func(n string) bool { return strings.Contains(n, "keeps rule foreign") }) ||
		!slices.ContainsFunc(st.Notes, func(n string) bool { return strings.Contains(n, "overlapping prefix") }) {
		t.Errorf("step 4: %+v", st)
	}
	if step(p, 3).Verdict != OK {
		t.Errorf("a given role that trusts S3 and allows the rule: %+v", step(p, 3))
	}
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	sent := string(e.requests("PutBucketReplication")[0].Body)
	if !strings.Contains(sent, "<ID>foreign</ID>") || !strings.Contains(sent, "<Priority>4</Priority>") {
		t.Errorf("PutBucketReplication did not keep the foreign rule or took its priority:\n%s", sent)
	}
	got, err := e.s3.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &s.Primary.Bucket})
	if err != nil || len(got.ReplicationConfiguration.Rules) != 2 {
		t.Fatalf("after apply: %v %+v", err, got)
	}
	if v := verdicts(mustPlan(t, ctx, s, e.clients)); v[3] != OK {
		t.Errorf("plan after apply: %v", v)
	}
}

// TestForeignRoleBlocked: a configuration whose role is another one is
// blocked, naming that role; apply changes nothing. --replace makes it a
// change that names the rules it drops.
func TestForeignRoleBlocked(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	e.versioning(s.Primary.Bucket, types.BucketVersioningStatusEnabled)
	foreign := "arn:aws:iam::" + s3test.MotoAccountID + ":role/someone-elses"
	e.mustDo(e.s3.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: &s.Primary.Bucket,
		ReplicationConfiguration: &types.ReplicationConfiguration{Role: &foreign, Rules: []types.ReplicationRule{{
			ID: aws.String("theirs"), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::" + e.bucket("theirs", "us-west-2", true))}}}}}))
	e.rec.Reset()
	p, err := Apply(ctx, s, e.clients)
	var be *BlockedError
	if !errors.As(err, &be) || be.Step.Number != 4 || !strings.Contains(be.Step.Reason, foreign) {
		t.Fatalf("apply: %v", err)
	}
	if ch := changing(e.rec.Ops()); len(ch) > 0 {
		t.Errorf("a blocked apply sent %v", ch)
	}
	dumpPlan(t, p)
	s.Replace = true
	p = mustPlan(t, ctx, s, e.clients)
	if st := step(p, 4); st.Verdict != Change || !strings.Contains(strings.Join(st.Changes, " "), "drop rule theirs") {
		t.Errorf("--replace: %+v", st)
	}
}

// TestSuspendedVersioning: Suspended versioning is a change with a note
// in the plan, changed only by apply, and a failed line in check.
func TestSuspendedVersioning(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	e.versioning(s.Primary.Bucket, types.BucketVersioningStatusEnabled)
	e.versioning(s.Primary.Bucket, types.BucketVersioningStatusSuspended)
	p := mustPlan(t, ctx, s, e.clients)
	if st := step(p, 2); st.Verdict != Change || !strings.Contains(strings.Join(st.Notes, " "), "Suspended on s3://"+s.Primary.Bucket) {
		t.Errorf("step 2: %+v", st)
	}
	s.Canaries = -1
	r, err := Check(ctx, s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	if l := line(r, "versioning on the primary"); l.Status != Fail || !strings.Contains(l.Reason, "Suspended") {
		t.Errorf("check line %+v", l)
	}
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	v, _ := e.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &s.Primary.Bucket})
	if v.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("after apply: %q", v.Status)
	}
}

func line(r *Report, name string) Line {
	for _, l := range r.Lines {
		if l.Name == name {
			return l
		}
	}
	return Line{}
}

// TestNoIAM: --no-iam makes no IAM or STS request; without --role-arn the
// role step is blocked with its documents, with it manual.
func TestNoIAM(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.NoIAM = true
	p := mustPlan(t, t.Context(), s, e.clients)
	if st := step(p, 3); st.Verdict != Blocked || len(st.Documents) != 2 || step(p, 4).Verdict != Blocked {
		t.Errorf("--no-iam without --role-arn: %+v / %+v", st, step(p, 4))
	}
	s.RoleARN = "arn:aws:iam::" + s3test.MotoAccountID + ":role/made-by-security"
	p = mustPlan(t, t.Context(), s, e.clients)
	if st := step(p, 3); st.Verdict != Manual || step(p, 4).Verdict != Create {
		t.Errorf("--no-iam with --role-arn: %+v / %+v", st, step(p, 4))
	}
	for _, op := range e.rec.Ops() {
		if slices.Contains(iamOps, op) {
			t.Errorf("--no-iam sent %s", op)
		}
	}
}

// TestGivenRoleChecked: a --role-arn role is read from IAM (inline and
// attached managed policies), never changed: one that S3 may not assume,
// or whose policies lack what the rule needs, blocks step 3 naming what is
// missing.
func TestGivenRoleChecked(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.RoleARN = e.role("not-for-s3", "ec2.amazonaws.com", replicationPolicy(s.withDefaults(), "us-east-1").String())
	if st := step(mustPlan(t, t.Context(), s, e.clients), 3); st.Verdict != Blocked || !strings.Contains(st.Reason, "trust") {
		t.Errorf("role S3 may not assume: %+v", st)
	}
	s.RoleARN = e.managedRole(replicationPolicy(s.withDefaults(), "us-east-1").String())
	if st := step(mustPlan(t, t.Context(), s, e.clients), 3); st.Verdict != OK {
		t.Errorf("role whose attached managed policy allows the rule: %+v", st)
	}
	s.Prefix = "media/"
	partial := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + s.Primary.Bucket + `*"}]}`
	s.RoleARN = e.role("half-role", "s3.amazonaws.com", partial)
	st := step(mustPlan(t, t.Context(), s, e.clients), 3)
	if st.Verdict != Blocked || !strings.Contains(st.Reason, "s3:ReplicateObject on arn:aws:s3:::"+s.Replica.Bucket+"/media/*") ||
		strings.Contains(st.Reason, "GetObjectVersionForReplication") {
		t.Errorf("role lacking the replica's permissions: %+v", st)
	}
	if ch := changing(e.rec.Ops()); len(ch) > 0 {
		t.Errorf("plan sent %v", ch)
	}
}

// TestCheckOnMoto: after apply, every line passes, the role read from
// IAM; moto does not replicate, so the canary is not run here (the MinIO
// tests run it).
func TestCheckOnMoto(t *testing.T) {
	e := newMotoEnv(t)
	s := e.fullSpec()
	if _, err := Apply(t.Context(), s, e.clients); err != nil {
		t.Fatal(err)
	}
	s.Canaries = -1
	r, err := Check(t.Context(), s, e.clients)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	PrintCheck(&b, r)
	t.Log("\n" + b.String())
	for _, l := range r.Lines {
		if l.Status != Pass && l.Name != "canary" {
			t.Errorf("line %+v", l)
		}
	}
	if l := line(r, "replication role"); !strings.Contains(l.Reason, "read from IAM, not assumed") {
		t.Errorf("role line %+v", l)
	}
	if ch := changing(e.rec.Ops()); slices.Contains(ch, "PutObject") {
		t.Errorf("check without canaries wrote objects")
	}
}

// TestBadInputRefusedBeforeAnyRequest: a bucket name that is not valid,
// a role ARN that is not an ARN, a replica equal to the primary: plan,
// apply and check refuse them with ErrUsage before sending anything.
func TestBadInputRefusedBeforeAnyRequest(t *testing.T) {
	e := newMotoEnv(t)
	for name, mod := range map[string]func(*Spec){
		"bad bucket name":  func(s *Spec) { s.Replica.Bucket = "Not_A_Bucket" },
		"role not an ARN":  func(s *Spec) { s.RoleARN = "my-replication-role" },
		"replica=primary":  func(s *Spec) { s.Replica.Bucket = s.Primary.Bucket },
		"no region":        func(s *Spec) { s.ReplicaRegion = "" },
		"tags and markers": func(s *Spec) { s.Tags, s.DeleteMarkers = []Tag{{"k", "v"}}, true },
	} {
		s := e.spec
		mod(&s)
		_, perr := MakePlan(t.Context(), s, e.clients)
		_, aerr := Apply(t.Context(), s, e.clients)
		_, cerr := Check(t.Context(), s, e.clients)
		for _, err := range []error{perr, aerr, cerr} {
			if !errors.Is(err, ErrUsage) {
				t.Errorf("%s: %v, want ErrUsage", name, err)
			}
		}
		t.Logf("%s: %v", name, perr)
	}
	if ops := e.rec.Ops(); len(ops) > 0 {
		t.Errorf("bad input sent %v", ops)
	}
}

// TestApplyRuleOptionsShapes: the rule's options as sent: prefix and two
// tags (And), storage class, RTC with metrics at 15 minutes, SSE-KMS
// selection and the replica's key; the replica's default encryption with
// that key; the role's KMS statements, each limited to S3 in its region.
// (moto reads these back without the filter and the selection criteria,
// so only the requests can show them.)
func TestApplyRuleOptionsShapes(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.Prefix, s.Tags, s.StorageClass, s.RTC = "media/", []Tag{{"dept", "comp"}, {"status", "final"}}, "STANDARD_IA", true
	s.ReplicaKMSKey = "arn:aws:kms:eu-west-2:" + s3test.MotoAccountID + ":key/11111111-2222-3333-4444-555555555555"
	s.PrimaryKMSKeys = []string{"arn:aws:kms:us-east-1:" + s3test.MotoAccountID + ":key/66666666-7777-8888-9999-000000000000"}
	if _, err := Apply(t.Context(), s, e.clients); err != nil {
		t.Fatal(err)
	}
	repl := string(e.requests("PutBucketReplication")[0].Body)
	for _, w := range []string{"<Filter><And><Prefix>media/</Prefix><Tag><Key>dept</Key><Value>comp</Value></Tag><Tag><Key>status</Key><Value>final</Value></Tag></And></Filter>",
		"<StorageClass>STANDARD_IA</StorageClass>", "<ReplicationTime><Status>Enabled</Status><Time><Minutes>15</Minutes></Time></ReplicationTime>",
		"<Metrics><EventThreshold><Minutes>15</Minutes></EventThreshold><Status>Enabled</Status></Metrics>",
		"<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status></SseKmsEncryptedObjects></SourceSelectionCriteria>",
		"<EncryptionConfiguration><ReplicaKmsKeyID>" + s.ReplicaKMSKey + "</ReplicaKmsKeyID></EncryptionConfiguration>",
		"<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>"} {
		wantIn(t, "PutBucketReplication", repl, w)
	}
	enc := string(e.requests("PutBucketEncryption")[0].Body)
	wantIn(t, "PutBucketEncryption", enc, "<KMSMasterKeyID>"+s.ReplicaKMSKey+"</KMSMasterKeyID><SSEAlgorithm>aws:kms</SSEAlgorithm>")
	v, _ := url.ParseQuery(string(e.requests("PutRolePolicy")[0].Body))
	pol, err := parsePolicy(v.Get("PolicyDocument"))
	if err != nil {
		t.Fatal(err)
	}
	kms := map[string]statement{}
	for _, st := range pol.Statement {
		if strings.HasPrefix(st.Action[0], "kms:") {
			kms[st.Sid] = st
		}
	}
	dec, encr := kms["DecryptPrimaryObjects"], kms["EncryptReplicasEuWest2"]
	if !slices.Equal(dec.Action, strList{"kms:Decrypt"}) || !slices.Equal(dec.Resource, strList(s.PrimaryKMSKeys)) ||
		dec.Condition["StringEquals"]["kms:ViaService"] != "s3.us-east-1.amazonaws.com" {
		t.Errorf("decrypt statement %+v", dec)
	}
	if !slices.Equal(encr.Resource, strList{s.ReplicaKMSKey}) || encr.Condition["StringEquals"]["kms:ViaService"] != "s3.eu-west-2.amazonaws.com" {
		t.Errorf("encrypt statement %+v", encr)
	}
}

// TestBlockedAndManualSteps: a replica name taken in another region, an
// inventory destination outside the primary's region, the application
// statement without --apply-app-policy.
func TestBlockedAndManualSteps(t *testing.T) {
	e := newMotoEnv(t)
	s := e.spec
	s.Replica.Bucket = e.bucket("replica-elsewhere", "ap-south-1", false)
	inv := s3url.URL{Bucket: e.bucket("inventory-elsewhere", "eu-west-1", false)}
	s.InventoryTo, s.AppRoleARN = &inv, "arn:aws:iam::"+s3test.MotoAccountID+":role/site-app"
	p := mustPlan(t, t.Context(), s, e.clients)
	dumpPlan(t, p)
	if st := step(p, 1); st.Verdict != Blocked || !strings.Contains(st.Reason, "--replica-region ap-south-1") {
		t.Errorf("step 1: %+v", st)
	}
	if st := step(p, 5); st.Verdict != Blocked || !strings.Contains(st.Reason, "only to a bucket in the source's region (us-east-1)") {
		t.Errorf("step 5: %+v", st)
	}
	if st := step(p, 6); st.Verdict != Manual || len(st.Documents) != 1 || !strings.Contains(string(st.Documents[0].JSON), "s3:GetObject") {
		t.Errorf("step 6: %+v", st)
	}
	if _, err := Apply(t.Context(), s, e.clients); err == nil {
		t.Error("apply with blocked steps did not refuse")
	}
	if ch := changing(e.rec.Ops()); len(ch) > 0 {
		t.Errorf("sent %v", ch)
	}
}
