package setup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// policyDoc is an IAM policy document (identity, trust or bucket policy).
type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// statement is one statement. Action and Resource are lists here; a
// single string in a document read back is a list of one.
type statement struct {
	Sid         string                    `json:"Sid,omitempty"`
	Effect      string                    `json:"Effect"`
	Principal   any                       `json:"Principal,omitempty"`
	Action      strList                   `json:"Action,omitempty"`
	NotAction   strList                   `json:"NotAction,omitempty"`
	Resource    strList                   `json:"Resource,omitempty"`
	NotResource strList                   `json:"NotResource,omitempty"`
	Condition   map[string]map[string]any `json:"Condition,omitempty"`
}

// strList reads a JSON string or list of strings.
type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = strList{s}
		return nil
	}
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = s
	return nil
}

const policyVersion = "2012-10-17"

func (d policyDoc) String() string {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		panic(err) // only strings, lists and maps of them
	}
	return string(b)
}

// parsePolicy reads a policy document.
func parsePolicy(doc string) (policyDoc, error) {
	var d policyDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return d, fmt.Errorf("policy document is not valid JSON: %w", err)
	}
	return d, nil
}

// samePolicy reports whether two documents say the same, whatever their
// spacing or the order of their keys.
func samePolicy(a, b string) bool {
	pa, err1 := parsePolicy(a)
	pb, err2 := parsePolicy(b)
	return err1 == nil && err2 == nil && pa.String() == pb.String()
}

func bucketARN(partition, bucket string) string { return "arn:" + partition + ":s3:::" + bucket }

// objectsARN covers the objects under prefix ("" = the whole bucket).
func objectsARN(partition, bucket, prefix string) string {
	return bucketARN(partition, bucket) + "/" + prefix + "*"
}

// trustPolicy lets S3 assume the replication role (S3-FACTS §2.3).
func trustPolicy() policyDoc {
	return policyDoc{Version: policyVersion, Statement: []statement{{
		Effect: "Allow", Principal: map[string]any{"Service": "s3.amazonaws.com"}, Action: strList{"sts:AssumeRole"},
	}}}
}

// replicationPolicy is the replication role's permissions, for exactly
// these buckets and this prefix (S3-FACTS §2.3): read the configuration
// and list the primary; read the source versions (for replication, not
// GetObjectVersion: that one does not allow SSE-KMS replication), their
// ACLs and tags; write replicas and tags, and deletes (delete markers)
// only when the rule replicates them. With KMS keys, decrypt with the
// primary's keys and encrypt with the replica's, each only through S3 in
// its region and for these buckets (object ARN, or the bucket ARN when S3
// Bucket Keys are on).
func replicationPolicy(s Spec, primaryRegion string) policyDoc {
	part := partitionOf(s.ReplicaRegion)
	write := strList{"s3:ReplicateObject", "s3:ReplicateTags"}
	if s.DeleteMarkers {
		write = append(write, "s3:ReplicateDelete")
	}
	st := []statement{
		{Sid: "ReadPrimaryConfiguration", Effect: "Allow", Action: strList{"s3:GetReplicationConfiguration", "s3:ListBucket"},
			Resource: strList{bucketARN(part, s.Primary.Bucket)}},
		{Sid: "ReadPrimaryVersions", Effect: "Allow",
			Action:   strList{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"},
			Resource: strList{objectsARN(part, s.Primary.Bucket, s.Prefix)}},
		{Sid: "WriteReplicas", Effect: "Allow", Action: write, Resource: strList{objectsARN(part, s.Replica.Bucket, s.Prefix)}},
	}
	if len(s.PrimaryKMSKeys) > 0 {
		st = append(st, kmsStatement("DecryptPrimaryObjects", strList{"kms:Decrypt"}, s.PrimaryKMSKeys, primaryRegion, part, s.Primary.Bucket, s.Prefix))
	}
	if s.ReplicaKMSKey != "" {
		st = append(st, kmsStatement("EncryptReplicas", strList{"kms:Encrypt", "kms:GenerateDataKey"}, []string{s.ReplicaKMSKey}, s.ReplicaRegion, part, s.Replica.Bucket, s.Prefix))
	}
	return policyDoc{Version: policyVersion, Statement: st}
}

func kmsStatement(sid string, actions strList, keys []string, region, part, bucket, prefix string) statement {
	st := statement{Sid: sid, Effect: "Allow", Action: actions, Resource: keys,
		Condition: map[string]map[string]any{"StringLike": {
			"kms:EncryptionContext:aws:s3:arn": []string{objectsARN(part, bucket, prefix), bucketARN(part, bucket)}}}}
	if region != "" {
		st.Condition["StringEquals"] = map[string]any{"kms:ViaService": "s3." + region + ".amazonaws.com"}
	}
	return st
}

// appPolicy is what the site's application role needs to read the
// replica: its objects under the prefix, and a listing of them.
func appPolicy(s Spec) policyDoc {
	part := partitionOf(s.ReplicaRegion)
	list := statement{Sid: "ListReplica", Effect: "Allow", Action: strList{"s3:ListBucket"}, Resource: strList{bucketARN(part, s.Replica.Bucket)}}
	if s.Prefix != "" {
		list.Condition = map[string]map[string]any{"StringLike": {"s3:prefix": []string{s.Prefix + "*"}}}
	}
	st := []statement{
		{Sid: "ReadReplica", Effect: "Allow", Action: strList{"s3:GetObject"}, Resource: strList{objectsARN(part, s.Replica.Bucket, s.Prefix)}},
		list,
	}
	if s.ReplicaKMSKey != "" {
		st = append(st, statement{Sid: "DecryptReplica", Effect: "Allow", Action: strList{"kms:Decrypt"}, Resource: strList{s.ReplicaKMSKey}})
	}
	return policyDoc{Version: policyVersion, Statement: st}
}

// inventoryStatement lets S3 deliver the primary's inventory into the
// destination (S3-FACTS §2.4).
func inventoryStatement(s Spec, primaryRegion, account string) statement {
	part := partitionOf(primaryRegion)
	return statement{
		Sid: inventorySid(s.Primary.Bucket), Effect: "Allow",
		Principal: map[string]any{"Service": "s3.amazonaws.com"},
		Action:    strList{"s3:PutObject"},
		Resource:  strList{objectsARN(part, s.InventoryTo.Bucket, inventoryPrefix(s))},
		Condition: map[string]map[string]any{
			"ArnLike":      {"aws:SourceArn": bucketARN(part, s.Primary.Bucket)},
			"StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"},
		},
	}
}

// inventoryPrefix is where deliveries go in the destination bucket, with
// a trailing "/" when not empty (S3 lays them out below it).
func inventoryPrefix(s Spec) string { return s.InventoryTo.Prefix }

// inventorySid names backfill's statement in the destination's policy.
func inventorySid(primary string) string {
	var b strings.Builder
	b.WriteString("BackfillInventoryFrom")
	for _, r := range primary {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// trustsS3 reports whether a trust policy lets S3 assume the role.
func trustsS3(doc string) bool {
	d, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	for _, st := range d.Statement {
		if st.Effect == "Allow" && matchesAny(st.Action, "sts:AssumeRole") && principalHasService(st.Principal, "s3.amazonaws.com") {
			return true
		}
	}
	return false
}

func principalHasService(p any, svc string) bool {
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	switch v := m["Service"].(type) {
	case string:
		return v == svc
	case []any:
		for _, x := range v {
			if x == svc {
				return true
			}
		}
	}
	return false
}

// permission is one action on one resource (a resource may end in "*").
type permission struct{ Action, Resource string }

// required lists every action-resource pair of the Allow statements of d.
func required(d policyDoc) []permission {
	var ps []permission
	for _, st := range d.Statement {
		for _, a := range st.Action {
			for _, r := range st.Resource {
				ps = append(ps, permission{a, r})
			}
		}
	}
	return ps
}

// missing returns the permissions that docs do not grant: no Allow
// statement covers it, or a Deny statement does. Conditions are not
// evaluated (an Allow with conditions counts as allowing), nor are
// NotAction and NotResource, permission boundaries or organization
// policies; the caller says so.
func missing(docs []policyDoc, want []permission) []permission {
	var out []permission
	for _, p := range want {
		allowed, denied := false, false
		for _, d := range docs {
			for _, st := range d.Statement {
				if !matchesAny(st.Action, p.Action) || !matchesAny(st.Resource, p.Resource) {
					continue
				}
				switch st.Effect {
				case "Allow":
					allowed = true
				case "Deny":
					denied = true
				}
			}
		}
		if !allowed || denied {
			out = append(out, p)
		}
	}
	return out
}

// matchesAny reports whether one of the patterns (IAM wildcards: * and ?,
// actions case-insensitive) matches s. A resource s that itself ends in
// "*" is matched as written, so "arn:aws:s3:::b/*" covers "arn:aws:s3:::b/p/*"
// and "arn:aws:s3:::b/p/x*" does not.
func matchesAny(patterns []string, s string) bool {
	for _, p := range patterns {
		pat, str := p, s
		if !strings.HasPrefix(s, "arn:") { // an action
			pat, str = strings.ToLower(p), strings.ToLower(s)
		}
		if ok, err := path.Match(globPattern(pat), hideSlashes(str)); err == nil && ok {
			return true
		}
	}
	return false
}

// globPattern makes an IAM pattern a path.Match pattern whose * crosses
// "/" (slashes hidden as in hideSlashes) and whose '[' and '\' are literal.
func globPattern(p string) string {
	return strings.NewReplacer("/", "\x00", "[", `\[`, `\`, `\\`).Replace(p)
}

func hideSlashes(s string) string { return strings.ReplaceAll(s, "/", "\x00") }
