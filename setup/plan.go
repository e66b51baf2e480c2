package setup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Verdict is what a step needs.
type Verdict string

// The verdicts. apply acts on create and change, refuses to start while a
// step is blocked, and leaves manual steps to the people they are printed
// for.
const (
	OK      Verdict = "ok"      // as wanted already: nothing to do
	Create  Verdict = "create"  // absent: apply creates it
	Change  Verdict = "change"  // present but different: apply changes it (Changes say how)
	Blocked Verdict = "blocked" // cannot be done as asked (Reason says why and what to do)
	Manual  Verdict = "manual"  // for someone else to apply: the Documents are printed, nothing is read or sent
	Skip    Verdict = "skip"    // not asked for
)

// Step is one step of a setup: its current state, the state wanted, and
// the verdict; apply sets Outcome.
type Step struct {
	Number    int        `json:"step"`
	Name      string     `json:"name"`
	Verdict   Verdict    `json:"verdict"`
	Current   string     `json:"current"`
	Desired   string     `json:"desired"`
	Changes   []string   `json:"changes,omitempty"` // what apply does, one line each
	Reason    string     `json:"reason,omitempty"`  // why blocked, manual or skipped
	Notes     []string   `json:"notes,omitempty"`   // warnings and facts worth knowing
	Documents []Document `json:"documents,omitempty"`
	Outcome   string     `json:"outcome,omitempty"` // apply: done, failed: ..., not attempted, nothing to do

	actions []action
}

// Document is a policy document a step shows (to create, to compare, or
// to hand to a security team).
type Document struct {
	Title string          `json:"title"`
	JSON  json.RawMessage `json:"json"`
}

func doc(title string, d policyDoc) Document {
	return Document{Title: title, JSON: json.RawMessage(d.String())}
}

// action is one change apply makes, in order.
type action struct {
	what string
	do   func(context.Context) error
}

func (st *Step) add(what string, do func(context.Context) error) {
	st.Changes = append(st.Changes, what)
	st.actions = append(st.actions, action{what, do})
}

// Plan is the six steps of a setup, as plan shows them and apply does them.
type Plan struct {
	Command       string  `json:"command"` // plan or apply
	Primary       string  `json:"primary"`
	PrimaryRegion string  `json:"primary_region"`
	Replica       string  `json:"replica"`
	ReplicaRegion string  `json:"replica_region"`
	Account       string  `json:"account,omitempty"`
	Steps         []*Step `json:"steps"`
	// Applied counts the changes apply made.
	Applied int `json:"changes_applied"`
}

// Count returns how many steps have verdict v.
func (p *Plan) Count(v Verdict) int {
	n := 0
	for _, st := range p.Steps {
		if st.Verdict == v {
			n++
		}
	}
	return n
}

// world is what a plan reads once and its steps share.
type world struct {
	s        Spec
	c        *Clients
	primary  bucketState
	replica  bucketState
	acct     string
	roleARN  string // the role the rule names: known, or predicted for a role apply creates
	minio    bool   // the role is a MinIO replication target
	roleDocs policyDoc
	// roleIsNew: apply creates the role; createdRole: it has (apply).
	roleIsNew, createdRole bool
}

// ErrPrimaryMissing is returned when the primary bucket does not exist or
// cannot be read: nothing can be set up.
var ErrPrimaryMissing = errors.New("the primary bucket does not exist or cannot be used")

// MakePlan reads the current state of every step and decides what each
// needs. It changes nothing: its requests only read (HeadBucket, Get*,
// IAM GetRole/GetRolePolicy/List*, STS GetCallerIdentity). The Spec is
// validated first; its errors wrap ErrUsage.
func MakePlan(ctx context.Context, s Spec, c *Clients) (*Plan, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	w, err := observe(ctx, s.withDefaults(), c)
	if err != nil {
		return nil, err
	}
	p := &Plan{Command: "plan", Primary: "s3://" + w.s.Primary.Bucket, PrimaryRegion: w.primary.region,
		Replica: "s3://" + w.s.Replica.Bucket, ReplicaRegion: w.s.ReplicaRegion, Account: w.acct}
	p.Steps = []*Step{w.planBucket(), w.planVersioning()}
	for _, f := range []func(context.Context) (*Step, error){w.planRole, w.planRule, w.planInventory, w.planApp} {
		st, err := f(ctx)
		if err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

// observe reads the two buckets and, when a step needs it, the account.
func observe(ctx context.Context, s Spec, c *Clients) (*world, error) {
	w := &world{s: s, c: c, minio: isMinIOTarget(s.RoleARN)}
	var err error
	if w.primary, err = readBucket(ctx, c.Primary, s.Primary.Bucket, s.PrimaryRegion, false); err != nil {
		return nil, fmt.Errorf("primary: %w", err)
	}
	switch {
	case !w.primary.exists:
		return nil, fmt.Errorf("%w: s3://%s does not exist", ErrPrimaryMissing, s.Primary.Bucket)
	case w.primary.denied != "":
		return nil, fmt.Errorf("%w: s3://%s: %s", ErrPrimaryMissing, s.Primary.Bucket, w.primary.denied)
	case s.PrimaryRegion != "" && w.primary.region != s.PrimaryRegion:
		return nil, fmt.Errorf("%w: s3://%s is in %s, not in --primary-region %s", ErrPrimaryMissing, s.Primary.Bucket, w.primary.region, s.PrimaryRegion)
	}
	if w.replica, err = readBucket(ctx, c.Replica, s.Replica.Bucket, s.ReplicaRegion, true); err != nil {
		return nil, fmt.Errorf("replica: %w", err)
	}
	w.roleDocs = replicationPolicy(s, w.primary.region)
	if s.InventoryTo != nil || (s.RoleARN == "" && !s.NoIAM) {
		if err := w.readAccount(ctx); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *world) readAccount(ctx context.Context) error {
	out, err := w.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("STS GetCallerIdentity (the account, for the role's ARN and the inventory policy): %w", err)
	}
	w.acct = aws.ToString(out.Account)
	return nil
}

// BlockedError is apply's refusal: a step is blocked, so nothing was changed.
type BlockedError struct{ Step *Step }

func (e *BlockedError) Error() string {
	return fmt.Sprintf("nothing was changed: step %d (%s) is blocked: %s", e.Step.Number, e.Step.Name, e.Step.Reason)
}

// StepError is apply's failure: the change that failed; the changes before
// it were made, the ones after it were not attempted.
type StepError struct {
	Step   *Step
	Action string
	Err    error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d (%s): %s: %v", e.Step.Number, e.Step.Name, e.Action, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Apply plans, then makes the changes in step order and stops at the first
// failure (a *StepError; every step's Outcome says what happened to it).
// While a step is blocked it changes nothing (a *BlockedError). Run on a
// setup that is whole, it sends no request that changes anything.
func Apply(ctx context.Context, s Spec, c *Clients) (*Plan, error) {
	p, err := MakePlan(ctx, s, c)
	if err != nil {
		return nil, err
	}
	p.Command = "apply"
	for _, st := range p.Steps {
		if st.Verdict == Blocked {
			markRest(p.Steps, 0)
			return p, &BlockedError{Step: st}
		}
	}
	for i, st := range p.Steps {
		if len(st.actions) == 0 {
			st.Outcome = "nothing to do"
			continue
		}
		for _, a := range st.actions {
			if err := a.do(ctx); err != nil {
				st.Outcome = "failed: " + a.what + ": " + err.Error()
				markRest(p.Steps, i+1)
				return p, &StepError{Step: st, Action: a.what, Err: err}
			}
			p.Applied++
		}
		st.Outcome = "done"
	}
	return p, nil
}

func markRest(steps []*Step, from int) {
	for _, st := range steps[from:] {
		st.Outcome = "not attempted"
	}
}
