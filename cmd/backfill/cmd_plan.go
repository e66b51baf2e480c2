package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/run"
)

// notForPlan are copy's flags that mean nothing for a plan, which copies
// nothing and records nothing, and why. plan refuses them (exit 2) rather
// than ignore them; they stay defined, hidden, so the refusal can say why.
var notForPlan = []struct{ flag, why string }{
	{"dry-run", "a plan is always a dry run"},
	{"failures", "a plan copies nothing, so nothing fails"},
	{"archived", "a plan counts archived objects (by storage class) but writes no manifest of them; copy --archived FILE does"},
	{"storage-class", "it sets the copies' storage class, and a plan makes no copies"},
	{"sse", "it sets the copies' encryption, and a plan makes no copies"},
	{"sse-kms-key-id", "it sets the copies' encryption, and a plan makes no copies"},
	{"bucket-key", "it sets the copies' encryption, and a plan makes no copies"},
	{"acl", "it sets the copies' ACL, and a plan makes no copies"},
	{"checkpoint", "a plan reads and records no checkpoint"},
	{"no-checkpoint", "a plan never uses a checkpoint"},
	{"reset", "a plan reads and records no checkpoint"},
	{"retry-failed", "a plan reads no checkpoint"},
}

// planCommand is copy's source, filters and decisions without a copy: the
// same flags, minus the ones about copies and checkpoints, run as a dry
// run, summarised.
func planCommand() *cli.Command {
	c := copyCommand()
	c.Name = "plan"
	c.Usage = "read the same sources as copy and say what it would do: counts and bytes by decision, storage class, sizes, requests; copies nothing"
	c.UsageText = "backfill plan --from s3://BUCKET[/PREFIX] --to s3://BUCKET[/PREFIX] [--inventory ...|--manifest ...|--completion-report ...] [flags]"
	c.Description = `Runs copy's decisions without copying or recording anything: the listing
(or inventory, manifest, completion report), the filters, and the replica's
state (listed; for an inventory, its listing or its own inventory joined with
the inventory's keys, or one HEAD per object with --replica-lookup head; one
HEAD per object for the other sources), and says which it used. It prints
what would be copied and skipped (by reason), by storage class, a size
histogram, and the number of copy requests the copy would make. Then it
compares a local copy, a Batch Operations copy job and Batch Replication
for those objects: request cost, Batch Operations fees, transfer, time and
local machine-hours, with the prices it used and where they come from
(S3-FACTS.md section 9, or --price-file), and recommends one in a line with
its reason. A local copy's time comes from the latency and CPU this plan
measured (or the benchmark's figures); a job's time is unknown (AWS
publishes no throughput).

It takes copy's flags except those about the copies themselves and the
checkpoint (--dry-run, --failures, --archived, --storage-class, --sse,
--sse-kms-key-id, --bucket-key, --acl, --checkpoint, --no-checkpoint, --reset,
--retry-failed), which are refused. --report FILE writes the plan as JSON (mode 0600), as
--json prints it, with its exit_code (and error, when it stopped on one).

` + exitcode.Help
	for _, f := range c.Flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Hidden = refusedByPlan(f.Name)
			if f.Name == "report" {
				f.Usage = "write the plan as JSON to `FILE` (mode 0600)"
			}
		case *cli.BoolFlag:
			f.Hidden = refusedByPlan(f.Name)
		}
	}
	c.Action = runPlan
	c.Flags = append(c.Flags, priceFileFlag())
	return c
}

func runPlan(cc *cli.Context) error {
	for _, n := range notForPlan {
		if cc.IsSet(n.flag) {
			return run.Usagef("plan does not take --%s: %s", n.flag, n.why)
		}
	}
	for _, f := range []string{"dry-run", "no-checkpoint"} {
		if err := cc.Set(f, "true"); err != nil {
			return err
		}
	}
	spec, err := copySpec(cc)
	if err != nil {
		return err
	}
	spec.Plan = true
	if spec.Advise, err = planAdvisor(cc); err != nil {
		return err
	}
	return runSpec(cc, spec)
}

// refusedByPlan reports a flag plan keeps parsed (to refuse it, saying
// why) but out of its help.
func refusedByPlan(flag string) bool {
	for _, n := range notForPlan {
		if n.flag == flag {
			return true
		}
	}
	return false
}
