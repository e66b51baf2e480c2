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
histogram, and the number of copy requests the copy would make.

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
		return runSpec(cc, spec)
	}
	return c
}
