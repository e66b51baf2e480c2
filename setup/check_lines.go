package setup

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

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
	case b.elsewhere:
		r.add(name, Fail, "%s", elsewhereReason(b))
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
// (trust and permissions), unless it is a MinIO target, --no-iam, or a
// role of another account (IAM would look its name up in this one).
func (w *world) checkRole(ctx context.Context, r *Report, cfg *types.ReplicationConfiguration, acctErr error) {
	const name = "replication role"
	role := configRole(w.s, cfg)
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
	case acctErr != nil:
		r.add(name, Fail, "%s: not checked: %v", role, acctErr)
	case a.account != w.acct:
		r.add(name, NotChecked, "%s: %s (setup reads roles of its own account only)", role, otherAccount(a, w.acct))
	default:
		w.checkRoleFromIAM(ctx, r, role)
	}
}

// configRole is the role the configuration names, else --role-arn's.
func configRole(s Spec, cfg *types.ReplicationConfiguration) string {
	if cfg != nil && aws.ToString(cfg.Role) != "" {
		return aws.ToString(cfg.Role)
	}
	return s.RoleARN
}

func (w *world) checkRoleFromIAM(ctx context.Context, r *Report, role string) {
	const name = "replication role"
	rc, err := inspectRole(ctx, w.c.IAM, role, w.ruleDocs)
	switch {
	case err != nil:
		r.add(name, Fail, "cannot read %s from IAM: %v", role, err)
	case rc.problem() != "":
		r.add(name, Fail, "%s: %s", role, rc.problem())
	case len(rc.unresolved) > 0:
		r.add(name, NotChecked, "%s: S3 may assume it, and it allows what the rule needs as far as its policies can be read (%s)", role, rc.caveat())
	default:
		r.add(name, Pass, "%s: S3 may assume it and it allows what the rule needs (%s)", role, rc.caveat())
	}
}

// checkRuleSettings adds the line that compares the rule found with what
// the flags ask, besides what the rule's line checks (status, destination,
// prefix): a rule made with other flags works, but is not the setup these
// flags describe (and the recommendation follows the rule, not the flags).
func (w *world) checkRuleSettings(r *Report, rule types.ReplicationRule) {
	const name = "rule settings"
	id := aws.ToString(rule.ID)
	if d := settingsDiff(rule, w.desiredRule()); len(d) > 0 {
		r.add(name, Fail, "rule %s: %s: `backfill setup apply` with these flags changes the rule, or give check the flags it was made with",
			id, strings.Join(d, "; "))
		return
	}
	r.add(name, Pass, "rule %s is as the flags ask (tags, delete markers, storage class, KMS, Replication Time Control)", id)
}

// checkPrimaryEncryption adds the line of the primary's default
// encryption: with SSE-KMS, the rule must select SSE-KMS objects or new
// objects do not replicate.
func (w *world) checkPrimaryEncryption(ctx context.Context, r *Report, rule *types.ReplicationRule) {
	const name = "primary default encryption"
	b := &w.primary
	if !b.exists || b.denied != "" || b.elsewhere {
		r.add(name, Fail, "unknown: the primary cannot be read (line above)")
		return
	}
	if err := b.readEncryption(ctx, w.c.Primary); err != nil {
		r.add(name, Fail, "cannot read it: %v", err)
		return
	}
	key, isKMS := primaryKMSKey(*b)
	switch {
	case b.encUnsup != "":
		r.add(name, NotChecked, "the server does not implement default encryption (%s)", b.encUnsup)
	case !isKMS:
		r.add(name, Pass, "%s: no KMS key to replicate with", describeEncryption(*b))
	case rule == nil:
		r.add(name, Fail, "SSE-KMS (%s), and no rule (line above)", orAWSManaged(key))
	case sseKMS(*rule) != string(types.SseKmsEncryptedObjectsStatusEnabled):
		r.add(name, Fail, "SSE-KMS (%s): rule %s does not select SSE-KMS objects, so new objects are not replicated: "+
			"`backfill setup apply` with --primary-kms-key %s and --replica-kms-key", orAWSManaged(key), aws.ToString(rule.ID), keyToGive(key))
	default:
		r.add(name, Pass, "SSE-KMS (%s), and rule %s selects SSE-KMS objects", orAWSManaged(key), aws.ToString(rule.ID))
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

func (w *world) checkInventory(ctx context.Context, r *Report, acctErr error) {
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
	w.checkInventoryPolicy(ctx, r, acctErr)
}

// checkInventoryPolicy adds the line of the destination's bucket policy:
// without backfill's statement S3 cannot deliver the inventory.
func (w *world) checkInventoryPolicy(ctx context.Context, r *Report, acctErr error) {
	const name = "inventory destination policy"
	dest := w.s.InventoryTo.Bucket
	if acctErr != nil {
		r.add(name, Fail, "not checked: %v", acctErr)
		return
	}
	policy, err := readBucketPolicy(ctx, w.c.Primary, dest)
	if err != nil {
		r.add(name, Fail, "cannot read it: %v", err)
		return
	}
	sid := inventorySid(w.s.Primary.Bucket)
	switch _, changed, err := mergeStatement(policy, inventoryStatement(w.s, w.primary.region, w.acct)); {
	case err != nil:
		r.add(name, Fail, "the bucket policy of s3://%s: %v", dest, err)
	case changed:
		r.add(name, Fail, "the bucket policy of s3://%s lacks statement %s, or it differs, so S3 cannot deliver the inventory "+
			"(`backfill setup apply` puts it)", dest, sid)
	default:
		r.add(name, Pass, "the bucket policy of s3://%s lets S3 deliver it (statement %s)", dest, sid)
	}
}
