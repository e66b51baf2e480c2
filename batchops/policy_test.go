package batchops

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/run"
)

func policySpec(t *testing.T, op Operation) *PolicySpec {
	s := &PolicySpec{Operation: op, From: loc(t, "s3://src/shows"), To: loc(t, "s3://dst/shows"), ReportTo: loc(t, "s3://rep/reports")}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func resources(d Document) map[string][]string {
	m := map[string][]string{}
	for _, st := range d.Statement {
		for _, a := range st.Action {
			m[a] = append(m[a], st.Resource...)
		}
	}
	return m
}

// Only the prefixes and locations involved; nothing broader.
func TestPermissionPolicyIsLeast(t *testing.T) {
	s := policySpec(t, Copy)
	d, notes := PermissionPolicy(s)
	r := resources(d)
	for action, want := range map[string]string{
		"s3:PutObject": "arn:aws:s3:::dst/shows/*", "s3:GetObject": "arn:aws:s3:::src/shows/*", "s3:ListBucket": "arn:aws:s3:::src",
		"s3:GetObjectVersion": "arn:aws:s3:::rep/reports/manifests/*",
	} {
		if len(r[action]) == 0 || r[action][0] != want {
			t.Errorf("%s on %v, want %s first", action, r[action], want)
		}
	}
	b, _ := json.Marshal(d)
	for _, bad := range []string{`"*"`, "s3:*", "arn:aws:s3:::*", "PutObjectAcl", "kms:", "InitiateReplication", "GetObjectVersionTagging"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("copy policy has %s: %s", bad, b)
		}
	}
	// ListBucket without an s3:prefix condition: S3 checks it on a GET of
	// a missing key, where no prefix is in the request (404, not 403).
	if strings.Contains(string(b), "s3:prefix") || len(notes) != 0 {
		t.Errorf("list condition or notes: %s %v", b, notes)
	}
	// The report grant covers the job's report folders, not the manifests
	// kept beside them (REPORT-TO/manifests/).
	if w := r["s3:PutObject"]; len(w) != 2 || w[1] != "arn:aws:s3:::rep/reports/job-*" {
		t.Errorf("PutObject on %v", w)
	}
	s.ACL, s.Versions, s.DestKMSKey, s.SourceKMSKeys, s.Generate = true, true, "arn:aws:kms:us-east-1:123456789012:key/d", []string{"arn:aws:kms:us-east-1:123456789012:key/s"}, true
	d, notes = PermissionPolicy(s)
	r = resources(d)
	if len(r["s3:PutObjectAcl"]) != 1 || len(r["s3:GetObjectVersionTagging"]) != 1 || r["kms:GenerateDataKey"][0] != s.DestKMSKey ||
		r["kms:Decrypt"][0] != s.SourceKMSKeys[0] || r["s3:PutInventoryConfiguration"][0] != "arn:aws:s3:::src" || len(notes) != 1 || !strings.Contains(notes[0], "UNCONFIRMED") {
		t.Errorf("copy policy with options: %v %v", r, notes)
	}
	d, _ = PermissionPolicy(policySpec(t, Replicate))
	r = resources(d)
	if r["s3:InitiateReplication"][0] != "arn:aws:s3:::src/shows/*" || len(r["s3:PutObject"]) != 1 || len(r["s3:GetObject"]) != 1 {
		t.Errorf("replicate policy %v", r)
	}
	if tp, _ := json.Marshal(TrustPolicy()); string(tp) != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":["sts:AssumeRole"]}]}` {
		t.Errorf("trust %s", tp)
	}
}

func TestPolicySpecValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*PolicySpec)
		want string
	}{
		{func(s *PolicySpec) { s.Operation = "x" }, "--operation"},
		{func(s *PolicySpec) { s.From.Bucket = "" }, "--from"},
		{func(s *PolicySpec) { s.ReportTo.Bucket = "" }, "--report-to"},
		{func(s *PolicySpec) { s.CreateRole = "bad name!" }, "--create-role"},
		{func(s *PolicySpec) { s.Update = true }, "--update goes with --create-role"},
		{func(s *PolicySpec) { s.DestKMSKey = "alias/x" }, "by ARN"},
		{func(s *PolicySpec) { s.To = s.From }, "--from s3://src/ and --to s3://src/ overlap"},
		{func(s *PolicySpec) { s.ReportTo = loc(t, "s3://dst/reports") }, "--report-to s3://dst/reports/ overlaps --to s3://dst/"},
	} {
		s := &PolicySpec{Operation: Copy, From: loc(t, "s3://src"), To: loc(t, "s3://dst"), ReportTo: loc(t, "s3://rep")}
		tc.mod(s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || run.ExitCode(err) != exitcode.Usage {
			t.Errorf("%v, want a usage error with %q", err, tc.want)
		}
	}
}

// fakeIAM records the role calls; documents come back URL-encoded as
// IAM returns them.
type fakeIAM struct {
	roles, policies map[string]string
	tags            map[string][]iamtypes.Tag
	attached        map[string][]string // role -> managed policy ARNs
	calls           []string
}

func newFakeIAM() *fakeIAM {
	return &fakeIAM{roles: map[string]string{}, policies: map[string]string{}, tags: map[string][]iamtypes.Tag{}, attached: map[string][]string{}}
}

func (f *fakeIAM) ListRoleTags(_ context.Context, in *iam.ListRoleTagsInput, _ ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	f.calls = append(f.calls, "ListRoleTags")
	return &iam.ListRoleTagsOutput{Tags: f.tags[*in.RoleName]}, nil
}

func (f *fakeIAM) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	f.calls = append(f.calls, "ListRolePolicies")
	var names []string
	for k := range f.policies {
		if role, name, _ := strings.Cut(k, "/"); role == *in.RoleName {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return &iam.ListRolePoliciesOutput{PolicyNames: names}, nil
}

func (f *fakeIAM) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	f.calls = append(f.calls, "ListAttachedRolePolicies")
	var out []iamtypes.AttachedPolicy
	for _, arn := range f.attached[*in.RoleName] {
		out = append(out, iamtypes.AttachedPolicy{PolicyArn: aws.String(arn)})
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: out}, nil
}

func (f *fakeIAM) DeleteRolePolicy(_ context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	f.calls = append(f.calls, "DeleteRolePolicy "+*in.PolicyName)
	delete(f.policies, *in.RoleName+"/"+*in.PolicyName)
	return &iam.DeleteRolePolicyOutput{}, nil
}

func (f *fakeIAM) DetachRolePolicy(_ context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	f.calls = append(f.calls, "DetachRolePolicy "+*in.PolicyArn)
	f.attached[*in.RoleName] = slices.DeleteFunc(f.attached[*in.RoleName], func(a string) bool { return a == *in.PolicyArn })
	return &iam.DetachRolePolicyOutput{}, nil
}

func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.calls = append(f.calls, "GetRole")
	doc, ok := f.roles[*in.RoleName]
	if !ok {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("no role")}
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{Arn: aws.String("arn:aws:iam::123456789012:role/" + *in.RoleName), AssumeRolePolicyDocument: aws.String(url.PathEscape(doc))}}, nil
}

func (f *fakeIAM) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.calls = append(f.calls, "CreateRole")
	f.roles[*in.RoleName] = *in.AssumeRolePolicyDocument
	f.tags[*in.RoleName] = in.Tags
	return &iam.CreateRoleOutput{Role: &iamtypes.Role{Arn: aws.String("arn:aws:iam::123456789012:role/" + *in.RoleName)}}, nil
}

func (f *fakeIAM) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	f.calls = append(f.calls, "GetRolePolicy")
	doc, ok := f.policies[*in.RoleName+"/"+*in.PolicyName]
	if !ok {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("no policy")}
	}
	return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(url.PathEscape(doc))}, nil
}

func (f *fakeIAM) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	f.calls = append(f.calls, "PutRolePolicy")
	f.policies[*in.RoleName+"/"+*in.PolicyName] = *in.PolicyDocument
	return &iam.PutRolePolicyOutput{}, nil
}

func (f *fakeIAM) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	f.calls = append(f.calls, "UpdateAssumeRolePolicy")
	f.roles[*in.RoleName] = *in.PolicyDocument
	return &iam.UpdateAssumeRolePolicyOutput{}, nil
}

func TestEnsureRole(t *testing.T) {
	f := newFakeIAM()
	ctx := context.Background()
	perm, _ := PermissionPolicy(policySpec(t, Copy))
	arn, did, err := ensureRole(ctx, f, "batch", TrustPolicy(), perm, false)
	if err != nil || did != "created" || arn != "arn:aws:iam::123456789012:role/batch" || strings.Join(f.calls, ",") != "GetRole,CreateRole,PutRolePolicy" {
		t.Fatalf("create: %s %s %v %v", arn, did, err, f.calls)
	}
	if tg := f.tags["batch"]; len(tg) != 1 || *tg[0].Key != "created-by" {
		t.Errorf("the role is not tagged as backfill's: %v", tg)
	}
	f.calls = nil
	if _, did, err = ensureRole(ctx, f, "batch", TrustPolicy(), perm, false); err != nil || !strings.HasPrefix(did, "unchanged") ||
		strings.Join(f.calls, ",") != "GetRole,ListRoleTags,GetRolePolicy,ListRolePolicies,ListAttachedRolePolicies" {
		t.Errorf("again: %s %v %v", did, err, f.calls)
	}
	s := policySpec(t, Copy)
	s.ACL = true
	other, _ := PermissionPolicy(s)
	f.calls = nil
	if _, _, err = ensureRole(ctx, f, "batch", TrustPolicy(), other, false); err == nil || run.ExitCode(err) != exitcode.Failed || !strings.Contains(err.Error(), "--update") ||
		slices.ContainsFunc(f.calls, func(c string) bool { return strings.HasPrefix(c, "Put") || strings.HasPrefix(c, "Update") }) {
		t.Errorf("a change without --update: %v %v", err, f.calls)
	}
	f.calls = nil
	if _, did, err = ensureRole(ctx, f, "batch", TrustPolicy(), other, true); err != nil || !strings.HasPrefix(did, "updated") || !strings.Contains(strings.Join(f.calls, ","), "PutRolePolicy") {
		t.Errorf("--update: %s %v %v", did, err, f.calls)
	}
}

// A role with more than backfill's policies (another inline policy, an
// attached managed one such as AdministratorAccess) is not "unchanged":
// it is refused, naming them, and --update removes them.
func TestEnsureRoleExtraPolicies(t *testing.T) {
	f := newFakeIAM()
	ctx := context.Background()
	perm, _ := PermissionPolicy(policySpec(t, Copy))
	if _, _, err := ensureRole(ctx, f, "batch", TrustPolicy(), perm, false); err != nil {
		t.Fatal(err)
	}
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	f.attached["batch"] = []string{admin}
	f.policies["batch/extra"] = `{"Version":"2012-10-17","Statement":[]}`
	_, _, err := ensureRole(ctx, f, "batch", TrustPolicy(), perm, false)
	if err == nil || !strings.Contains(err.Error(), admin) || !strings.Contains(err.Error(), "extra") || !errors.Is(err, errRoleDiffers) {
		t.Fatalf("a role with other policies: %v", err)
	}
	f.calls = nil
	_, did, err := ensureRole(ctx, f, "batch", TrustPolicy(), perm, true)
	calls := strings.Join(f.calls, ",")
	if err != nil || !strings.HasPrefix(did, "updated") || !strings.Contains(calls, "DetachRolePolicy "+admin) || !strings.Contains(calls, "DeleteRolePolicy extra") ||
		len(f.attached["batch"]) != 0 {
		t.Errorf("--update: %s %v %s", did, err, calls)
	}
}

// A role backfill created (tagged) whose PutRolePolicy never happened is
// finished without --update; an untagged role without the policy is not.
func TestEnsureRoleHalfMade(t *testing.T) {
	f := newFakeIAM()
	ctx := context.Background()
	perm, _ := PermissionPolicy(policySpec(t, Copy))
	trust, _ := json.Marshal(TrustPolicy())
	f.roles["half"], f.tags["half"] = string(trust), []iamtypes.Tag{roleTag}
	f.roles["theirs"] = string(trust)
	_, did, err := ensureRole(ctx, f, "half", TrustPolicy(), perm, false)
	if err != nil || !strings.HasPrefix(did, "finished") || f.policies["half/"+RolePolicyName] == "" {
		t.Errorf("a half-made role of backfill's: %s %v", did, err)
	}
	if _, _, err := ensureRole(ctx, f, "theirs", TrustPolicy(), perm, false); err == nil || !strings.Contains(err.Error(), "no permission policy") {
		t.Errorf("someone else's role: %v", err)
	}
}

func TestSameJSON(t *testing.T) {
	want := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}`)
	got := url.PathEscape(`{"Statement": [{"Resource": "arn:aws:s3:::b/*", "Action": "s3:GetObject", "Effect": "Allow"}], "Version": "2012-10-17"}`)
	if !sameJSON(got, want) || sameJSON(strings.Replace(got, "GetObject", "PutObject", 1), want) {
		t.Error("sameJSON")
	}
}

func TestCovers(t *testing.T) {
	rule := func(id, prefix string, tags bool, status s3types.ReplicationRuleStatus) s3types.ReplicationRule {
		f := &s3types.ReplicationRuleFilter{Prefix: aws.String(prefix)}
		if tags {
			f = &s3types.ReplicationRuleFilter{And: &s3types.ReplicationRuleAndOperator{Prefix: aws.String(prefix), Tags: []s3types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}}
		}
		return s3types.ReplicationRule{ID: aws.String(id), Status: status, Filter: f, Destination: &s3types.Destination{Bucket: aws.String("arn:aws:s3:::dst")}}
	}
	for _, tc := range []struct {
		rules  []s3types.ReplicationRule
		prefix string
		state  string
		note   string
	}{
		{[]s3types.ReplicationRule{rule("all", "", false, "Enabled")}, "s3://src/shows", "covers", `rule "all" replicates s3://src/ to dst`},
		{[]s3types.ReplicationRule{rule("shows", "shows/", false, "Enabled")}, "s3://src/shows/alpha", "covers", ""},
		{[]s3types.ReplicationRule{rule("alpha", "shows/alpha/", false, "Enabled")}, "s3://src/shows", "none", `rule "alpha" covers only s3://src/shows/alpha/`},
		{[]s3types.ReplicationRule{rule("tagged", "", true, "Enabled")}, "s3://src", "none", "tagged objects only"},
		{[]s3types.ReplicationRule{rule("off", "", false, "Disabled")}, "s3://src", "none", "no enabled rule"},
		{nil, "s3://src", "none", "no replication rule"},
	} {
		c := covers(&s3types.ReplicationConfiguration{Rules: tc.rules}, loc(t, tc.prefix))
		if c.State != tc.state || !strings.Contains(c.Note, tc.note) {
			t.Errorf("%s: %+v, want %s with %q", tc.prefix, c, tc.state, tc.note)
		}
	}
}
