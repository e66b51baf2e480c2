package setup

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ruleGrant is what one replication rule needs its role to allow.
type ruleGrant struct {
	prefix        string // the keys the rule covers ("" = every key)
	dest          string // the destination bucket's ARN
	deleteMarkers bool
	sseKMS        bool   // the rule selects SSE-KMS objects
	replicaKey    string // the key replicas are encrypted with, "" = none
}

// grantOf is what rule r needs.
func grantOf(r types.ReplicationRule) ruleGrant {
	return ruleGrant{prefix: filterPrefix(r), dest: destBucket(r),
		deleteMarkers: dmStatus(r) == string(types.DeleteMarkerReplicationStatusEnabled),
		sseKMS:        sseKMS(r) == string(types.SseKmsEncryptedObjectsStatusEnabled), replicaKey: replicaKey(r)}
}

// specGrant is what the rule the flags describe needs.
func specGrant(s Spec) ruleGrant {
	return ruleGrant{prefix: s.Prefix, dest: bucketARN(partitionOf(s.ReplicaRegion), s.Replica.Bucket),
		deleteMarkers: s.DeleteMarkers, sseKMS: s.ReplicaKMSKey != "", replicaKey: s.ReplicaKMSKey}
}

// replicationPolicy is the policy of a role that serves only the rule the
// flags describe.
func replicationPolicy(s Spec, primaryRegion string) policyDoc {
	return rolePolicy(s, primaryRegion, []ruleGrant{specGrant(s)})
}

// rolePolicy is the replication role's permissions for exactly the rules
// it serves (S3-FACTS §2.3): read the configuration and list the primary;
// read the source versions under each rule's prefix (for replication, not
// GetObjectVersion: that one does not allow SSE-KMS replication), their
// ACLs and tags; write replicas and tags to each destination under the
// prefix, and deletes (delete markers) only where a rule replicates them.
// With KMS, decrypt with the primary's keys (s.PrimaryKMSKeys) and encrypt
// with each replica key, each only through S3 in its region and for these
// buckets (object ARN, or the bucket ARN when S3 Bucket Keys are on).
func rolePolicy(s Spec, primaryRegion string, grants []ruleGrant) policyDoc {
	part := partitionOf(s.ReplicaRegion)
	var read, write, deletes, kmsContext []string
	for _, g := range grants {
		read = append(read, objectsARN(part, s.Primary.Bucket, g.prefix))
		write = append(write, g.dest+"/"+g.prefix+"*")
		if g.deleteMarkers {
			deletes = append(deletes, g.dest+"/"+g.prefix+"*")
		}
		if g.sseKMS {
			kmsContext = append(kmsContext, objectsARN(part, s.Primary.Bucket, g.prefix))
		}
	}
	st := []statement{
		{Sid: "ReadPrimaryConfiguration", Effect: "Allow", Action: strList{"s3:GetReplicationConfiguration", "s3:ListBucket"},
			Resource: strList{bucketARN(part, s.Primary.Bucket)}},
		{Sid: "ReadPrimaryVersions", Effect: "Allow",
			Action:   strList{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"},
			Resource: minimal(read)},
		{Sid: "WriteReplicas", Effect: "Allow", Action: strList{"s3:ReplicateObject", "s3:ReplicateTags"}, Resource: minimal(write)},
	}
	if len(deletes) > 0 {
		st = append(st, statement{Sid: "ReplicateDeleteMarkers", Effect: "Allow", Action: strList{"s3:ReplicateDelete"}, Resource: minimal(deletes)})
	}
	if len(s.PrimaryKMSKeys) > 0 && len(kmsContext) > 0 {
		st = append(st, kmsStatement("DecryptPrimaryObjects", strList{"kms:Decrypt"}, s.PrimaryKMSKeys, primaryRegion,
			append(minimal(kmsContext), bucketARN(part, s.Primary.Bucket))))
	}
	return policyDoc{Version: policyVersion, Statement: append(st, encryptStatements(grants)...)}
}

// encryptStatements let the role encrypt replicas with each rule's
// replica key, one statement per region of the keys (kms:ViaService is
// S3 in the key's region).
func encryptStatements(grants []ruleGrant) []statement {
	type group struct{ keys, context []string }
	byRegion := map[string]*group{}
	for _, g := range grants {
		if g.replicaKey == "" {
			continue
		}
		region := kmsRegion(g.replicaKey)
		if byRegion[region] == nil {
			byRegion[region] = &group{}
		}
		b := byRegion[region]
		b.keys = append(b.keys, g.replicaKey)
		b.context = append(b.context, g.dest+"/"+g.prefix+"*", g.dest)
	}
	var out []statement
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		b := byRegion[region]
		out = append(out, kmsStatement("EncryptReplicas"+camel(region), strList{"kms:Encrypt", "kms:GenerateDataKey"},
			minimal(b.keys), region, minimal(b.context)))
	}
	return out
}

func kmsStatement(sid string, actions strList, keys []string, region string, context []string) statement {
	st := statement{Sid: sid, Effect: "Allow", Action: actions, Resource: keys,
		Condition: map[string]map[string]any{"StringLike": {"kms:EncryptionContext:aws:s3:arn": context}}}
	if region != "" {
		st.Condition["StringEquals"] = map[string]any{"kms:ViaService": "s3." + region + ".amazonaws.com"}
	}
	return st
}

var kmsARNRegionRE = regexp.MustCompile(`^arn:[a-z-]+:kms:([a-z0-9-]+):`)

// kmsRegion is the region of a KMS key or alias ARN, "" if it is not one.
func kmsRegion(k string) string {
	if m := kmsARNRegionRE.FindStringSubmatch(k); m != nil {
		return m[1]
	}
	return ""
}

// camel makes a region a part of a Sid (letters and digits only):
// eu-west-2 -> EuWest2.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// minimal sorts resources and drops the duplicates and those another of
// them covers ("b/*" covers "b/media/*").
func minimal(rs []string) strList {
	var out strList
	for i, r := range rs {
		covered := slices.ContainsFunc(rs, func(o string) bool { return o != r && matchesAny([]string{o}, r) }) ||
			slices.Contains(rs[:i], r)
		if !covered {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// roleGrants are the rules the role serves once this rule is put: this
// one, and every other rule of the primary's configuration when that
// configuration is under this same role (one role serves all of a
// configuration's rules) and not replaced (--replace).
func (w *world) roleGrants() []ruleGrant {
	gs := []ruleGrant{grantOf(w.desiredRule())}
	if !w.sharesConfiguration() {
		return gs
	}
	for _, r := range w.repl.Rules {
		if aws.ToString(r.ID) != w.s.RuleID {
			gs = append(gs, grantOf(r))
		}
	}
	return gs
}

// sharesConfiguration: the primary's configuration is under the role
// step 3 is about, and is merged into, not replaced.
func (w *world) sharesConfiguration() bool {
	return w.repl != nil && !w.s.Replace && w.roleARN != "" && aws.ToString(w.repl.Role) == w.roleARN
}

// setRoleDocs sets the policy the role needs (every rule it serves) and
// the one this rule alone needs, once step 3 knows the role.
func (w *world) setRoleDocs() {
	w.roleDocs = rolePolicy(w.s, w.primary.region, w.roleGrants())
	w.ruleDocs = rolePolicy(w.s, w.primary.region, []ruleGrant{grantOf(w.desiredRule())})
}

// droppedGrants lists what the current policy of the role grants that
// the new one would not, apart from what this rule's own former settings
// or the rules --replace drops needed: another configuration under the
// same role (a shared --role-name), a key given before and not now, a
// statement added by hand. Replacing the policy would take it away.
func (w *world) droppedGrants(cur policyDoc) []permission {
	gone := missing([]policyDoc{w.roleDocs}, required(cur))
	var explained []ruleGrant
	if w.repl != nil && (w.s.Replace || aws.ToString(w.repl.Role) == w.roleARN) {
		for _, r := range w.repl.Rules {
			if w.s.Replace || aws.ToString(r.ID) == w.s.RuleID {
				explained = append(explained, grantOf(r))
			}
		}
	}
	if len(explained) == 0 {
		return gone
	}
	return missing([]policyDoc{rolePolicy(w.s, w.primary.region, explained)}, gone)
}

// droppedReason says why step 3 is blocked by dropped grants.
func droppedReason(policyName string, gone []permission) string {
	var m []string
	for _, p := range gone {
		m = append(m, p.String())
	}
	return fmt.Sprintf("its inline policy %s grants %s, which no rule of this configuration needs and the new policy would drop: "+
		"another bucket's configuration may use this role (give it a role of its own with --role-name), or a key given before "+
		"(--primary-kms-key) is missing; give the flags that keep it, or remove it from the policy by hand first", policyName, strings.Join(m, ", "))
}
