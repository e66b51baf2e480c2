package setup

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPolicyDenies: which Deny statements of a bucket policy apply to the
// replication role on what it needs: unconditional ones that cover the
// whole prefix block; conditional ones, and ones on part of the prefix,
// are doubts; ones for other principals, on other actions, or whose
// NotPrincipal names the role, do not count.
func TestPolicyDenies(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/repl"
	want := []permission{{"s3:ReplicateObject", "arn:aws:s3:::r/media/*"}, {"s3:ReplicateTags", "arn:aws:s3:::r/media/*"}}
	for _, tc := range []struct {
		name, st      string
		block, doubt  bool
		wantInMessage string
	}{
		{"everyone", `{"Sid":"NoWrites","Effect":"Deny","Principal":"*","Action":"s3:Replicate*","Resource":"arn:aws:s3:::r/*"}`,
			true, false, "statement NoWrites of R denies s3:ReplicateObject, s3:ReplicateTags"},
		{"the role", `{"Effect":"Deny","Principal":{"AWS":"` + role + `"},"Action":"s3:*","Resource":"arn:aws:s3:::r/*"}`, true, false, "statement #1"},
		{"its account", `{"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::r/*"}`,
			true, false, "s3:ReplicateObject"},
		{"VPC endpoint only", `{"Sid":"VPCE","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::r","arn:aws:s3:::r/*"],
			"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`, false, true, "when StringNotEquals aws:SourceVpce"},
		{"part of the prefix", `{"Sid":"Locked","Effect":"Deny","Principal":"*","Action":"s3:ReplicateObject","Resource":"arn:aws:s3:::r/media/locked/*"}`,
			false, true, "on part of the keys"},
		{"another principal", `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"s3:*","Resource":"arn:aws:s3:::r/*"}`, false, false, ""},
		{"a service", `{"Effect":"Deny","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:*","Resource":"arn:aws:s3:::r/*"}`, false, false, ""},
		{"other actions", `{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject*","Resource":"arn:aws:s3:::r/*"}`, false, false, ""},
		{"other keys", `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::r/docs/*"}`, false, false, ""},
		{"NotPrincipal names the role", `{"Effect":"Deny","NotPrincipal":{"AWS":["` + role + `"]},"Action":"s3:*","Resource":"arn:aws:s3:::r/*"}`, false, false, ""},
		{"NotPrincipal names another", `{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/admin"},"Action":"s3:*","Resource":"arn:aws:s3:::r/*"}`,
			true, false, "s3:ReplicateObject"},
		{"an Allow", `{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::r/*"}`, false, false, ""},
	} {
		doc, err := parsePolicy(`{"Version":"2012-10-17","Statement":[` + tc.st + `]}`)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		blocks, doubts := policyDenies(doc, "R", role, want)
		all := strings.Join(append(blocks, doubts...), "\n")
		if (len(blocks) > 0) != tc.block || (len(doubts) > 0) != tc.doubt || !strings.Contains(all, tc.wantInMessage) {
			t.Errorf("%s: blocks %q, doubts %q", tc.name, blocks, doubts)
		}
	}
}

// TestBucketPolicyDenyOnMoto: after apply, a Deny in the replica's bucket
// policy that refuses the role's replication writes blocks step 4 and
// fails check's line, naming the statement; a Deny on a VPC endpoint
// condition is named in step 4's notes and leaves check's line not
// checked (not passed); a policy that denies nothing replication does
// passes.
func TestBucketPolicyDenyOnMoto(t *testing.T) {
	e := newMotoEnv(t)
	ctx := t.Context()
	s := e.spec
	if _, err := Apply(ctx, s, e.clients); err != nil {
		t.Fatal(err)
	}
	rep := "arn:aws:s3:::" + s.Replica.Bucket
	put := func(statement string) {
		e.mustDo(e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &s.Replica.Bucket,
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[` + statement + `]}`)}))
	}
	check := func() Line {
		t.Helper()
		cs := s
		cs.Canaries = -1
		r, err := Check(ctx, cs, e.clients)
		if err != nil {
			t.Fatal(err)
		}
		return line(r, "bucket policies")
	}
	if l := check(); l.Status != Pass {
		t.Errorf("no policy: %+v", l)
	}
	put(`{"Sid":"NoReplicas","Effect":"Deny","Principal":"*","Action":"s3:ReplicateObject","Resource":"` + rep + `/*"}`)
	st := step(mustPlan(t, ctx, s, e.clients), 4)
	if st.Verdict != Blocked || !strings.Contains(st.Reason, "statement NoReplicas of s3://"+s.Replica.Bucket+"'s bucket policy denies s3:ReplicateObject") {
		t.Errorf("step 4 with an unconditional Deny: %+v", st)
	}
	if l := check(); l.Status != Fail || !strings.Contains(l.Reason, "NoReplicas") {
		t.Errorf("check with an unconditional Deny: %+v", l)
	}
	put(`{"Sid":"VPCEOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["` + rep + `","` + rep + `/*"],
		"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`)
	st = step(mustPlan(t, ctx, s, e.clients), 4)
	if st.Verdict != OK || !strings.Contains(strings.Join(st.Notes, " "), "statement VPCEOnly of s3://"+s.Replica.Bucket+"'s bucket policy denies") {
		t.Errorf("step 4 with a conditional Deny: %+v", st)
	}
	if l := check(); l.Status != NotChecked || !strings.Contains(l.Reason, "StringNotEquals aws:SourceVpce") {
		t.Errorf("check with a conditional Deny: %+v", l)
	}
	put(`{"Sid":"KeepDocs","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"` + rep + `/*"}`)
	if l := check(); l.Status != Pass {
		t.Errorf("a Deny of nothing replication does: %+v", l)
	}
}
