package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
)

// planCommand is copy's source, filters and decisions without a copy: the
// same flags, run as a dry run, summarised.
func planCommand() *cli.Command {
	c := copyCommand()
	c.Name = "plan"
	c.Usage = "read the same sources as copy and say what it would do: counts and bytes by decision, storage class, sizes, requests; copies nothing"
	c.UsageText = "backfill plan --from s3://BUCKET[/PREFIX] --to s3://BUCKET[/PREFIX] [--inventory ...|--manifest ...|--completion-report ...] [flags]"
	c.Description = `Runs copy's decisions without copying or recording anything: the listing
(or inventory, manifest, completion report), the filters, and the replica's
state (listed, or one HEAD per object for the other sources). It prints
what would be copied and skipped (by reason), by storage class, a size
histogram, and the number of copy requests the copy would make. Then it
compares a local copy, a Batch Operations copy job and Batch Replication
for those objects: request cost, Batch Operations fees, transfer, time and
local machine-hours, with the prices it used and where they come from
(S3-FACTS.md section 9, or --price-file), and recommends one in a line with
its reason. A local copy's time comes from the latency and CPU this plan
measured (or the benchmark's figures); a job's time is unknown (AWS
publishes no throughput).

` + exitcode.Help
	c.Action = func(cc *cli.Context) error {
		if err := cc.Set("dry-run", "true"); err != nil {
			return err
		}
		if !cc.IsSet("checkpoint") {
			cc.Set("no-checkpoint", "true") //nolint:errcheck // a flag of this command
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
	c.Flags = append(c.Flags, priceFileFlag())
	return c
}
