package setup

import (
	"context"
	"fmt"
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

func (r *Report) failed(name string) bool { return r.line(name).Status == Fail }

// line is the line of that name (zero if there is none).
func (r *Report) line(name string) Line {
	for _, l := range r.Lines {
		if l.Name == name {
			return l
		}
	}
	return Line{}
}

// Check proves the setup: the buckets in their regions, versioning on
// both, the rule present, enabled and covering the prefix, and as the
// flags ask, the primary's default encryption against it, the role (read
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
	w.ruleDocs = replicationPolicy(s, primary.region)
	var acctErr error
	if needsAccount(s) {
		acctErr = w.readAccount(ctx)
	}
	cfg, rule := w.checkRule(ctx, r)
	if rule != nil { // what the role must allow is what this rule does
		w.checkRuleSettings(r, *rule)
		w.ruleDocs = rolePolicy(s, primary.region, []ruleGrant{grantOf(*rule)})
	}
	w.checkPrimaryEncryption(ctx, r, rule)
	w.checkRole(ctx, r, cfg, acctErr)
	w.checkBucketPolicies(ctx, r, configRole(s, cfg))
	checkReplicaExtras(r, s, replica)
	if s.InventoryTo != nil {
		w.checkInventory(ctx, r, acctErr)
	}
	w.checkCanary(ctx, r, cfg, rule)
	r.Handoff = handoff(s, c, r)
	return r, nil
}
