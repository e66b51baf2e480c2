package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// InventoryFields are the optional fields of the inventory setup asks
// for: what backfill copy and verify read (size, ETag, date, storage
// class, replication status, Intelligent-Tiering tier), and what tells
// whether two ETags can be compared (multipart, encryption, checksum).
// Version id, IsLatest and IsDeleteMarker come with every version.
var InventoryFields = []types.InventoryOptionalField{
	types.InventoryOptionalFieldSize, types.InventoryOptionalFieldLastModifiedDate, types.InventoryOptionalFieldETag,
	types.InventoryOptionalFieldStorageClass, types.InventoryOptionalFieldReplicationStatus,
	types.InventoryOptionalFieldIntelligentTieringAccessTier, types.InventoryOptionalFieldIsMultipartUploaded,
	types.InventoryOptionalFieldEncryptionStatus, types.InventoryOptionalFieldChecksumAlgorithm,
}

// planInventory is step 5 (with --inventory-to): a daily CSV inventory of
// every version of the primary's objects under the prefix, and the
// statement in the destination's bucket policy that lets S3 deliver it.
func (w *world) planInventory(ctx context.Context) (*Step, error) {
	s := w.s
	st := &Step{Number: 5, Name: "inventory", Verdict: OK}
	if s.InventoryTo == nil {
		st.Verdict, st.Reason = Skip, "not asked for (--inventory-to s3://BUCKET/PREFIX)"
		return st, nil
	}
	dest := s.InventoryTo.Bucket
	st.Desired = fmt.Sprintf("inventory %s of s3://%s: daily, CSV, all versions, fields %s, delivered to %s; "+
		"the destination's policy lets S3 write there", s.InventoryID, s.Primary.Bucket, fieldList(), s.InventoryTo)
	st.Notes = []string{"S3 delivers the first report within 48 hours"}
	db, err := readBucket(ctx, w.c.Primary, dest, w.primary.region, false)
	if err != nil {
		return nil, fmt.Errorf("inventory destination: %w", err)
	}
	if reason := destProblem(db, w.primary.region); reason != "" {
		st.Verdict, st.Current, st.Reason = Blocked, "s3://"+dest+": "+reason, reason
		return st, nil
	}
	cur, err := readInventory(ctx, w.c.Primary, s.Primary.Bucket, s.InventoryID)
	if err != nil {
		return nil, err
	}
	policy, err := readBucketPolicy(ctx, w.c.Primary, dest)
	if err != nil {
		return nil, err
	}
	want := w.desiredInventory()
	merged, changed, err := mergeStatement(policy, inventoryStatement(s, w.primary.region, w.acct))
	if err != nil {
		return nil, fmt.Errorf("bucket policy of s3://%s: %w", dest, err)
	}
	st.Current = describeInventory(cur, s.InventoryID) + "; " + describePolicyState(policy, changed)
	if changed {
		st.Verdict = Change
		st.add("put the bucket policy of s3://"+dest+" with statement "+inventorySid(s.Primary.Bucket), w.putBucketPolicy(dest, merged))
	}
	if d := inventoryDiff(cur, want); cur == nil || len(d) > 0 {
		st.Verdict = Change
		st.add("put inventory configuration "+s.InventoryID+describeDiff(d), w.putInventory(want))
	}
	if cur == nil && st.Verdict == Change {
		st.Verdict = Create
	}
	return st, nil
}

func destProblem(b bucketState, region string) string {
	switch {
	case !b.exists:
		return "the inventory destination does not exist: create it in " + region + " (the primary's region)"
	case b.denied != "":
		return b.denied
	case b.region != region:
		return fmt.Sprintf("the destination is in %s: S3 delivers an inventory only to a bucket in the source's region (%s)", b.region, region)
	}
	return ""
}

func fieldList() string {
	var f []string
	for _, x := range InventoryFields {
		f = append(f, string(x))
	}
	return strings.Join(f, ", ")
}

func (w *world) desiredInventory() types.InventoryConfiguration {
	s := w.s
	dst := &types.InventoryS3BucketDestination{Bucket: aws.String(bucketARN(partitionOf(w.primary.region), s.InventoryTo.Bucket)),
		Format: types.InventoryFormatCsv}
	if p := strings.TrimSuffix(s.InventoryTo.Prefix, "/"); p != "" {
		dst.Prefix = aws.String(p)
	}
	c := types.InventoryConfiguration{Id: aws.String(s.InventoryID), IsEnabled: aws.Bool(true),
		IncludedObjectVersions: types.InventoryIncludedObjectVersionsAll,
		Schedule:               &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
		Destination:            &types.InventoryDestination{S3BucketDestination: dst},
		OptionalFields:         slices.Clone(InventoryFields)}
	if s.Prefix != "" {
		c.Filter = &types.InventoryFilter{Prefix: aws.String(s.Prefix)}
	}
	return c
}

// inventoryDiff lists how cur differs from want (extra fields are fine).
func inventoryDiff(cur *types.InventoryConfiguration, want types.InventoryConfiguration) []string {
	if cur == nil {
		return nil
	}
	var d []string
	diff := func(what, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %s -> %s", what, orNone(a), orNone(b)))
		}
	}
	diff("enabled", fmt.Sprint(aws.ToBool(cur.IsEnabled)), "true")
	diff("versions", string(cur.IncludedObjectVersions), string(want.IncludedObjectVersions))
	if cur.Schedule != nil {
		diff("frequency", string(cur.Schedule.Frequency), string(want.Schedule.Frequency))
	}
	var cd types.InventoryS3BucketDestination
	if cur.Destination != nil && cur.Destination.S3BucketDestination != nil {
		cd = *cur.Destination.S3BucketDestination
	}
	wd := want.Destination.S3BucketDestination
	diff("format", string(cd.Format), string(wd.Format))
	diff("destination", aws.ToString(cd.Bucket), aws.ToString(wd.Bucket))
	diff("destination prefix", aws.ToString(cd.Prefix), aws.ToString(wd.Prefix))
	diff("filter prefix", invPrefix(cur), invPrefix(&want))
	for _, f := range want.OptionalFields {
		if !slices.Contains(cur.OptionalFields, f) {
			d = append(d, "add field "+string(f))
		}
	}
	return d
}

func invPrefix(c *types.InventoryConfiguration) string {
	if c.Filter == nil {
		return ""
	}
	return aws.ToString(c.Filter.Prefix)
}

func describeDiff(d []string) string {
	if len(d) == 0 {
		return ""
	}
	return " (" + strings.Join(d, "; ") + ")"
}

func describeInventory(c *types.InventoryConfiguration, id string) string {
	if c == nil {
		return "no inventory configuration " + id
	}
	dest := ""
	if c.Destination != nil && c.Destination.S3BucketDestination != nil {
		dest = aws.ToString(c.Destination.S3BucketDestination.Bucket)
	}
	return fmt.Sprintf("inventory %s to %s (%d fields)", id, dest, len(c.OptionalFields))
}

func describePolicyState(policy string, changed bool) string {
	switch {
	case policy == "":
		return "the destination has no bucket policy"
	case changed:
		return "the destination's bucket policy lacks backfill's statement (or it differs)"
	}
	return "the destination's bucket policy has backfill's statement"
}

func (w *world) putBucketPolicy(bucket, policy string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := w.c.Primary.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
		return err
	}
}

func (w *world) putInventory(want types.InventoryConfiguration) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := w.c.Primary.PutBucketInventoryConfiguration(ctx, &s3.PutBucketInventoryConfigurationInput{
			Bucket: aws.String(w.s.Primary.Bucket), Id: want.Id, InventoryConfiguration: &want})
		return err
	}
}

// mergeStatement puts st into the policy document (replacing the
// statement of its Sid, keeping every other statement and key as they
// are) and reports whether that changed it.
func mergeStatement(policy string, st statement) (string, bool, error) {
	doc := map[string]json.RawMessage{}
	if policy != "" {
		if err := json.Unmarshal([]byte(policy), &doc); err != nil {
			return "", false, fmt.Errorf("not valid JSON: %w", err)
		}
	}
	var stmts []json.RawMessage
	if raw := bytes.TrimSpace(doc["Statement"]); len(raw) > 0 && raw[0] == '{' {
		stmts = []json.RawMessage{raw} // a single statement, not a list
	} else if len(raw) > 0 {
		if err := json.Unmarshal(raw, &stmts); err != nil {
			return "", false, fmt.Errorf("Statement: %w", err)
		}
	}
	mine, _ := json.Marshal(st)
	changed := true
	i := slices.IndexFunc(stmts, func(r json.RawMessage) bool {
		var x statement
		return json.Unmarshal(r, &x) == nil && x.Sid == st.Sid
	})
	if i >= 0 {
		var x statement
		_ = json.Unmarshal(stmts[i], &x)
		again, _ := json.Marshal(x)
		changed = !bytes.Equal(again, mine)
		stmts[i] = mine
	} else {
		stmts = append(stmts, mine)
	}
	if _, ok := doc["Version"]; !ok {
		doc["Version"] = json.RawMessage(`"` + policyVersion + `"`)
	}
	doc["Statement"], _ = json.Marshal(stmts)
	out, err := json.MarshalIndent(doc, "", "  ")
	return string(out), changed, err
}
