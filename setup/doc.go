// Package setup plans, applies and checks the rest of a replica's setup:
// everything besides the copy of the existing objects. One Spec describes
// it; MakePlan, Apply and Check take the same Spec and Clients. It knows
// nothing of the CLI.
//
// # The six steps
//
// Each step has a current state (read, never assumed), a desired state and
// a verdict: ok, create, change (Changes say how), blocked (Reason says why
// and what to do), manual (documents printed for someone else to apply;
// nothing read or sent) or skip (not asked for).
//
//	1 replica bucket     HeadBucket, GetBucketLocation, GetPublicAccessBlock, GetBucketEncryption
//	                     -> CreateBucket (LocationConstraint unless us-east-1), PutPublicAccessBlock
//	                        (all four on), PutBucketEncryption (SSE-S3, or SSE-KMS with the replica key)
//	                     blocked: the name is someone else's (403), or the bucket is in another region
//	                     a replica in the primary's region is same-region replication: legal, with a note
//	2 versioning         GetBucketVersioning on both -> PutBucketVersioning Enabled
//	                     (Suspended is reported; only apply changes it)
//	3 replication role   trust s3.amazonaws.com; an inline policy for exactly these buckets and
//	                     prefix (and KMS keys): created with IAM (GetRole, CreateRole, GetRolePolicy,
//	                     PutRolePolicy); or --role-arn, read and evaluated, never changed; or
//	                     --no-iam: printed (manual), no IAM request at all. A MinIO replication
//	                     target ARN in place of the role is "not an AWS IAM role: not checked".
//	4 replication rule   GetBucketReplication -> PutBucketReplication of the configuration with the
//	                     rule of RuleID added or replaced and every other rule kept (--replace:
//	                     dropped, each named). The configuration's one role must be this rule's
//	                     role, else blocked naming it. Overlapping rules are noted, not refused.
//	5 inventory          (optional) GetBucketInventoryConfiguration, GetBucketPolicy of the
//	                     destination -> PutBucketPolicy (backfill's statement merged, the others kept),
//	                     PutBucketInventoryConfiguration (daily, CSV, all versions, InventoryFields)
//	6 app read access    (optional) the statement the site's role needs to read the replica:
//	                     printed (manual), or put as an inline policy with ApplyAppPolicy
//
// STS GetCallerIdentity is called when an account is needed (the ARN of a
// role to create, the inventory policy's aws:SourceAccount).
//
// # Plan, apply, check
//
// MakePlan validates the Spec (every error wraps ErrUsage, before any
// request: bad bucket names, a role ARN that is not one, a replica equal to
// the primary, tags with delete markers, a KMS key in the wrong region),
// then only reads. Apply makes a plan, refuses to change anything while a
// step is blocked (*BlockedError), then runs the changes in step order and
// stops at the first failure (*StepError); each step's Outcome says done,
// failed, not attempted or nothing to do. A second Apply finds every step
// ok and sends no request that changes anything.
//
// Check reports one line per fact, pass, fail or skip (could not be
// checked, with the reason), then runs the canary:
//
//	write N objects under <rule prefix>.backfill-canary/<run>/ (with the rule's tags)
//	poll each: HeadObject on the replica until REPLICA, on the primary until COMPLETED
//	    (every 50 ms at first, then 250 ms, 1 s, 5 s: a delay is accurate to the interval)
//	    FAILED on the primary ends that canary (S3 does not retry FAILED objects)
//	until every canary is done or Timeout passed
//	delete every version of them on both sides (also after a failure or Ctrl-C)
//	delays min/median/max; recommended delay = 2 x slowest, at least 15 min without RTC
//
// A canary that does not arrive fails the check with the likely causes,
// from what was seen (FAILED, no status at all, still PENDING, replica
// unreadable) and the lines that failed. The Report ends with the hand-off
// facts: replica bucket and region, proxy URL, the delay, next commands.
//
// # What is not known (UNCONFIRMED, and said so in the output)
//
//   - that S3 refuses to mix old-schema rules (Prefix, no Filter) with
//     Filter rules: setup blocks on them rather than try;
//   - how soon a rule just put applies to new objects: a canary with no
//     status says so among its causes;
//   - IAM evaluation is a reading of the role's policies, not an
//     assumption of the role: conditions, permission boundaries and
//     organization policies are not evaluated.
//
// setup writes no files and never logs or stores credentials.
package setup
