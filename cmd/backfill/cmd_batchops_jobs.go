package main

import (
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/batchops"
	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/run"
)

// batchopsJobCommand is a command that names one job: JOB-ID, --state,
// the account flags and the AWS flags of a job.
func batchopsJobCommand(name, usage string, action cli.ActionFunc, extra ...cli.Flag) *cli.Command {
	c := jobCommand(name, usage, action, append(extra, stateFlag())...)
	c.Flags = append(c.Flags, jobAWSFlags()...)
	return c
}

// jobCommand is a command that names one job, with the account flags and
// extra (its AWS flags among them).
func jobCommand(name, usage string, action cli.ActionFunc, extra ...cli.Flag) *cli.Command {
	flags := append(extra, accountFlags()...)
	return &cli.Command{
		Name:         name,
		Usage:        usage,
		UsageText:    "backfill batchops " + name + " [flags] JOB-ID",
		Description:  usage + ".\n\n" + batchopsHelp,
		Flags:        flags,
		Action:       action,
		OnUsageError: onUsageError,
	}
}

// jobRef reads JOB-ID and the account flags.
func jobRef(c *cli.Context) (batchops.JobRef, error) {
	switch c.NArg() {
	case 0:
		return batchops.JobRef{}, run.Usagef("a job id is needed: backfill batchops %s JOB-ID (`backfill batchops list` shows them)", c.Command.Name)
	case 1:
	default:
		if strings.HasPrefix(c.Args().Get(1), "-") {
			return batchops.JobRef{}, run.Usagef("flags go before the job id: backfill batchops %s [flags] JOB-ID", c.Command.Name)
		}
		return batchops.JobRef{}, run.Usagef("one job id, not %d arguments: %s", c.NArg(), strings.Join(c.Args().Slice(), " "))
	}
	return batchops.JobRef{Account: account(c, c.String("region")), ID: c.Args().First(), JSON: c.Bool("json"), State: c.String("state")}, nil
}

func jobEnv(c *cli.Context) batchops.Env {
	return batchops.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter}
}

func confirmAction(c *cli.Context) error {
	ref, err := jobRef(c)
	if err != nil {
		return err
	}
	return batchops.Confirm(c.Context, ref, jobEnv(c))
}

func statusAction(c *cli.Context) error {
	ref, err := jobRef(c)
	if err != nil {
		return err
	}
	return batchops.Status(c.Context, ref, jobEnv(c))
}

func batchopsWaitCommand() *cli.Command {
	return batchopsJobCommand("wait", "follow a job to its end with a progress bar (a status line every 30 s on a non-terminal), then show it as status does",
		func(c *cli.Context) error {
			ref, err := jobRef(c)
			if err != nil {
				return err
			}
			ctx, _, stop := withSignals(c.Context, c.App.ErrWriter)
			defer stop()
			return batchops.Wait(ctx, batchops.WaitSpec{JobRef: ref, Poll: c.Duration("poll"), Lines: c.Duration("status-every"),
				Timeout: c.Duration("timeout"), Progress: !c.Bool("no-progress")}, jobEnv(c))
		},
		&cli.DurationFlag{Name: "poll", Value: 10 * time.Second, Usage: "look at the job every `DURATION`"},
		&cli.DurationFlag{Name: "status-every", Value: 30 * time.Second, Usage: "a status line every `DURATION` on a non-terminal"},
		&cli.DurationFlag{Name: "timeout", Usage: "stop waiting after `DURATION` (exit 5; the job goes on)"},
		&cli.BoolFlag{Name: "no-progress", Usage: "no progress bar or status lines"},
	)
}

func batchopsListCommand() *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list the account's recent jobs (S3 keeps those of about the last 30 days)",
		UsageText: "backfill batchops list [--status STATUS]... [flags]",
		Flags: append(append([]cli.Flag{
			&cli.StringSliceFlag{Name: "status", Usage: "only jobs in `STATUS` (repeatable: Active, Complete, Suspended, ...)"},
			&cli.IntFlag{Name: "max", Usage: "at most `N` jobs"},
		}, accountFlags()...), jobAWSFlags()...),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return batchops.List(c.Context, batchops.ListSpec{Account: account(c, c.String("region")), Statuses: parseJobStatuses(c.StringSlice("status")),
				Max: c.Int("max"), JSON: c.Bool("json")}, jobEnv(c))
		},
		OnUsageError: onUsageError,
	}
}

func batchopsReportCommand() *cli.Command {
	return batchopsJobCommand("report", "read a finished job's completion report: tasks succeeded and failed, failures by error code; --failures writes a retry manifest",
		func(c *cli.Context) error {
			ref, err := jobRef(c)
			if err != nil {
				return err
			}
			ao, _, _ := awsOptions(c)
			return batchops.Report(c.Context, batchops.ReportSpec{JobRef: ref, AWS: ao, Failures: c.String("failures"), Examples: c.Int("examples")}, jobEnv(c))
		},
		&cli.StringFlag{Name: "failures", Usage: "write the failed tasks to `FILE` as a Batch Operations CSV manifest (mode 0600)"},
		&cli.IntFlag{Name: "examples", Value: 3, Usage: "keys shown per error code (`N`)"},
	)
}

func batchopsRetryCommand() *cli.Command {
	c := jobCommand("retry", "submit a finished job's failed tasks as a new job with its settings, or copy them here with --locally",
		retryAction,
		&cli.BoolFlag{Name: "locally", Usage: "copy the failed tasks' objects with the local engine instead of a new job"},
		&cli.BoolFlag{Name: "yes", Usage: "confirm the new job at once"},
		stateFlag(),
		&cli.BoolFlag{Name: "large-locally", Usage: "copy failed objects over 5 GiB on this machine"},
		&cli.StringFlag{Name: "large-manifest", Value: "backfill-large-objects.csv", Usage: "`FILE` listing failed objects over 5 GiB"},
		&cli.StringFlag{Name: "large-checkpoint", Usage: "checkpoint `PATH` of the local copy of failed objects over 5 GiB (default: backfill-large-TOKEN.db beside --state)"},
		&cli.StringFlag{Name: "checkpoint", Usage: "with --locally: the local copy's checkpoint `PATH` (default: none)"},
		&cli.IntFlag{Name: "concurrency", Value: engine.DefaultConcurrency, Usage: "requests in flight (`N`)"},
		&cli.BoolFlag{Name: "no-progress", Usage: "no progress display"},
		&cli.StringFlag{Name: "report", Usage: "with --locally: a JSON report `FILE` (mode 0600)"},
	)
	c.Description = `The new job (or the local copy) gets the old job's settings, and the AWS
settings of its submit as --state recorded them: each side's profile,
region and endpoint, and the S3 Control account, region and endpoint.
The AWS flags override them (--source-profile and --dest-profile for a
job across accounts).

` + batchopsHelp
	c.Flags = append(c.Flags, awsFlags()...)
	return c
}

func retryAction(c *cli.Context) error {
	ref, err := jobRef(c)
	if err != nil {
		return err
	}
	ao, src, dst := awsOptions(c)
	s := &batchops.RetrySpec{JobRef: ref, Locally: c.Bool("locally"), Submit: batchops.SubmitSpec{
		Run: run.Spec{Engine: engine.Options{Concurrency: fixedGC(c.Int("concurrency"))}, AWS: ao, SrcSide: src, DstSide: dst, Progress: !c.Bool("no-progress"),
			Checkpoint: c.String("checkpoint")},
		Account: ref.Account, Confirm: c.Bool("yes"), LargeLocally: c.Bool("large-locally"), LargeManifest: c.String("large-manifest"),
		LargeCheckpoint: c.String("large-checkpoint"), State: c.String("state"), JSON: ref.JSON, Prices: cost.Default(),
	}}
	s.Submit.Run.Output.JSON, s.Submit.Run.Output.Report = ref.JSON, c.String("report")
	if !s.Locally && (c.IsSet("checkpoint") || c.IsSet("report")) {
		return run.Usagef("--checkpoint and --report go with --locally")
	}
	ctx, ctl, stop := withSignals(c.Context, c.App.ErrWriter)
	defer stop()
	return batchops.Retry(ctx, s, batchops.Env{Stdout: c.App.Writer, Stderr: c.App.ErrWriter, Control: ctl})
}

func batchopsPolicyCommand() *cli.Command {
	return &cli.Command{
		Name:      "policy",
		Usage:     "print the job role's least-privilege trust and permission policies; --create-role NAME makes the role with IAM",
		UsageText: "backfill batchops policy --operation copy|replicate --from s3://P[/PREFIX] [--to s3://R[/PREFIX]] --report-to s3://BUCKET/PREFIX [flags]",
		Description: `The permission policy names only the source and destination prefixes, the
manifest and report locations and the KMS keys given. --create-role NAME
creates the role (CreateRole tagged created-by=backfill-batchops,
PutRolePolicy ` + batchops.RolePolicyName + `); run again, it changes nothing, and it finishes a
role it created whose policy was not put yet. A role that exists with
anything else (another trust or ` + batchops.RolePolicyName + ` policy, other inline policies,
attached managed policies) is refused, naming it, unless --update, which
replaces the two and removes the others.

` + batchopsHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "operation", Value: "copy", Usage: "`copy` or replicate"},
			&cli.StringFlag{Name: "from", Usage: "source `s3://BUCKET[/PREFIX]` (required)"},
			&cli.StringFlag{Name: "to", Usage: "destination `s3://BUCKET[/PREFIX]` (required for copy)"},
			&cli.StringFlag{Name: "report-to", Usage: "completion reports `s3://BUCKET/PREFIX` (required)"},
			&cli.StringFlag{Name: "manifest-to", Usage: "manifests `s3://BUCKET/PREFIX` (default REPORT-TO/manifests/; an inventory read as it is: its location)"},
			&cli.BoolFlag{Name: "generate", Usage: "the jobs use a manifest generator"},
			&cli.BoolFlag{Name: "versions", Usage: "the manifests name version ids"},
			&cli.StringFlag{Name: "inventory", Usage: "an S3 Inventory `LOCATION` (s3://BUCKET/PREFIX/ or its manifest.json) a job reads as its manifest: read on its deliveries"},
			&cli.BoolFlag{Name: "acl", Usage: "the copies get a canned ACL (s3:PutObjectAcl)"},
			&cli.StringFlag{Name: "sse-kms-key-id", Usage: "KMS key `ARN` the copies are encrypted with"},
			&cli.StringSliceFlag{Name: "source-kms-key", Usage: "KMS key `ARN` the sources are encrypted with (repeatable)"},
			&cli.StringFlag{Name: "create-role", Usage: "create the role `NAME` with IAM"},
			&cli.BoolFlag{Name: "update", Usage: "with --create-role: replace an existing role's trust and " + batchops.RolePolicyName + " policies and remove its other policies"},
			&cli.StringFlag{Name: "profile", Usage: "shared config `PROFILE` for IAM"},
			&cli.IntFlag{Name: "max-attempts", Value: 10, Usage: "attempts per request"},
			&cli.BoolFlag{Name: "json", Usage: "JSON on stdout"},
		},
		Action:       policyAction,
		OnUsageError: onUsageError,
	}
}

func policyAction(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	s := &batchops.PolicySpec{Operation: batchops.Operation(c.String("operation")), Generate: c.Bool("generate"), Versions: c.Bool("versions"),
		ACL: c.Bool("acl"), DestKMSKey: c.String("sse-kms-key-id"), SourceKMSKeys: c.StringSlice("source-kms-key"),
		CreateRole: c.String("create-role"), Update: c.Bool("update"), Profile: c.String("profile"), MaxAttempts: c.Int("max-attempts"), JSON: c.Bool("json")}
	for flag, dst := range map[string]s3urlValue{"from": {&s.From}, "to": {&s.To}, "report-to": {&s.ReportTo}, "manifest-to": {&s.ManifestTo}, "inventory": {&s.Inventory}} {
		if v := c.String(flag); v != "" {
			if err := dst.set(v); err != nil {
				return run.Usagef("--%s: %w", flag, err)
			}
		}
	}
	return batchops.Policy(c.Context, s, jobEnv(c))
}

// s3urlValue parses a location flag into a URL.
type s3urlValue struct{ u *s3url.URL }

func (v s3urlValue) set(s string) (err error) {
	*v.u, err = s3url.Parse(s)
	return err
}

// parseJobStatuses splits a comma list too, so --status Active,Complete works.
func parseJobStatuses(v []string) []string {
	var out []string
	for _, s := range v {
		out = append(out, strings.Split(s, ",")...)
	}
	return out
}
