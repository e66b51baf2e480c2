package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/run"
	"github.com/backfill-dev/backfill/setup"
)

// setupExitHelp is the EXIT STATUS section of backfill setup's commands.
const setupExitHelp = `EXIT STATUS:
   plan    0 the plan was made (whatever it says); 1 the state could not be read; 2 usage error
   apply   0 every step is as wanted; 1 a step is blocked (nothing changed) or a change failed
           (the steps before it were made, the rest not attempted); 2 usage error
   check   0 every line passed (or could not be checked, with the reason); 3 some line failed,
           the canary included; 1 the check could not run; 2 usage error`

func setupCommand() *cli.Command {
	return &cli.Command{
		Name:      "setup",
		Usage:     "plan, apply and check the rest of the replica's setup: bucket, versioning, role, rule, inventory, read access; a canary measures the delay",
		UsageText: "backfill setup plan|apply|check --primary s3://BUCKET[/PREFIX] --replica s3://BUCKET --replica-region REGION [flags]",
		Description: `Six steps, each shown with its current state, the state wanted and a verdict
(ok, create, change, blocked, manual, skip):
  1 the replica bucket in --replica-region, Block Public Access on, default encryption
  2 versioning Enabled on both buckets
  3 the replication role (created with IAM; --role-arn to use one; --no-iam to print its policies)
  4 the replication rule on the primary, merged into its configuration (--replace to replace it)
  5 with --inventory-to, a daily CSV inventory of the primary and the destination's bucket policy
  6 with --app-role-arn, the statement the site's role needs to read the replica

'plan' changes nothing; 'apply' makes the changes in order and stops at the first
failure; 'check' proves the setup and runs the canary. Every input is checked
before any request is sent.

` + setupExitHelp,
		Subcommands: []*cli.Command{setupPlanCommand(), setupApplyCommand(), setupCheckCommand()},
	}
}

func setupPlanCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show each step's current state, the state wanted and the verdict; change nothing",
		UsageText: "backfill setup plan --primary s3://BUCKET --replica s3://BUCKET --replica-region REGION [flags]",
		Description: `Reads the buckets, the replication configuration, IAM (unless --no-iam) and STS,
and prints each step as ok, create, change (with the difference), blocked (why),
manual or skip. Sends no request that changes anything.

` + setupExitHelp,
		Flags:        setupFlags(),
		Action:       runSetupPlan,
		OnUsageError: onUsageError,
	}
}

func setupApplyCommand() *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "make the changes the plan shows, in order; stop at the first failure",
		UsageText: "backfill setup apply --primary s3://BUCKET --replica s3://BUCKET --replica-region REGION [flags]",
		Description: `Plans, then makes the changes step by step. While a step is blocked it changes
nothing. A second apply with the same flags finds every step ok and changes nothing.

` + setupExitHelp,
		Flags:        setupFlags(),
		Action:       runSetupApply,
		OnUsageError: onUsageError,
	}
}

func setupCheckCommand() *cli.Command {
	flags := append(setupFlags(),
		&cli.IntFlag{Name: "canaries", Category: "Check", Value: setup.DefaultCanaries, Usage: "`N` small canary objects to write and wait for (0: no canary)"},
		&cli.DurationFlag{Name: "timeout", Category: "Check", Value: setup.DefaultTimeout, Usage: "how long to wait for the canaries (`DURATION`)"},
		&cli.StringFlag{Name: "proxy-url", Category: "Check", Usage: "the site's S3 proxy `URL`, shown in the hand-off"},
	)
	return &cli.Command{
		Name:      "check",
		Usage:     "prove the setup line by line, run the canary, recommend the delay, print the hand-off",
		UsageText: "backfill setup check --primary s3://BUCKET --replica s3://BUCKET --replica-region REGION [--canaries N] [--timeout D] [--proxy-url URL] [flags]",
		Description: `Each line passes or fails with its reason: the buckets in their regions, versioning,
the rule present, enabled and covering the prefix, the role read from IAM, the
replica's Block Public Access and encryption, the inventory. Then the canary:
--canaries objects under <prefix>.backfill-canary/ (with the rule's tags), waited
for until REPLICA in the replica and COMPLETED on the primary, each delay measured,
all deleted on both sides. The recommended delay for new media is twice the
slowest canary, at least 15 minutes without Replication Time Control: a
measurement, not a guarantee. A canary that does not arrive within --timeout fails
the check, naming the likely causes.

` + setupExitHelp,
		Flags:        flags,
		Action:       runSetupCheck,
		OnUsageError: onUsageError,
	}
}

func runSetupPlan(c *cli.Context) error {
	spec, clients, err := setupStart(c)
	if err != nil {
		return err
	}
	p, err := setup.MakePlan(c.Context, spec, clients)
	if err != nil {
		return setupError(err)
	}
	return printPlan(c.App.Writer, c.Bool("json"), p)
}

func runSetupApply(c *cli.Context) error {
	spec, clients, err := setupStart(c)
	if err != nil {
		return err
	}
	p, err := setup.Apply(c.Context, spec, clients)
	if p != nil {
		if perr := printPlan(c.App.Writer, c.Bool("json"), p); perr != nil {
			return perr
		}
	}
	if err != nil {
		return setupError(err)
	}
	return nil
}

func runSetupCheck(c *cli.Context) error {
	spec, clients, err := setupStart(c)
	if err != nil {
		return err
	}
	r, err := setup.Check(c.Context, spec, clients)
	if err != nil {
		return setupError(err)
	}
	if c.Bool("json") {
		err = writeJSON(c.App.Writer, r)
	} else {
		setup.PrintCheck(c.App.Writer, r)
	}
	if err != nil {
		return err
	}
	if r.Failed() > 0 {
		return &run.ExitError{Code: exitcode.Partial} // the lines said why
	}
	return nil
}

// setupStart turns the flags into a Spec, checks it, and connects.
func setupStart(c *cli.Context) (setup.Spec, *setup.Clients, error) {
	if err := noArgs(c); err != nil {
		return setup.Spec{}, nil, err
	}
	spec, err := setupSpec(c)
	if err != nil {
		return spec, nil, err
	}
	if err := spec.Validate(); err != nil {
		return spec, nil, setupError(err) // before any request
	}
	o := awsconf.Options{Profile: c.String("profile"), Endpoint: c.String("endpoint-url"), MaxAttempts: c.Int("max-attempts"), DebugLog: debugLog(c)}
	primary := setup.Side{Profile: c.String("primary-profile"), Region: c.String("primary-region"), Endpoint: c.String("primary-endpoint-url")}
	replica := setup.Side{Profile: c.String("replica-profile"), Endpoint: c.String("replica-endpoint-url")}
	clients, err := setup.Connect(c.Context, o, primary, replica, spec)
	if err != nil {
		return spec, nil, err
	}
	return spec, clients, nil
}

// setupError gives err its exit status: 2 for the caller's input, 1 else.
func setupError(err error) error {
	if errors.Is(err, setup.ErrUsage) {
		return &run.ExitError{Code: exitcode.Usage, Err: err}
	}
	return &run.ExitError{Code: exitcode.Failed, Err: err}
}

func printPlan(w io.Writer, asJSON bool, p *setup.Plan) error {
	if asJSON {
		return writeJSON(w, p)
	}
	setup.PrintPlan(w, p)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// setupURL parses an s3:// flag; "" stays the zero URL (Validate says
// it is missing).
func setupURL(c *cli.Context, name string) (s3url.URL, error) {
	if c.String(name) == "" {
		return s3url.URL{}, nil
	}
	u, err := s3url.Parse(c.String(name))
	if err != nil {
		return u, run.Usagef("--%s: %v", name, err)
	}
	return u, nil
}
