package setup

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// policyFindings is what the two buckets' policies say of the requests
// replication makes with the role: blocks are Deny statements that surely
// refuse one (replication fails), doubts are Deny statements that may
// (their conditions are not evaluated, or they cover part of the prefix),
// unread says which policy could not be read and why.
type policyFindings struct {
	blocks, doubts, unread []string
}

// bucketPolicyFindings reads the primary's and the replica's bucket
// policies for Deny statements that apply to role on what the rule needs
// (the s3: permissions of need): an explicit Deny in a bucket policy wins
// over the role's Allow, and a Deny on a condition that S3's own
// replication requests do not meet (a VPC endpoint, a source IP) stops
// replication as surely as the role lacking the permission.
func (w *world) bucketPolicyFindings(ctx context.Context, role string, need policyDoc) policyFindings {
	var f policyFindings
	want := slices.DeleteFunc(required(need), func(p permission) bool { return !strings.HasPrefix(strings.ToLower(p.Action), "s3:") })
	buckets := []struct {
		c      bucketReadAPI
		bucket string
		ok     bool // it exists and may be read
	}{{w.c.Primary, w.s.Primary.Bucket, w.primary.usable()}, {w.c.Replica, w.s.Replica.Bucket, w.replica.usable()}}
	for _, b := range buckets {
		if !b.ok {
			continue
		}
		text, err := readBucketPolicy(ctx, b.c, b.bucket)
		switch {
		case s3err.Code(err) == "NotImplemented":
			continue // no policy can deny anything there
		case err != nil:
			f.unread = append(f.unread, fmt.Sprintf("s3://%s's bucket policy cannot be read: %v", b.bucket, err))
			continue
		case text == "":
			continue
		}
		doc, err := parsePolicy(text)
		if err != nil {
			f.unread = append(f.unread, fmt.Sprintf("s3://%s's bucket policy: %v", b.bucket, err))
			continue
		}
		blocks, doubts := policyDenies(doc, "s3://"+b.bucket+"'s bucket policy", role, want)
		f.blocks, f.doubts = append(f.blocks, blocks...), append(f.doubts, doubts...)
	}
	return f
}

// policyDenies lists the Deny statements of a bucket policy that apply to
// role (by Principal or NotPrincipal) and cover one of want: blocks when
// unconditional and covering the whole resource, doubts otherwise.
func policyDenies(doc policyDoc, where, role string, want []permission) (blocks, doubts []string) {
	for i, st := range doc.Statement {
		if st.Effect != "Deny" || !principalApplies(st, role) {
			continue
		}
		var actions []string
		part := false
		for _, p := range want {
			c := covers(st, p)
			if c == none && len(st.Resource) > 0 && slices.ContainsFunc(st.Resource, func(r string) bool { return mayOverlap(r, p.Resource) }) &&
				matchesAny(st.Action, p.Action) {
				c = partial // a Deny on some keys under the prefix
			}
			if c != none && !slices.Contains(actions, p.Action) {
				actions = append(actions, p.Action)
			}
			part = part || c == partial
		}
		if len(actions) == 0 {
			continue
		}
		what := fmt.Sprintf("statement %s of %s denies %s", sidKey(st, i), where, strings.Join(actions, ", "))
		switch {
		case len(st.Condition) > 0:
			doubts = append(doubts, what+" when "+describeCondition(st)+" (conditions not evaluated: they must not hold for "+
				"S3's replication requests, which come from S3 itself, not from a VPC endpoint or an address of yours)")
		case part:
			doubts = append(doubts, what+" on part of the keys replicated (objects there would fail to replicate)")
		default:
			blocks = append(blocks, what+" to the replication role")
		}
	}
	return blocks, doubts
}

var accountRE = regexp.MustCompile(`^arn:[a-z-]+:iam::([0-9]{12}):`)

// principalApplies reports whether a statement's Principal names role
// (everyone, the role, or its account), or its NotPrincipal does not.
// A statement with neither (identity policies) applies.
func principalApplies(st statement, role string) bool {
	acct := ""
	if m := accountRE.FindStringSubmatch(role); m != nil {
		acct = m[1]
	}
	names := func(p any) bool {
		for _, v := range awsPrincipals(p) {
			if v == "*" || v == role || acct != "" && (v == acct || strings.HasSuffix(v, ":iam::"+acct+":root")) ||
				strings.Contains(v, "*") && matchesAny([]string{v}, role) {
				return true
			}
		}
		return false
	}
	switch {
	case st.Principal != nil:
		return names(st.Principal)
	case st.NotPrincipal != nil:
		return !names(st.NotPrincipal)
	}
	return true
}

// awsPrincipals are the AWS principals of a Principal element ("*" for
// everyone); service principals are not the role's.
func awsPrincipals(p any) []string {
	switch v := p.(type) {
	case string:
		return []string{v}
	case map[string]any:
		switch a := v["AWS"].(type) {
		case string:
			return []string{a}
		case []any:
			var out []string
			for _, x := range a {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return nil
}

// describeCondition is a statement's conditions, operator and key, in
// order: "StringNotEquals aws:SourceVpce".
func describeCondition(st statement) string {
	var out []string
	for op, kv := range st.Condition {
		for k := range kv {
			out = append(out, op+" "+k)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// policyProblem adds to step 4's notes what the bucket policies may deny
// the role, and returns why the step is blocked when one surely denies
// it ("" when none does). setup does not change those policies.
func (w *world) policyProblem(ctx context.Context, st *Step) string {
	f := w.bucketPolicyFindings(ctx, w.roleARN, w.ruleDocs)
	st.Notes = append(append(st.Notes, f.doubts...), f.unread...)
	if len(f.blocks) == 0 {
		return ""
	}
	return strings.Join(f.blocks, "; ") + ": an explicit Deny wins over the role's Allow, so replication would fail; " +
		"setup does not change these bucket policies: remove the statement, or exempt the role from it, and run again"
}

// checkBucketPolicies adds the line of the two buckets' policies: no
// Deny that applies to the configuration's role on what the rule needs.
func (w *world) checkBucketPolicies(ctx context.Context, r *Report, role string) {
	const name = "bucket policies"
	if !w.primary.usable() {
		r.add(name, Fail, "unknown: the primary cannot be read (line above)")
		return
	}
	f := w.bucketPolicyFindings(ctx, role, w.ruleDocs)
	switch {
	case len(f.blocks) > 0:
		r.add(name, Fail, "%s: an explicit Deny wins over the role's Allow, so replication fails", strings.Join(f.blocks, "; "))
	case len(f.doubts)+len(f.unread) > 0:
		r.add(name, NotChecked, "%s", strings.Join(append(f.doubts, f.unread...), "; "))
	default:
		r.add(name, Pass, "no Deny in the primary's or the replica's bucket policy applies to what the rule needs")
	}
}

// usable: the bucket exists, may be read, and in its region.
func (b bucketState) usable() bool { return b.exists && b.denied == "" && !b.elsewhere }
