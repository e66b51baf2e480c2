package batchops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/run"
)

// RolePolicyName is the name of the inline permission policy backfill
// puts on a role it creates.
const RolePolicyName = "backfill-batchops"

// Policy prints the job role's trust and permission policies and, with
// CreateRole, creates the role with IAM: CreateRole and PutRolePolicy.
// It is idempotent: a role that already has these policies is left as it
// is, and one backfill created (tagged created-by=backfill-batchops) whose
// policy was not put yet is finished; one with other policies (another
// trust or backfill-batchops policy, other inline or attached managed
// policies) is refused unless Update, which replaces backfill's two
// (UpdateAssumeRolePolicy, PutRolePolicy) and removes the others
// (DeleteRolePolicy, DetachRolePolicy).
func Policy(ctx context.Context, s *PolicySpec, env Env) error {
	if err := s.Validate(); err != nil {
		return err
	}
	trust := TrustPolicy()
	perm, notes := PermissionPolicy(s)
	out := struct {
		Trust   Document `json:"trust_policy"`
		Perm    Document `json:"permission_policy"`
		Notes   []string `json:"notes,omitempty"`
		RoleARN string   `json:"role_arn,omitempty"`
		Role    string   `json:"role,omitempty"` // created, updated, unchanged
	}{Trust: trust, Perm: perm, Notes: notes}
	if s.CreateRole != "" {
		api, err := connectIAM(ctx, s.Profile, s.MaxAttempts)
		if err != nil {
			return err
		}
		if out.RoleARN, out.Role, err = ensureRole(ctx, api, s.CreateRole, trust, perm, s.Update); err != nil {
			return err
		}
	}
	p := newPrinter(env.Stdout, s.JSON)
	if s.JSON {
		p.emit("policy", out)
		return nil
	}
	printDoc(env, "Trust policy (who may assume the role):", trust)
	printDoc(env, "Permission policy (what the jobs may do):", perm)
	for _, n := range notes {
		p.note("note: %s", n)
	}
	if out.RoleARN != "" {
		p.note("Role %s %s: %s (policy %s). Give it to submit: --role-arn %s", s.CreateRole, out.Role, out.RoleARN, RolePolicyName, out.RoleARN)
	}
	return nil
}

func printDoc(env Env, title string, d Document) {
	b, _ := json.MarshalIndent(d, "", "  ")
	fmt.Fprintf(env.Stdout, "%s\n%s\n", title, b)
}

// roleTag marks the roles backfill creates: such a role without
// backfill's policy is one a run stopped making (CreateRole done,
// PutRolePolicy not), which the next run finishes without --update.
var roleTag = iamtypes.Tag{Key: aws.String("created-by"), Value: aws.String("backfill-batchops")}

// ensureRole makes the role have exactly these policies, creating it if
// needed; it reports the role's ARN and what it did. An existing role
// with other policies (its trust policy, backfill's inline policy, any
// other inline or attached managed policy) is refused unless update,
// which replaces backfill's two and removes the others.
func ensureRole(ctx context.Context, api roleAPI, name string, trust, perm Document, update bool) (arn, did string, err error) {
	trustJSON, _ := json.Marshal(trust)
	permJSON, _ := json.Marshal(perm)
	got, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if s3err.Code(err) == "NoSuchEntity" {
		created, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(string(trustJSON)),
			Description: aws.String("S3 Batch Operations jobs of backfill"), Tags: []iamtypes.Tag{roleTag}})
		if err != nil {
			return "", "", fmt.Errorf("IAM CreateRole %s: %w", name, err)
		}
		if err := putPolicy(ctx, api, name, permJSON); err != nil {
			return "", "", fmt.Errorf("%w (the role was created: run the same command again to finish it)", err)
		}
		return aws.ToString(created.Role.Arn), "created", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("IAM GetRole %s: %w", name, err)
	}
	arn = aws.ToString(got.Role.Arn)
	st, err := readRole(ctx, api, name, aws.ToString(got.Role.AssumeRolePolicyDocument), trustJSON, permJSON)
	if err != nil {
		return "", "", err
	}
	switch {
	case len(st.differ) == 0 && st.extras() == 0:
		return arn, "unchanged (it already has these policies)", nil
	case st.ours && st.trustSame && st.noPolicy && st.extras() == 0:
		if err := putPolicy(ctx, api, name, permJSON); err != nil {
			return "", "", err
		}
		return arn, "finished (backfill created it, and its policy " + RolePolicyName + " was not put yet)", nil
	case !update:
		return "", "", &run.ExitError{Code: exitcode.Failed, Err: roleDiffers(name, st.what())}
	}
	return arn, "updated (--update: " + strings.Join(st.what(), "; ") + " replaced or removed)", st.update(ctx, api, name, trustJSON, permJSON)
}

// roleState is how an existing role differs from what backfill gives it.
type roleState struct {
	ours, trustSame, noPolicy bool
	differ                    []string
	inline, attached          []string // other inline policies; attached managed policies' ARNs
}

func (r *roleState) extras() int { return len(r.inline) + len(r.attached) }

func (r *roleState) what() []string {
	w := slices.Clone(r.differ)
	if len(r.inline) > 0 {
		w = append(w, "other inline policies "+strings.Join(r.inline, ", "))
	}
	if len(r.attached) > 0 {
		w = append(w, "attached managed policies "+strings.Join(r.attached, ", "))
	}
	return w
}

// readRole reads a role's tags, trust policy, backfill's inline policy,
// its other inline policies and its attached managed policies.
func readRole(ctx context.Context, api roleAPI, name, trustDoc string, trustJSON, permJSON []byte) (*roleState, error) {
	st := &roleState{trustSame: sameJSON(trustDoc, trustJSON)}
	if !st.trustSame {
		st.differ = append(st.differ, "its trust policy")
	}
	tags, err := api.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("IAM ListRoleTags %s: %w", name, err)
	}
	st.ours = slices.ContainsFunc(tags.Tags, func(t iamtypes.Tag) bool {
		return aws.ToString(t.Key) == *roleTag.Key && aws.ToString(t.Value) == *roleTag.Value
	})
	pol, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(RolePolicyName)})
	switch {
	case s3err.Code(err) == "NoSuchEntity":
		st.noPolicy = true
		st.differ = append(st.differ, "no permission policy "+RolePolicyName)
	case err != nil:
		return nil, fmt.Errorf("IAM GetRolePolicy %s %s: %w", name, RolePolicyName, err)
	case !sameJSON(aws.ToString(pol.PolicyDocument), permJSON):
		st.differ = append(st.differ, "another permission policy "+RolePolicyName)
	}
	inline := iam.NewListRolePoliciesPaginator(api, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("IAM ListRolePolicies %s: %w", name, err)
		}
		for _, p := range page.PolicyNames {
			if p != RolePolicyName {
				st.inline = append(st.inline, p)
			}
		}
	}
	attached := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("IAM ListAttachedRolePolicies %s: %w", name, err)
		}
		for _, p := range page.AttachedPolicies {
			st.attached = append(st.attached, aws.ToString(p.PolicyArn))
		}
	}
	return st, nil
}

// update gives the role backfill's trust and permission policies and
// removes its other inline and attached policies (--update).
func (r *roleState) update(ctx context.Context, api roleAPI, name string, trustJSON, permJSON []byte) error {
	if !r.trustSame {
		if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(string(trustJSON))}); err != nil {
			return fmt.Errorf("IAM UpdateAssumeRolePolicy %s: %w", name, err)
		}
	}
	if err := putPolicy(ctx, api, name, permJSON); err != nil {
		return err
	}
	for _, p := range r.inline {
		if _, err := api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil {
			return fmt.Errorf("IAM DeleteRolePolicy %s %s: %w", name, p, err)
		}
	}
	for _, p := range r.attached {
		if _, err := api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(p)}); err != nil {
			return fmt.Errorf("IAM DetachRolePolicy %s %s: %w", name, p, err)
		}
	}
	return nil
}

func putPolicy(ctx context.Context, api roleAPI, name string, doc []byte) error {
	_, err := api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(RolePolicyName), PolicyDocument: aws.String(string(doc))})
	if err != nil {
		return fmt.Errorf("IAM PutRolePolicy %s %s: %w", name, RolePolicyName, err)
	}
	return nil
}

// sameJSON compares a policy document IAM returned (URL-encoded, as IAM
// returns them) with one backfill made, as JSON values.
func sameJSON(got string, want []byte) bool {
	if strings.HasPrefix(got, "%") {
		if d, err := url.PathUnescape(got); err == nil {
			got = d
		}
	}
	var a, b any
	if json.Unmarshal([]byte(got), &a) != nil || json.Unmarshal(want, &b) != nil {
		return false
	}
	return reflect.DeepEqual(normalize(a), normalize(b))
}

// normalize makes equal what IAM writes two ways: a one-element list and
// its element (IAM may return "Action": "x" for ["x"]).
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
	case []any:
		if len(t) == 1 {
			return normalize(t[0])
		}
		for i, e := range t {
			t[i] = normalize(e)
		}
	}
	return v
}
