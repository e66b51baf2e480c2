package setup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// planRule is step 4: the replication rule on the primary. An existing
// configuration is merged (other rules kept) unless --replace; its one
// role must be this rule's role.
func (w *world) planRule(ctx context.Context) (*Step, error) {
	s := w.s
	st := &Step{Number: 4, Name: "replication rule", Verdict: OK}
	cur, err := readReplication(ctx, w.c.Primary, s.Primary.Bucket)
	if err != nil {
		return nil, err
	}
	want := w.desiredRule()
	st.Desired = fmt.Sprintf("rule %s: %s; role %s", s.RuleID, describeRule(want), orUnknown(w.roleARN))
	st.Current = describeConfig(cur)
	if w.roleARN == "" {
		st.Verdict, st.Reason = Blocked, "the rule needs the role of step 3"
		return st, nil
	}
	if w.roleIsNew {
		st.Notes = append(st.Notes, "the role is new: if S3 does not accept it at once (IAM changes take a moment to propagate; "+
			"UNCONFIRMED whether S3 checks the role then), apply tries again for about a minute")
	}
	if cur == nil {
		want.Priority = aws.Int32(max(s.Priority, 1))
		st.Verdict = Create
		st.add(fmt.Sprintf("put the replication configuration (role %s, rule %s)", w.roleARN, s.RuleID), w.putReplication(nil, want))
		return st, nil
	}
	if reason := w.ruleBlocker(cur); reason != "" {
		st.Verdict, st.Reason = Blocked, reason
		return st, nil
	}
	w.mergeRule(st, cur, want)
	return st, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "(not known yet)"
	}
	return s
}

// destinationARN is the rule's destination: the replica bucket's ARN, or
// on MinIO the replication target's ARN, which MinIO wants there too.
func (w *world) destinationARN() string {
	if w.minio {
		return w.s.RoleARN
	}
	return bucketARN(partitionOf(w.s.ReplicaRegion), w.s.Replica.Bucket)
}

// desiredRule is the rule the flags describe (Priority set by the caller).
func (w *world) desiredRule() types.ReplicationRule {
	s := w.s
	dm := types.DeleteMarkerReplicationStatusDisabled
	if s.DeleteMarkers {
		dm = types.DeleteMarkerReplicationStatusEnabled
	}
	r := types.ReplicationRule{
		ID: aws.String(s.RuleID), Status: types.ReplicationRuleStatusEnabled, Filter: ruleFilter(s.Prefix, s.Tags),
		DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: dm},
		Destination:             &types.Destination{Bucket: aws.String(w.destinationARN())},
	}
	if s.StorageClass != "" {
		r.Destination.StorageClass = types.StorageClass(s.StorageClass)
	}
	if s.ReplicaKMSKey != "" {
		r.Destination.EncryptionConfiguration = &types.EncryptionConfiguration{ReplicaKmsKeyID: aws.String(s.ReplicaKMSKey)}
		r.SourceSelectionCriteria = &types.SourceSelectionCriteria{
			SseKmsEncryptedObjects: &types.SseKmsEncryptedObjects{Status: types.SseKmsEncryptedObjectsStatusEnabled}}
	}
	if s.RTC { // S3 accepts only 15 minutes for both (S3-FACTS §3)
		fifteen := &types.ReplicationTimeValue{Minutes: aws.Int32(15)}
		r.Destination.ReplicationTime = &types.ReplicationTime{Status: types.ReplicationTimeStatusEnabled, Time: fifteen}
		r.Destination.Metrics = &types.Metrics{Status: types.MetricsStatusEnabled, EventThreshold: fifteen}
	}
	return r
}

// ruleFilter is exactly one of Prefix, Tag or And, as S3 wants.
func ruleFilter(prefix string, tags []Tag) *types.ReplicationRuleFilter {
	switch {
	case len(tags) == 0:
		return &types.ReplicationRuleFilter{Prefix: aws.String(prefix)}
	case len(tags) == 1 && prefix == "":
		return &types.ReplicationRuleFilter{Tag: &types.Tag{Key: aws.String(tags[0].Key), Value: aws.String(tags[0].Value)}}
	}
	and := &types.ReplicationRuleAndOperator{}
	if prefix != "" {
		and.Prefix = aws.String(prefix)
	}
	for _, t := range tags {
		and.Tags = append(and.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return &types.ReplicationRuleFilter{And: and}
}

// ruleBlocker is why the rule cannot be merged into cur, "" if it can.
func (w *world) ruleBlocker(cur *types.ReplicationConfiguration) string {
	s := w.s
	if s.Replace {
		return ""
	}
	if role := aws.ToString(cur.Role); role != "" && role != w.roleARN {
		return fmt.Sprintf("the configuration's role is %s, and one role serves all of a configuration's rules: "+
			"run with --role-arn %s (step 3 then checks it allows what this rule needs), or with --replace, which drops its other rules", role, role)
	}
	for _, r := range cur.Rules {
		if r.Filter == nil && aws.ToString(r.ID) != s.RuleID {
			return fmt.Sprintf("rule %s uses the older schema (a Prefix without a Filter), which S3 does not mix with the rules "+
				"backfill writes (UNCONFIRMED): rewrite it with a Filter, or run with --replace", aws.ToString(r.ID))
		}
		if s.Priority > 0 && aws.ToInt32(r.Priority) == s.Priority && aws.ToString(r.ID) != s.RuleID {
			return fmt.Sprintf("--priority %d is rule %s's: rules need priorities of their own", s.Priority, aws.ToString(r.ID))
		}
	}
	return ""
}

// mergeRule decides step 4 against an existing configuration: the rule
// with our ID as wanted, or another rule that does the same, is ok;
// otherwise ours is added or replaced, every other rule kept (--replace:
// dropped, each named).
func (w *world) mergeRule(st *Step, cur *types.ReplicationConfiguration, want types.ReplicationRule) {
	s := w.s
	i := slices.IndexFunc(cur.Rules, func(r types.ReplicationRule) bool { return aws.ToString(r.ID) == s.RuleID })
	sameRole := aws.ToString(cur.Role) == w.roleARN
	samePriority := i < 0 || s.Priority == 0 || aws.ToInt32(cur.Rules[i].Priority) == s.Priority
	switch {
	case i >= 0 && len(ruleDiff(cur.Rules[i], want)) == 0 && sameRole && samePriority && (!s.Replace || len(cur.Rules) == 1):
		st.Notes = append(st.Notes, w.overlaps(cur, s.RuleID)...)
		return
	case i < 0 && !s.Replace && sameRole:
		if j := slices.IndexFunc(cur.Rules, func(r types.ReplicationRule) bool { return len(ruleDiff(r, want)) == 0 }); j >= 0 {
			st.Notes = append(st.Notes, fmt.Sprintf("rule %s already replicates what was asked: kept as it is, no rule %s added",
				aws.ToString(cur.Rules[j].ID), s.RuleID))
			st.Notes = append(st.Notes, w.overlaps(cur, aws.ToString(cur.Rules[j].ID))...)
			return
		}
	}
	st.Verdict = Change
	var changes []string
	if !sameRole {
		changes = append(changes, fmt.Sprintf("role %s -> %s", orNone(aws.ToString(cur.Role)), w.roleARN))
	}
	if i >= 0 {
		want.Priority = cur.Rules[i].Priority
		if !samePriority {
			changes = append(changes, fmt.Sprintf("rule %s: priority %d -> %d", s.RuleID, aws.ToInt32(want.Priority), s.Priority))
			want.Priority = aws.Int32(s.Priority)
		}
		for _, d := range ruleDiff(cur.Rules[i], want) {
			changes = append(changes, "rule "+s.RuleID+": "+d)
		}
	} else {
		want.Priority = aws.Int32(w.nextPriority(cur))
		changes = append(changes, fmt.Sprintf("add rule %s (priority %d)", s.RuleID, aws.ToInt32(want.Priority)))
	}
	for _, r := range cur.Rules {
		if id := aws.ToString(r.ID); id != s.RuleID && s.Replace {
			changes = append(changes, "drop rule "+id+" ("+describeRule(r)+") (--replace)")
		} else if id != s.RuleID {
			st.Notes = append(st.Notes, "keeps rule "+id+" ("+describeRule(r)+")")
		}
	}
	st.Notes = append(st.Notes, w.overlaps(cur, s.RuleID)...)
	st.add("put the replication configuration: "+strings.Join(changes, "; "), w.putReplication(cur, want))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (w *world) nextPriority(cur *types.ReplicationConfiguration) int32 {
	if w.s.Priority > 0 {
		return w.s.Priority
	}
	var top int32
	for _, r := range cur.Rules {
		top = max(top, aws.ToInt32(r.Priority))
	}
	return top + 1
}

// putReplication puts cur's rules with want in place of the rule of its
// ID (or added), under the role the rule needs, read when it runs (step 3
// may have just created it). cur nil, or --replace: want alone.
func (w *world) putReplication(cur *types.ReplicationConfiguration, want types.ReplicationRule) func(context.Context) error {
	return func(ctx context.Context) error {
		rules := []types.ReplicationRule{want}
		if cur != nil && !w.s.Replace {
			rules = nil
			for _, r := range cur.Rules {
				if aws.ToString(r.ID) != w.s.RuleID {
					rules = append(rules, r)
				}
			}
			rules = append(rules, want)
		}
		in := &s3.PutBucketReplicationInput{Bucket: aws.String(w.s.Primary.Bucket),
			ReplicationConfiguration: &types.ReplicationConfiguration{Role: aws.String(w.roleARN), Rules: rules}}
		_, err := w.c.Primary.PutBucketReplication(ctx, in)
		for i := 0; err != nil && w.createdRole && roleNotReady(err) && i < roleRetries; i++ {
			select { // IAM is eventually consistent: the role apply just made may not be visible yet
			case <-ctx.Done():
				return err
			case <-time.After(roleRetryWait):
			}
			_, err = w.c.Primary.PutBucketReplication(ctx, in)
		}
		return err
	}
}

// A role apply has just created may not be usable at once (IAM changes
// propagate); whether S3 checks the role when the configuration is put is
// UNCONFIRMED. apply tries the rule again for about a minute.
var (
	roleRetries   = 6
	roleRetryWait = 10 * time.Second
)

func roleNotReady(err error) bool {
	code := s3err.Code(err)
	return code == "InvalidArgument" || code == "InvalidRequest"
}

// overlaps notes the other enabled rules whose filters can cover the same
// keys as rule id's: legal, and worth knowing.
func (w *world) overlaps(cur *types.ReplicationConfiguration, id string) []string {
	var notes []string
	mine := filterPrefix(w.desiredRule())
	for _, r := range cur.Rules {
		if aws.ToString(r.ID) == id || r.Status != types.ReplicationRuleStatusEnabled {
			continue
		}
		p := filterPrefix(r)
		if !strings.HasPrefix(mine, p) && !strings.HasPrefix(p, mine) {
			continue
		}
		dest := destBucket(r)
		if dest == w.destinationARN() {
			notes = append(notes, fmt.Sprintf("rule %s (priority %d) also covers prefix %q to the same replica: where both apply, S3 follows the higher priority",
				aws.ToString(r.ID), aws.ToInt32(r.Priority), p))
		} else {
			notes = append(notes, fmt.Sprintf("rule %s replicates the overlapping prefix %q to %s: legal (S3 replicates to several destinations); objects both cover go to both",
				aws.ToString(r.ID), p, dest))
		}
	}
	return notes
}

// ruleDiff lists how cur differs from want in what setup manages: status,
// filter, delete markers, destination, storage class, replica key, KMS
// selection, RTC. Priority and ID are not compared.
func ruleDiff(cur, want types.ReplicationRule) []string {
	var d []string
	diff := func(what, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %s -> %s", what, orNone(a), orNone(b)))
		}
	}
	diff("status", string(cur.Status), string(want.Status))
	diff("filter", describeFilter(cur), describeFilter(want))
	diff("delete marker replication", dmStatus(cur), dmStatus(want))
	diff("destination", destBucket(cur), destBucket(want))
	if want.Destination.StorageClass != "" || cur.Destination != nil && cur.Destination.StorageClass != "" {
		diff("storage class", storageClass(cur), storageClass(want))
	}
	diff("replica KMS key", replicaKey(cur), replicaKey(want))
	diff("SSE-KMS objects", sseKMS(cur), sseKMS(want))
	diff("Replication Time Control", rtc(cur), rtc(want))
	return d
}

func dmStatus(r types.ReplicationRule) string {
	if r.DeleteMarkerReplication == nil || r.DeleteMarkerReplication.Status == "" {
		return string(types.DeleteMarkerReplicationStatusDisabled)
	}
	return string(r.DeleteMarkerReplication.Status)
}

func destBucket(r types.ReplicationRule) string {
	if r.Destination == nil {
		return ""
	}
	return aws.ToString(r.Destination.Bucket)
}

func storageClass(r types.ReplicationRule) string {
	if r.Destination == nil || r.Destination.StorageClass == "" {
		return "(the source's)"
	}
	return string(r.Destination.StorageClass)
}

func replicaKey(r types.ReplicationRule) string {
	if r.Destination == nil || r.Destination.EncryptionConfiguration == nil {
		return ""
	}
	return aws.ToString(r.Destination.EncryptionConfiguration.ReplicaKmsKeyID)
}

func sseKMS(r types.ReplicationRule) string {
	if c := r.SourceSelectionCriteria; c != nil && c.SseKmsEncryptedObjects != nil {
		return string(c.SseKmsEncryptedObjects.Status)
	}
	return string(types.SseKmsEncryptedObjectsStatusDisabled)
}

func rtc(r types.ReplicationRule) string {
	if r.Destination != nil && r.Destination.ReplicationTime != nil {
		return string(r.Destination.ReplicationTime.Status)
	}
	return string(types.ReplicationTimeStatusDisabled)
}

// filterPrefix is the key prefix a rule covers ("" = every key).
func filterPrefix(r types.ReplicationRule) string {
	switch f := r.Filter; {
	case f == nil:
		return aws.ToString(r.Prefix)
	case f.And != nil:
		return aws.ToString(f.And.Prefix)
	}
	return aws.ToString(r.Filter.Prefix)
}

// filterTags are the tags a rule's filter wants, sorted.
func filterTags(r types.ReplicationRule) []Tag {
	var ts []types.Tag
	if f := r.Filter; f != nil && f.Tag != nil {
		ts = []types.Tag{*f.Tag}
	} else if f != nil && f.And != nil {
		ts = f.And.Tags
	}
	var out []Tag
	for _, t := range ts {
		out = append(out, Tag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
	}
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func describeFilter(r types.ReplicationRule) string {
	s := fmt.Sprintf("prefix %q", filterPrefix(r))
	for _, t := range filterTags(r) {
		s += fmt.Sprintf(", tag %s=%s", t.Key, t.Value)
	}
	return s
}

func describeRule(r types.ReplicationRule) string {
	s := fmt.Sprintf("%s, %s, to %s, delete markers %s", orNone(string(r.Status)), describeFilter(r), destBucket(r), dmStatus(r))
	if c := storageClass(r); c != "(the source's)" {
		s += ", storage class " + c
	}
	if k := replicaKey(r); k != "" {
		s += ", SSE-KMS objects replicated with " + k
	}
	if rtc(r) == string(types.ReplicationTimeStatusEnabled) {
		s += ", Replication Time Control and metrics on"
	}
	return s
}

func describeConfig(c *types.ReplicationConfiguration) string {
	if c == nil {
		return "no replication configuration"
	}
	var rules []string
	for _, r := range c.Rules {
		rules = append(rules, fmt.Sprintf("%s (priority %d: %s)", aws.ToString(r.ID), aws.ToInt32(r.Priority), describeRule(r)))
	}
	return fmt.Sprintf("role %s; %d rule(s): %s", orNone(aws.ToString(c.Role)), len(c.Rules), strings.Join(rules, "; "))
}
