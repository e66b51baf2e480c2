package setup

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/internal/s3url"
)

func goodSpec() Spec {
	return Spec{Primary: s3url.URL{Bucket: "studio-media"}, Replica: s3url.URL{Bucket: "studio-media-replica"}, ReplicaRegion: "eu-west-2"}
}

// TestValidate: every bad input is refused with ErrUsage and a message
// naming the flag; good ones pass.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Spec)
		want string // in the error; "" = valid
	}{
		{"good", func(*Spec) {}, ""},
		{"good MinIO target", func(s *Spec) {
			s.RoleARN = "arn:minio:replication:eu-west-2:0b6c6a0e-5f3a-4e1e-9c1a-3f3c2b1a0d9e:studio-media-replica"
		}, ""},
		{"good role with path", func(s *Spec) { s.RoleARN = "arn:aws:iam::123456789012:role/service/replication" }, ""},
		{"no replica region", func(s *Spec) { s.ReplicaRegion = "" }, "--replica-region REGION is required"},
		{"bad region", func(s *Spec) { s.ReplicaRegion = "Europe" }, "not a region name"},
		{"no primary", func(s *Spec) { s.Primary = s3url.URL{} }, "--primary s3://BUCKET is required"},
		{"replica equal to primary", func(s *Spec) { s.Replica.Bucket = "studio-media" }, "cannot be its own replica"},
		{"replica equal to primary, case", func(s *Spec) { s.Replica.Bucket = "Studio-Media" }, "cannot be its own replica"},
		{"replica uppercase", func(s *Spec) { s.Replica.Bucket = "Studio_Replica" }, "lowercase letters, digits"},
		{"replica too short", func(s *Spec) { s.Replica.Bucket = "ab" }, "3 to 63"},
		{"replica ends with dash", func(s *Spec) { s.Replica.Bucket = "replica-" }, "start and end with a letter or a digit"},
		{"replica two dots", func(s *Spec) { s.Replica.Bucket = "my..replica" }, "two adjacent periods"},
		{"replica IP", func(s *Spec) { s.Replica.Bucket = "192.168.10.12" }, "IP address"},
		{"replica reserved prefix", func(s *Spec) { s.Replica.Bucket = "xn--replica" }, "reserved prefix"},
		{"replica reserved suffix", func(s *Spec) { s.Replica.Bucket = "replica-s3alias" }, "reserved suffix"},
		{"replica with a prefix", func(s *Spec) { s.Replica.Prefix = "media/" }, "a bucket only"},
		{"role ARN not an ARN", func(s *Spec) { s.RoleARN = "backfill-replication" }, "is not an ARN"},
		{"role ARN of a user", func(s *Spec) { s.RoleARN = "arn:aws:iam::123456789012:user/bob" }, "not an IAM role ARN"},
		{"role ARN short account", func(s *Spec) { s.RoleARN = "arn:aws:iam::1234:role/r" }, "not an IAM role ARN"},
		{"MinIO target of another bucket", func(s *Spec) { s.RoleARN = "arn:minio:replication:eu-west-2:id:other" }, "another bucket"},
		{"bad role name", func(s *Spec) { s.RoleName = "has space" }, "--role-name"},
		{"tags with delete markers", func(s *Spec) { s.Tags, s.DeleteMarkers = []Tag{{"show", "alpha"}}, true }, "cannot go with --tag"},
		{"empty tag key", func(s *Spec) { s.Tags = []Tag{{"", "x"}} }, "the key is empty"},
		{"aws: tag", func(s *Spec) { s.Tags = []Tag{{"aws:x", "y"}} }, "reserved"},
		{"bad storage class", func(s *Spec) { s.StorageClass = "CHEAP" }, "not an S3 storage class"},
		{"KMS key not an ARN", func(s *Spec) { s.ReplicaKMSKey = "alias/media" }, "not a KMS key ARN"},
		{"KMS key in another region", func(s *Spec) {
			s.ReplicaKMSKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		}, "is in us-east-1, not in eu-west-2"},
		{"primary key without replica key", func(s *Spec) {
			s.PrimaryKMSKeys = []string{"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
		}, "give --replica-kms-key too"},
		{"apply app policy without role", func(s *Spec) { s.ApplyAppPolicy = true }, "needs --app-role-arn"},
		{"apply app policy with no IAM", func(s *Spec) {
			s.AppRoleARN, s.ApplyAppPolicy, s.NoIAM = "arn:aws:iam::123456789012:role/site", true, true
		}, "cannot go with --no-iam"},
		{"inventory to the replica", func(s *Spec) { s.InventoryTo = &s3url.URL{Bucket: "studio-media-replica"} }, "primary's region"},
		{"bad proxy URL", func(s *Spec) { s.ProxyURL = "media.example.com" }, "not an http(s) URL"},
		{"prefixes disagree", func(s *Spec) { s.Primary.Prefix, s.Prefix = "a/", "b/" }, "differ"},
		{"negative priority", func(s *Spec) { s.Priority = -1 }, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodSpec()
			tc.mod(&s)
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (!errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want ErrUsage with %q", err, tc.want)
			}
		})
	}
}

// TestMatchesAny: IAM wildcards, actions case-insensitive, a wanted
// resource ending in * matched as written.
func TestMatchesAny(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		s        string
		want     bool
	}{
		{[]string{"s3:*"}, "s3:ReplicateObject", true},
		{[]string{"S3:replicate*"}, "s3:ReplicateObject", true},
		{[]string{"s3:Get*"}, "s3:ReplicateObject", false},
		{[]string{"*"}, "kms:Decrypt", true},
		{[]string{"arn:aws:s3:::b/*"}, "arn:aws:s3:::b/media/*", true},
		{[]string{"arn:aws:s3:::b/media/*"}, "arn:aws:s3:::b/*", false},
		{[]string{"arn:aws:s3:::b/media/x*"}, "arn:aws:s3:::b/media/*", false},
		{[]string{"arn:aws:s3:::b*"}, "arn:aws:s3:::b", true},
		{[]string{"arn:aws:s3:::b"}, "arn:aws:s3:::b/*", false},
		{[]string{"arn:aws:s3:::b?/*"}, "arn:aws:s3:::bb/x/*", true},
		{[]string{"arn:aws:s3:::[b]/*"}, "arn:aws:s3:::b/*", false},
	} {
		if got := matchesAny(tc.patterns, tc.s); got != tc.want {
			t.Errorf("matchesAny(%q, %q) = %v, want %v", tc.patterns, tc.s, got, tc.want)
		}
	}
}

// TestMissing: an explicit Deny wins; an Allow elsewhere does not cover
// another bucket.
func TestMissing(t *testing.T) {
	s := goodSpec().withDefaults()
	want := required(replicationPolicy(s, "us-east-1"))
	if m := missing([]policyDoc{replicationPolicy(s, "us-east-1")}, want); len(m) != 0 {
		t.Errorf("the policy itself lacks %v", m)
	}
	broad, _ := parsePolicy(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	deny, _ := parsePolicy(`{"Statement":[{"Effect":"Deny","Action":"s3:Replicate*","Resource":"arn:aws:s3:::studio-media-replica/*"}]}`)
	if m := missing([]policyDoc{broad}, want); len(m) != 0 {
		t.Errorf("s3:* on * lacks %v", m)
	}
	m := missing([]policyDoc{broad, deny}, want)
	if len(m) != 2 || m[0].Action != "s3:ReplicateObject" {
		t.Errorf("with a Deny: %v", m)
	}
}

// TestRecommend: twice the slowest, at least 15 minutes without RTC,
// rounded up to a minute.
func TestRecommend(t *testing.T) {
	for _, tc := range []struct {
		slowest time.Duration
		rtc     bool
		want    string
	}{
		{120 * time.Millisecond, false, "15m0s"},
		{120 * time.Millisecond, true, "1m0s"},
		{9 * time.Minute, false, "18m0s"},
		{7*time.Minute + 31*time.Second, true, "16m0s"},
	} {
		r := recommend(tc.slowest, 5, tc.rtc)
		if r.Delay != tc.want || r.MinAge != tc.want || !strings.Contains(r.Basis, "a measurement, not a guarantee") {
			t.Errorf("recommend(%s, rtc %v) = %+v, want %s", tc.slowest, tc.rtc, r, tc.want)
		}
	}
}

// TestMergeStatement: backfill's statement is added or replaced by Sid;
// every other statement and key is kept; a single-statement document is
// read too; the same statement again changes nothing.
func TestMergeStatement(t *testing.T) {
	s := goodSpec().withDefaults()
	s.InventoryTo = &s3url.URL{Bucket: "inventories", Prefix: "daily/"}
	st := inventoryStatement(s, "us-east-1", "123456789012")
	existing := `{"Version":"2012-10-17","Id":"keep-me","Statement":{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::inventories/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`
	merged, changed, err := mergeStatement(existing, st)
	if err != nil || !changed {
		t.Fatalf("merge: %v, changed %v", err, changed)
	}
	for _, want := range []string{`"Id": "keep-me"`, `"Sid": "Theirs"`, `"aws:SecureTransport"`, `"Sid": "` + inventorySid("studio-media") + `"`} {
		if !strings.Contains(merged, want) {
			t.Errorf("merged policy lacks %s:\n%s", want, merged)
		}
	}
	again, changed, err := mergeStatement(merged, st)
	if err != nil || changed || again != merged {
		t.Errorf("merging again: %v, changed %v", err, changed)
	}
	if _, _, err := mergeStatement("{not json", st); err == nil {
		t.Error("a policy that is not JSON was merged")
	}
}

// TestOverlapNoted: a rule over an overlapping prefix to another
// destination is legal: the plan adds ours and notes it, refusing
// nothing; one over a disjoint prefix is not mentioned.
func TestOverlapNoted(t *testing.T) {
	s := goodSpec().withDefaults()
	s.Prefix = "shows/alpha/"
	w := &world{s: s, roleARN: "arn:aws:iam::123456789012:role/r"}
	rule := func(id, prefix, dest string) types.ReplicationRule {
		return types.ReplicationRule{ID: aws.String(id), Priority: aws.Int32(1), Status: types.ReplicationRuleStatusEnabled,
			Filter: &types.ReplicationRuleFilter{Prefix: aws.String(prefix)}, Destination: &types.Destination{Bucket: aws.String(dest)}}
	}
	cur := &types.ReplicationConfiguration{Role: aws.String(w.roleARN), Rules: []types.ReplicationRule{
		rule("dr", "shows/", "arn:aws:s3:::disaster-recovery"), rule("docs", "docs/", "arn:aws:s3:::archive")}}
	st := &Step{Verdict: OK}
	w.mergeRule(st, cur, w.desiredRule())
	notes := strings.Join(st.Notes, "\n")
	if st.Verdict != Change || !strings.Contains(notes, `rule dr replicates the overlapping prefix "shows/" to arn:aws:s3:::disaster-recovery: legal`) ||
		strings.Contains(notes, "rule docs replicates") || !strings.Contains(notes, "keeps rule docs") {
		t.Errorf("verdict %s, notes:\n%s", st.Verdict, notes)
	}
}

// TestSummarize: each way a canary can end is named, and the delays are
// those of the arrived ones only.
func TestSummarize(t *testing.T) {
	ks := []*canary{
		{key: "a", delay: 40 * time.Millisecond, primary: types.ReplicationStatusCompleted},
		{key: "b", delay: 10 * time.Millisecond, primary: types.ReplicationStatusComplete},
		{key: "c", failed: "FAILED on the primary", primary: types.ReplicationStatusFailed},
		{key: "d", failed: "FAILED on the primary", primary: types.ReplicationStatusFailed, replicaErr: "the replica cannot be read: x"},
		{key: "e"},
		{key: "f", primary: types.ReplicationStatusPending, everPending: true},
		{key: "g", delay: time.Second, primary: types.ReplicationStatusPending, everPending: true},
	}
	res := &CanaryResult{Written: len(ks)}
	summarize(res, ks, time.Minute)
	if res.Arrived != 2 || res.MinMS != 10 || res.MaxMS != 40 || res.MedianMS != 25 {
		t.Errorf("delays: %+v", res)
	}
	if want := []string{"failed", "unreadable", "no-status", "pending"}; !slices.Equal(res.Observed, want) {
		t.Errorf("observed %v, want %v", res.Observed, want)
	}
	for i, want := range []string{"c: FAILED on the primary", "d: FAILED on the primary; the replica cannot be read", "e: no replication status",
		"f: still PENDING", "g: REPLICA in the replica, but PENDING"} {
		if !strings.HasPrefix(res.Failures[i], want) {
			t.Errorf("failure %d: %q, want %q...", i, res.Failures[i], want)
		}
	}
}

// movedAPI answers HeadBucket as S3 does for a bucket in another region
// than the client's: 301 with x-amz-bucket-region.
type movedAPI struct{ bucketReadAPI }

func (movedAPI) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	resp := &http.Response{StatusCode: 301, Header: http.Header{"X-Amz-Bucket-Region": []string{"us-west-1"}}}
	return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: errors.New("moved")}
}

// TestReadBucketElsewhere: a replica that exists in another region is
// known by the 301's header, without any other request (which would be
// redirected too), and step 1 is blocked saying so.
func TestReadBucketElsewhere(t *testing.T) {
	b, err := readBucket(context.Background(), movedAPI{}, "studio-media-replica", "eu-west-2", true)
	if err != nil || !b.exists || b.region != "us-west-1" || !b.elsewhere {
		t.Fatalf("%+v %v", b, err)
	}
	w := &world{s: goodSpec().withDefaults(), replica: b, primary: bucketState{region: "us-east-1"}}
	if st := w.planBucket(); st.Verdict != Blocked || !strings.Contains(st.Reason, "--replica-region us-west-1") {
		t.Errorf("step 1: %+v", st)
	}
}

// TestReplicationPolicyDeletes: s3:ReplicateDelete only when the rule
// replicates delete markers (least privilege).
func TestReplicationPolicyDeletes(t *testing.T) {
	s := goodSpec().withDefaults()
	has := func(d policyDoc) bool {
		for _, st := range d.Statement {
			if slices.Contains(st.Action, "s3:ReplicateDelete") {
				return true
			}
		}
		return false
	}
	if has(replicationPolicy(s, "us-east-1")) {
		t.Error("ReplicateDelete without --delete-markers")
	}
	s.DeleteMarkers = true
	if !has(replicationPolicy(s, "us-east-1")) {
		t.Error("no ReplicateDelete with --delete-markers")
	}
}
