package setup

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestDefaultRoleNameLongPrimaries: two long primary names that share
// their first 43 characters get roles of their own, each a valid name.
func TestDefaultRoleNameLongPrimaries(t *testing.T) {
	common := strings.Repeat("studio-media-archive-", 3)[:50]
	a, b := defaultRoleName(common+"-europe"), defaultRoleName(common+"-asia")
	if a == b || len(a) > 64 || len(b) > 64 || checkRoleName(a) != nil || checkRoleName(b) != nil {
		t.Errorf("%q and %q", a, b)
	}
	if got := defaultRoleName("studio-media"); got != "backfill-replication-studio-media" {
		t.Errorf("short name changed: %q", got)
	}
}

// TestRolePolicyServesEveryRule: the role's policy covers every rule it
// serves (each destination and prefix; deletes only where a rule
// replicates them; a replica key per region), and a prefix another one
// covers is not repeated.
func TestRolePolicyServesEveryRule(t *testing.T) {
	s := goodSpec().withDefaults()
	keyEU := "arn:aws:kms:eu-west-2:123456789012:key/aaaa"
	keyAP := "arn:aws:kms:ap-south-1:123456789012:key/bbbb"
	d := rolePolicy(s, "us-east-1", []ruleGrant{
		{prefix: "media/", dest: "arn:aws:s3:::r1", replicaKey: keyEU, sseKMS: true},
		{prefix: "", dest: "arn:aws:s3:::r2", deleteMarkers: true, replicaKey: keyAP, sseKMS: true},
		{prefix: "media/shows/", dest: "arn:aws:s3:::r3"},
	})
	by := bySid(d)
	if got := by["ReadPrimaryVersions"].Resource; !slices.Equal(got, strList{"arn:aws:s3:::studio-media/*"}) {
		t.Errorf("read %v", got)
	}
	if got := by["WriteReplicas"].Resource; !slices.Equal(got, strList{"arn:aws:s3:::r1/media/*", "arn:aws:s3:::r2/*", "arn:aws:s3:::r3/media/shows/*"}) {
		t.Errorf("write %v", got)
	}
	if got := by["ReplicateDeleteMarkers"].Resource; !slices.Equal(got, strList{"arn:aws:s3:::r2/*"}) {
		t.Errorf("deletes %v", got)
	}
	if by["EncryptReplicasEuWest2"].Resource[0] != keyEU || by["EncryptReplicasApSouth1"].Resource[0] != keyAP ||
		by["EncryptReplicasApSouth1"].Condition["StringEquals"]["kms:ViaService"] != "s3.ap-south-1.amazonaws.com" {
		t.Errorf("encrypt statements %+v", d.Statement)
	}
	if _, ok := by["DecryptPrimaryObjects"]; ok {
		t.Error("a decrypt statement without --primary-kms-key")
	}
}

// TestEvaluate: NotAction and NotResource are read; a Deny with
// conditions, or a NotResource that may cut into the resource, leaves
// the permission unresolved, not missing.
func TestEvaluate(t *testing.T) {
	want := []permission{{"s3:ReplicateObject", "arn:aws:s3:::r/media/*"}}
	for _, tc := range []struct {
		name, doc        string
		missing, unclear bool
	}{
		{"NotAction allows", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, false, false},
		{"NotAction excludes", `{"Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}`, true, false},
		{"NotResource elsewhere", `{"Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::other/*"}]}`, false, false},
		{"NotResource covers it", `{"Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::r/*"}]}`, true, false},
		{"NotResource cuts in", `{"Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::r/media/secret/*"}]}`, false, true},
		{"conditional Deny", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, false, true},
		{"Deny", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:Replicate*","Resource":"arn:aws:s3:::r/*"}]}`, true, false},
		{"Deny with NotResource elsewhere", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
			{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::r/*"}]}`, false, false},
	} {
		d, err := parsePolicy(tc.doc)
		if err != nil {
			t.Fatal(err)
		}
		ev := evaluate([]policyDoc{d}, want)
		if (len(ev.missing) > 0) != tc.missing || (len(ev.unresolved) > 0) != tc.unclear {
			t.Errorf("%s: %+v", tc.name, ev)
		}
	}
}

// TestPolicyDiff: statements added, removed and changed, by Sid.
func TestPolicyDiff(t *testing.T) {
	cur, _ := parsePolicy(`{"Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:X","s3:Y"],"Resource":"arn:aws:s3:::b/*"},
		{"Sid":"Gone","Effect":"Allow","Action":"s3:Z","Resource":"*"}]}`)
	want, _ := parsePolicy(`{"Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:X","s3:W"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::c/*"]},
		{"Sid":"New","Effect":"Allow","Action":"s3:V","Resource":"arn:aws:s3:::d"}]}`)
	got := policyDiff(cur, want)
	wantLines := []string{
		"statement A: add action s3:W; remove action s3:Y; add resource arn:aws:s3:::c/*",
		"remove statement Gone: Allow s3:Z on *",
		"add statement New: Allow s3:V on arn:aws:s3:::d",
	}
	if !slices.Equal(got, wantLines) {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	if d := policyDiff(cur, cur); len(d) > 0 {
		t.Errorf("a policy differs from itself: %v", d)
	}
}

// TestAlsoReplicatedTo: the other enabled rules whose filter covers the
// canaries, to another destination, are named; disabled ones, ones to the
// same replica, and ones whose prefix or tags miss the canaries are not.
func TestAlsoReplicatedTo(t *testing.T) {
	rule := func(id, prefix, dest string, status types.ReplicationRuleStatus, tags ...types.Tag) types.ReplicationRule {
		f := &types.ReplicationRuleFilter{Prefix: aws.String(prefix)}
		if len(tags) > 0 {
			f = &types.ReplicationRuleFilter{And: &types.ReplicationRuleAndOperator{Prefix: aws.String(prefix), Tags: tags}}
		}
		return types.ReplicationRule{ID: aws.String(id), Status: status, Filter: f, Destination: &types.Destination{Bucket: aws.String(dest)}}
	}
	on, off := types.ReplicationRuleStatusEnabled, types.ReplicationRuleStatusDisabled
	ours := rule("ours", "media/", "arn:aws:s3:::replica", on)
	cfg := &types.ReplicationConfiguration{Rules: []types.ReplicationRule{ours,
		rule("dr", "", "arn:aws:s3:::dr", on), rule("off", "", "arn:aws:s3:::x", off), rule("same", "", "arn:aws:s3:::replica", on),
		rule("docs", "docs/", "arn:aws:s3:::y", on), rule("tagged", "media/", "arn:aws:s3:::z", on, types.Tag{Key: aws.String("k"), Value: aws.String("v")})}}
	got := alsoReplicatedTo(cfg, &ours, "media/"+CanaryDir, nil)
	if !slices.Equal(got, []string{"rule dr also replicates the canaries to arn:aws:s3:::dr"}) {
		t.Errorf("got %v", got)
	}
	if got := alsoReplicatedTo(cfg, &ours, "media/"+CanaryDir, []Tag{{"k", "v"}}); len(got) != 2 {
		t.Errorf("with the tag: %v", got)
	}
}
