package setup

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// planApp is step 6 (with --app-role-arn): the statement the site's
// application role needs to read the replica, printed for whoever manages
// that role, or put on it as the inline policy backfill-replica-read-REPLICA
// with --apply-app-policy.
func (w *world) planApp(ctx context.Context) (*Step, error) {
	s := w.s
	appPolicyName := appPolicyName(s.Replica.Bucket, s.Prefix)
	st := &Step{Number: 6, Name: "application read access", Verdict: OK}
	if s.AppRoleARN == "" {
		st.Verdict, st.Reason = Skip, "not asked for (--app-role-arn ARN)"
		return st, nil
	}
	want := appPolicy(s)
	st.Documents = []Document{doc("policy for "+s.AppRoleARN, want)}
	st.Desired = fmt.Sprintf("%s may read s3://%s/%s (inline policy %s)", s.AppRoleARN, s.Replica.Bucket, s.Prefix, appPolicyName)
	a, _ := parseRoleARN(s.AppRoleARN)
	other := w.acct != "" && a.account != w.acct
	if other {
		st.Notes = append(st.Notes, "a role of another account reads the replica only if the replica's bucket policy lets it too: setup does not set that")
	}
	switch {
	case !s.ApplyAppPolicy:
		st.Verdict, st.Current = Manual, "not read (no --apply-app-policy)"
		st.Reason = "add the policy below to " + s.AppRoleARN + ", or run apply with --apply-app-policy"
		return st, nil
	case other:
		st.Verdict, st.Current = Blocked, otherAccount(a, w.acct)
		st.Reason = "--apply-app-policy puts the policy on a role of this account only (IAM would look the name " + a.name +
			" up in this one): run without it and give the policy below to account " + a.account + "'s administrators, " +
			"or run with that account's credentials"
		return st, nil
	}
	_, err := w.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &a.name})
	if s3err.Code(err) == "NoSuchEntity" {
		st.Verdict, st.Current, st.Reason = Blocked, "role "+s.AppRoleARN+" does not exist", "--app-role-arn names no role of this account"
		return st, nil
	} else if err != nil {
		return nil, fmt.Errorf("IAM GetRole %s: %w", a.name, err)
	}
	cur, err := readRolePolicy(ctx, w.c.IAM, a.name, appPolicyName)
	if err != nil {
		return nil, err
	}
	put := func(ctx context.Context) error {
		_, err := w.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(a.name),
			PolicyName: aws.String(appPolicyName), PolicyDocument: aws.String(want.String())})
		return err
	}
	switch {
	case cur == "":
		st.Verdict, st.Current = Create, s.AppRoleARN+" has no inline policy "+appPolicyName
		st.add("put the inline policy "+appPolicyName+" on "+a.name, put)
	case !samePolicy(cur, want.String()):
		st.Verdict, st.Current = Change, s.AppRoleARN+"'s inline policy "+appPolicyName+" differs from the one below"
		if d, err := parsePolicy(cur); err == nil {
			st.Diff = policyDiff(d, want)
		}
		st.add("replace the inline policy "+appPolicyName+" of "+a.name+" (the difference below)", put)
	default:
		st.Current = s.AppRoleARN + " has the inline policy " + appPolicyName + " below"
	}
	return st, nil
}

// appPolicyName names the application role's inline policy for one
// replica bucket: one policy per replica, so setting up a second replica
// for the same application role adds to its access instead of replacing
// the first replica's. (A new prefix of the same replica is a change of
// its policy, shown as a difference.) prefix is not part of the name.
func appPolicyName(bucket, _ string) string {
	return appPolicyPrefix + bucket
}
