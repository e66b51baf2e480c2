package setup

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// minioRoleNote is what setup says of a MinIO replication target given as
// the role: MinIO refuses IAM role ARNs and takes the target's ARN instead.
const minioRoleNote = "not an AWS IAM role: not checked"

// planRole is step 3: the role S3 assumes to replicate.
func (w *world) planRole(ctx context.Context) (*Step, error) {
	s := w.s
	st := &Step{Number: 3, Name: "replication role", Verdict: OK}
	docs := []Document{doc("trust policy", trustPolicy()), doc("permission policy (least privilege)", w.roleDocs)}
	switch {
	case w.minio:
		w.roleARN = s.RoleARN
		st.Current = "MinIO replication target " + s.RoleARN
		st.Desired = st.Current
		st.Notes = []string{s.RoleARN + ": " + minioRoleNote + " (MinIO takes its replication target's ARN as the rule's role)"}
	case s.NoIAM && s.RoleARN == "":
		st.Verdict, st.Current, st.Desired = Blocked, "not read (--no-iam)", "a role with the documents below"
		st.Reason = "--no-iam without --role-arn: have the role made from the documents below, then run again with --role-arn ARN"
		st.Documents = docs
	case s.NoIAM:
		w.roleARN = s.RoleARN
		st.Verdict, st.Current, st.Desired = Manual, "not read from IAM (--no-iam)", s.RoleARN+" with the documents below"
		st.Reason = "the role must trust s3.amazonaws.com and allow what the permission policy below allows: not checked (--no-iam)"
		st.Documents = docs
	case s.RoleARN != "":
		return st, w.planGivenRole(ctx, st, docs)
	default:
		return st, w.planOwnRole(ctx, st, docs)
	}
	return st, nil
}

// planGivenRole checks a role named by --role-arn, which setup never
// changes: it must exist, trust S3 and allow what the rule needs.
func (w *world) planGivenRole(ctx context.Context, st *Step, docs []Document) error {
	w.roleARN = w.s.RoleARN
	st.Desired = w.s.RoleARN + ", trusting s3.amazonaws.com and allowing the permission policy below"
	rc, err := inspectRole(ctx, w.c.IAM, w.s.RoleARN, w.roleDocs)
	if err != nil {
		return err
	}
	st.Current = rc.describe()
	if reason := rc.problem(); reason != "" {
		st.Verdict, st.Reason, st.Documents = Blocked, reason+" (setup does not change a role given with --role-arn)", docs
		return nil
	}
	st.Notes = []string{rc.caveat()}
	return nil
}

// planOwnRole plans the role setup makes: created with the trust policy,
// and its inline policy put (or replaced when it differs).
func (w *world) planOwnRole(ctx context.Context, st *Step, docs []Document) error {
	s := w.s
	st.Documents = docs
	st.Desired = fmt.Sprintf("role %s trusting s3.amazonaws.com, with the inline policy %s below", s.RoleName, rolePolicyName)
	out, err := w.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &s.RoleName})
	switch {
	case s3err.Code(err) == "NoSuchEntity":
		w.roleARN = fmt.Sprintf("arn:%s:iam::%s:role/%s", partitionOf(s.ReplicaRegion), w.acct, s.RoleName)
		w.roleIsNew = true
		st.Verdict, st.Current = Create, "role "+s.RoleName+" does not exist"
		st.add("create role "+s.RoleName+" trusting s3.amazonaws.com", w.createRole)
		st.add("put its inline policy "+rolePolicyName, w.putRolePolicy)
		return nil
	case err != nil:
		return fmt.Errorf("IAM GetRole %s: %w", s.RoleName, err)
	}
	w.roleARN = aws.ToString(out.Role.Arn)
	trust, err := decodePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return fmt.Errorf("role %s: trust %w", s.RoleName, err)
	}
	if !trustsS3(trust) {
		st.Verdict, st.Current = Blocked, "role "+w.roleARN+" exists; its trust policy does not let s3.amazonaws.com assume it"
		st.Reason = "fix its trust policy (below), or choose another --role-name"
		return nil
	}
	cur, err := readRolePolicy(ctx, w.c.IAM, s.RoleName, rolePolicyName)
	if err != nil {
		return err
	}
	switch {
	case cur == "":
		st.Verdict, st.Current = Change, "role "+w.roleARN+" exists, without the inline policy "+rolePolicyName
		st.add("put the inline policy "+rolePolicyName, w.putRolePolicy)
	case !samePolicy(cur, w.roleDocs.String()):
		st.Verdict, st.Current = Change, "role "+w.roleARN+" exists; its inline policy "+rolePolicyName+" differs from the one below"
		st.add("replace the inline policy "+rolePolicyName, w.putRolePolicy)
	default:
		st.Current = "role " + w.roleARN + " with the inline policy " + rolePolicyName + " below"
	}
	return nil
}

func (w *world) createRole(ctx context.Context) error {
	out, err := w.c.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(w.s.RoleName),
		AssumeRolePolicyDocument: aws.String(trustPolicy().String()),
		Description:              aws.String(fmt.Sprintf("S3 replication from %s to %s (made by backfill setup)", w.s.Primary.Bucket, w.s.Replica.Bucket))})
	if err != nil {
		return err
	}
	w.roleARN = aws.ToString(out.Role.Arn) // the rule names the role IAM made
	w.createdRole = true
	return nil
}

func (w *world) putRolePolicy(ctx context.Context) error {
	_, err := w.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(w.s.RoleName),
		PolicyName: aws.String(rolePolicyName), PolicyDocument: aws.String(w.roleDocs.String())})
	return err
}

// roleCheck is what IAM says of a role: whether it exists, whether S3 may
// assume it, and which of the wanted permissions its policies lack.
type roleCheck struct {
	arn     string
	exists  bool
	trusts  bool
	missing []permission
}

// inspectRole reads a role, its trust policy, its inline policies and its
// attached managed policies (default versions), and evaluates them
// against want (see missing for what is not evaluated).
func inspectRole(ctx context.Context, c IAMAPI, arn string, want policyDoc) (roleCheck, error) {
	rc := roleCheck{arn: arn}
	a, _ := parseRoleARN(arn)
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: &a.name})
	if s3err.Code(err) == "NoSuchEntity" {
		return rc, nil
	} else if err != nil {
		return rc, fmt.Errorf("IAM GetRole %s: %w", a.name, err)
	}
	rc.exists = true
	trust, err := decodePolicy(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return rc, err
	}
	rc.trusts = trustsS3(trust)
	docs, err := rolePolicies(ctx, c, a.name)
	if err != nil {
		return rc, err
	}
	rc.missing = missing(docs, required(want))
	return rc, nil
}

func (rc roleCheck) describe() string {
	switch {
	case !rc.exists:
		return "role " + rc.arn + " does not exist"
	case !rc.trusts:
		return "role " + rc.arn + " exists; S3 may not assume it"
	case len(rc.missing) > 0:
		return "role " + rc.arn + " exists and trusts S3; its policies lack what the rule needs"
	}
	return "role " + rc.arn + " trusts s3.amazonaws.com and allows what the rule needs"
}

// problem is why the role cannot serve the rule, "" if it can.
func (rc roleCheck) problem() string {
	switch {
	case !rc.exists:
		return "role " + rc.arn + " does not exist"
	case !rc.trusts:
		return "its trust policy does not let s3.amazonaws.com assume it (sts:AssumeRole)"
	case len(rc.missing) > 0:
		var m []string
		for _, p := range rc.missing {
			m = append(m, p.Action+" on "+p.Resource)
		}
		return "its policies do not allow " + strings.Join(m, ", ")
	}
	return ""
}

// caveat says what the evaluation leaves out.
func (rc roleCheck) caveat() string {
	return "read from IAM, not assumed: conditions, permission boundaries and organization policies are not evaluated"
}

// rolePolicies returns a role's inline policies and the default versions
// of its attached managed policies.
func rolePolicies(ctx context.Context, c IAMAPI, role string) ([]policyDoc, error) {
	var docs []policyDoc
	add := func(raw string) error {
		text, err := decodePolicy(raw)
		if err != nil {
			return err
		}
		d, err := parsePolicy(text)
		if err != nil {
			return err
		}
		docs = append(docs, d)
		return nil
	}
	inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &role, MaxItems: aws.Int32(1000)})
	if err != nil {
		return nil, fmt.Errorf("IAM ListRolePolicies %s: %w", role, err)
	}
	for _, name := range inline.PolicyNames {
		out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("IAM GetRolePolicy %s %s: %w", role, name, err)
		}
		if err := add(aws.ToString(out.PolicyDocument)); err != nil {
			return nil, fmt.Errorf("role %s policy %s: %w", role, name, err)
		}
	}
	attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &role, MaxItems: aws.Int32(1000)})
	if err != nil {
		return nil, fmt.Errorf("IAM ListAttachedRolePolicies %s: %w", role, err)
	}
	for _, ap := range attached.AttachedPolicies {
		text, err := managedPolicy(ctx, c, aws.ToString(ap.PolicyArn))
		if err != nil {
			return nil, err
		}
		if err := add(text); err != nil {
			return nil, fmt.Errorf("policy %s: %w", aws.ToString(ap.PolicyArn), err)
		}
	}
	return docs, nil
}

func managedPolicy(ctx context.Context, c IAMAPI, arn string) (string, error) {
	p, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		return "", fmt.Errorf("IAM GetPolicy %s: %w", arn, err)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return "", fmt.Errorf("IAM GetPolicyVersion %s: %w", arn, err)
	}
	return aws.ToString(v.PolicyVersion.Document), nil
}
