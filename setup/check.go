package setup

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// LineStatus is how one line of check came out.
type LineStatus string

// The statuses of a check line. A line that could not be checked (a MinIO
// target in place of an IAM role, --no-iam, a feature the server lacks)
// is skip, with the reason: neither a pass nor a failure.
const (
	Pass       LineStatus = "pass"
	Fail       LineStatus = "fail"
	NotChecked LineStatus = "skip"
)

// Line is one line of check: what is checked, pass or fail, and why.
type Line struct {
	Name   string     `json:"name"`
	Status LineStatus `json:"status"`
	Reason string     `json:"reason"`
}

// Report is what check found, with the canary, the recommendation and the
// hand-off for the site's support.
type Report struct {
	Primary        string          `json:"primary"`
	PrimaryRegion  string          `json:"primary_region"`
	Replica        string          `json:"replica"`
	ReplicaRegion  string          `json:"replica_region"`
	Lines          []Line          `json:"lines"`
	Canary         *CanaryResult   `json:"canary,omitempty"`
	Recommendation *Recommendation `json:"recommendation,omitempty"`
	Handoff        Handoff         `json:"handoff"`
}

// Failed counts the lines that failed.
func (r *Report) Failed() int {
	n := 0
	for _, l := range r.Lines {
		if l.Status == Fail {
			n++
		}
	}
	return n
}

func (r *Report) add(name string, st LineStatus, format string, a ...any) {
	r.Lines = append(r.Lines, Line{Name: name, Status: st, Reason: fmt.Sprintf(format, a...)})
}

func (r *Report) failed(name string) bool {
	for _, l := range r.Lines {
		if l.Name == name {
			return l.Status == Fail
		}
	}
	return false
}

// Check proves the setup: the buckets in their regions, versioning on
// both, the rule present, enabled and covering the prefix, the role (read
// from IAM), the replica's Block Public Access and encryption, the
// inventory if asked for; then the canary. A line that fails is in the
// Report, not an error: Check returns an error only for invalid input
// (wrapping ErrUsage) or when it cannot run at all.
func Check(ctx context.Context, s Spec, c *Clients) (*Report, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s = s.withDefaults()
	r := &Report{Primary: "s3://" + s.Primary.Bucket, Replica: "s3://" + s.Replica.Bucket, ReplicaRegion: s.ReplicaRegion}
	primary := checkBucket(ctx, r, "primary bucket", c.Primary, s.Primary.Bucket, s.PrimaryRegion, false)
	r.PrimaryRegion = primary.region
	replica := checkBucket(ctx, r, "replica bucket", c.Replica, s.Replica.Bucket, s.ReplicaRegion, true)
	checkVersioning(r, "versioning on the primary", primary)
	checkVersioning(r, "versioning on the replica", replica)
	w := &world{s: s, c: c, primary: primary, replica: replica, minio: isMinIOTarget(s.RoleARN)}
	w.roleDocs = replicationPolicy(s, primary.region)
	cfg, rule := w.checkRule(ctx, r)
	if rule != nil { // what the role must allow is what this rule does
		rs := s
		rs.Prefix, rs.DeleteMarkers = filterPrefix(*rule), dmStatus(*rule) == string(types.DeleteMarkerReplicationStatusEnabled)
		w.roleDocs = replicationPolicy(rs, primary.region)
	}
	w.checkRole(ctx, r, cfg)
	checkReplicaExtras(r, s, replica)
	if s.InventoryTo != nil {
		w.checkInventory(ctx, r)
	}
	switch {
	case s.Canaries < 0:
		r.add("canary", NotChecked, "not run (--canaries 0)")
	case !primary.exists || primary.denied != "":
		r.add("canary", Fail, "not run: the primary bucket cannot be used")
	default:
		prefix, tags := s.Prefix, s.Tags
		if rule != nil { // inside the rule's filter, so that it covers them
			tags = filterTags(*rule)
			if p := filterPrefix(*rule); !strings.HasPrefix(prefix, p) {
				prefix = p
			}
		}
		res := runCanary(ctx, c, s, prefix, tags)
		r.Canary = res
		w.canaryLine(r, res)
	}
	r.Handoff = handoff(s, c, r)
	return r, nil
}

// checkBucket adds the line of one bucket: it exists, in the region
// wanted (when one is given).
func checkBucket(ctx context.Context, r *Report, name string, c bucketReadAPI, bucket, region string, extras bool) bucketState {
	b, err := readBucket(ctx, c, bucket, region, extras)
	switch {
	case err != nil:
		r.add(name, Fail, "cannot read s3://%s: %v", bucket, err)
	case !b.exists:
		r.add(name, Fail, "s3://%s does not exist", bucket)
	case b.denied != "":
		r.add(name, Fail, "s3://%s: %s", bucket, b.denied)
	case region != "" && b.region != region:
		r.add(name, Fail, "s3://%s is in %s, not in %s", bucket, b.region, region)
	default:
		r.add(name, Pass, "s3://%s in %s", bucket, b.region)
	}
	return b
}

func checkVersioning(r *Report, name string, b bucketState) {
	switch {
	case !b.exists || b.denied != "" || b.region == "" || b.elsewhere:
		r.add(name, Fail, "unknown: the bucket cannot be read, or not in its region (line above)")
	case b.versioning == types.BucketVersioningStatusEnabled:
		r.add(name, Pass, "Enabled")
	default:
		r.add(name, Fail, "%s on s3://%s: replication needs it Enabled (`backfill setup apply` enables it)", describeVersioning(b.versioning), b.name)
	}
}

// checkRule finds the rule that replicates the prefix to the replica
// (the rule of --rule-id, else an enabled rule that covers the prefix to
// the replica) and adds its line. It returns the configuration and the
// rule found, if any.
func (w *world) checkRule(ctx context.Context, r *Report) (*types.ReplicationConfiguration, *types.ReplicationRule) {
	s := w.s
	const name = "replication rule"
	cfg, err := readReplication(ctx, w.c.Primary, s.Primary.Bucket)
	if err != nil {
		r.add(name, Fail, "cannot read the replication configuration: %v", err)
		return nil, nil
	}
	if cfg == nil {
		r.add(name, Fail, "s3://%s has no replication configuration (`backfill setup apply` puts it)", s.Primary.Bucket)
		return nil, nil
	}
	rule := w.findRule(cfg)
	if rule == nil {
		r.add(name, Fail, "no rule of s3://%s replicates %q to s3://%s", s.Primary.Bucket, s.Prefix, s.Replica.Bucket)
		return cfg, nil
	}
	id := aws.ToString(rule.ID)
	switch p := filterPrefix(*rule); {
	case rule.Status != types.ReplicationRuleStatusEnabled:
		r.add(name, Fail, "rule %s is %s: nothing new replicates", id, orNone(string(rule.Status)))
	case !w.replicatesToReplica(*rule):
		r.add(name, Fail, "rule %s replicates to %s, not to s3://%s", id, destBucket(*rule), s.Replica.Bucket)
	case !strings.HasPrefix(s.Prefix, p):
		r.add(name, Fail, "rule %s covers prefix %q, which does not include %q", id, p, s.Prefix)
	default:
		r.add(name, Pass, "rule %s: %s", id, describeRule(*rule))
	}
	return cfg, rule
}

func (w *world) findRule(cfg *types.ReplicationConfiguration) *types.ReplicationRule {
	var best *types.ReplicationRule
	for i, rule := range cfg.Rules {
		if aws.ToString(rule.ID) == w.s.RuleID {
			return &cfg.Rules[i]
		}
		if best == nil && w.replicatesToReplica(rule) && strings.HasPrefix(w.s.Prefix, filterPrefix(rule)) &&
			rule.Status == types.ReplicationRuleStatusEnabled {
			best = &cfg.Rules[i]
		}
	}
	return best
}

// replicatesToReplica: the destination is the replica's ARN, or a MinIO
// target ARN ending in the replica's name.
func (w *world) replicatesToReplica(r types.ReplicationRule) bool {
	d := destBucket(r)
	return d == bucketARN(partitionOf(w.s.ReplicaRegion), w.s.Replica.Bucket) || isMinIOTarget(d) && hasBucketSuffix(d, w.s.Replica.Bucket)
}

// checkRole adds the role's line: the configuration's role, read from IAM
// (trust and permissions), unless it is a MinIO target or --no-iam.
func (w *world) checkRole(ctx context.Context, r *Report, cfg *types.ReplicationConfiguration) {
	const name = "replication role"
	role := w.s.RoleARN
	if cfg != nil && aws.ToString(cfg.Role) != "" {
		role = aws.ToString(cfg.Role)
	}
	a, err := parseRoleARN(role)
	switch {
	case role == "":
		r.add(name, Fail, "no role: the primary has no replication configuration naming one")
	case err == nil && a.minio:
		r.add(name, NotChecked, "%s: %s", role, minioRoleNote)
	case w.s.NoIAM:
		r.add(name, NotChecked, "%s: not checked (--no-iam)", role)
	case err != nil:
		r.add(name, Fail, "the configuration's role %q is not an IAM role ARN", role)
	default:
		rc, err := inspectRole(ctx, w.c.IAM, role, w.roleDocs)
		switch {
		case err != nil:
			r.add(name, Fail, "cannot read %s from IAM: %v", role, err)
		case rc.problem() != "":
			r.add(name, Fail, "%s: %s", role, rc.problem())
		default:
			r.add(name, Pass, "%s: S3 may assume it and it allows what the rule needs (%s)", role, rc.caveat())
		}
	}
}

func checkReplicaExtras(r *Report, s Spec, b bucketState) {
	if !b.readExtras {
		r.add("replica blocks public access", Fail, "unknown: the replica cannot be read (line above)")
		return
	}
	switch {
	case b.pabUnsup != "":
		r.add("replica blocks public access", NotChecked, "the server does not implement Block Public Access (%s)", b.pabUnsup)
	case pabOn(b.pab):
		r.add("replica blocks public access", Pass, "all four settings on")
	default:
		r.add("replica blocks public access", Fail, "%s (`backfill setup apply` turns it on)", describePAB(b))
	}
	w := &world{s: s}
	switch {
	case s.NoDefaultEncryption:
		r.add("replica default encryption", NotChecked, "%s (--no-default-encryption)", describeEncryption(b))
	case b.encUnsup != "":
		r.add("replica default encryption", NotChecked, "the server does not implement default encryption (%s)", b.encUnsup)
	case w.encryptionOK(b.enc):
		r.add("replica default encryption", Pass, "%s", describeEncryption(b))
	default:
		r.add("replica default encryption", Fail, "%s, not %s", describeEncryption(b), w.wantedEncryption())
	}
}

func (w *world) checkInventory(ctx context.Context, r *Report) {
	const name = "inventory"
	if w.primary.region == "" {
		r.add(name, Fail, "unknown: the primary cannot be read (line above)")
		return
	}
	cur, err := readInventory(ctx, w.c.Primary, w.s.Primary.Bucket, w.s.InventoryID)
	switch d := inventoryDiff(cur, w.desiredInventory()); {
	case err != nil:
		r.add(name, Fail, "cannot read it: %v", err)
	case cur == nil:
		r.add(name, Fail, "s3://%s has no inventory configuration %s", w.s.Primary.Bucket, w.s.InventoryID)
	case len(d) > 0:
		r.add(name, Fail, "inventory %s differs: %s", w.s.InventoryID, strings.Join(d, "; "))
	default:
		r.add(name, Pass, "inventory %s: daily CSV of every version to %s", w.s.InventoryID, w.s.InventoryTo)
	}
}
