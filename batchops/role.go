package batchops

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

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
// is; one with other policies is refused unless Update, which replaces
// them (UpdateAssumeRolePolicy, PutRolePolicy).
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

// ensureRole makes the role have exactly these policies, creating it if
// needed; it reports the role's ARN and what it did.
func ensureRole(ctx context.Context, api roleAPI, name string, trust, perm Document, update bool) (arn, did string, err error) {
	trustJSON, _ := json.Marshal(trust)
	permJSON, _ := json.Marshal(perm)
	got, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if s3err.Code(err) == "NoSuchEntity" {
		created, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(string(trustJSON)),
			Description: aws.String("S3 Batch Operations jobs of backfill")})
		if err != nil {
			return "", "", fmt.Errorf("IAM CreateRole %s: %w", name, err)
		}
		if err := putPolicy(ctx, api, name, permJSON); err != nil {
			return "", "", err
		}
		return aws.ToString(created.Role.Arn), "created", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("IAM GetRole %s: %w", name, err)
	}
	arn = aws.ToString(got.Role.Arn)
	var differ []string
	if !sameJSON(aws.ToString(got.Role.AssumeRolePolicyDocument), trustJSON) {
		differ = append(differ, "trust policy")
	}
	pol, err := api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(RolePolicyName)})
	switch {
	case s3err.Code(err) == "NoSuchEntity":
		differ = append(differ, "permission policy (it has no "+RolePolicyName+")")
	case err != nil:
		return "", "", fmt.Errorf("IAM GetRolePolicy %s %s: %w", name, RolePolicyName, err)
	case !sameJSON(aws.ToString(pol.PolicyDocument), permJSON):
		differ = append(differ, "permission policy "+RolePolicyName)
	}
	if len(differ) == 0 {
		return arn, "unchanged (it already has these policies)", nil
	}
	if !update {
		return "", "", &run.ExitError{Code: exitcode.Failed, Err: roleDiffers(name, differ)}
	}
	if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(string(trustJSON))}); err != nil {
		return "", "", fmt.Errorf("IAM UpdateAssumeRolePolicy %s: %w", name, err)
	}
	if err := putPolicy(ctx, api, name, permJSON); err != nil {
		return "", "", err
	}
	return arn, "updated (--update: its " + strings.Join(differ, " and ") + " replaced)", nil
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
