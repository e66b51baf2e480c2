package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/batchops"
	"github.com/backfill-dev/backfill/internal/awsconf"
)

// batchopsHelp is the EXIT STATUS section of the batchops commands.
const batchopsHelp = `EXIT STATUS:
   0    done: the job was made (or found), or it is complete without a failed task
   1    failed: the job failed or was cancelled, no such job, AWS refused a request
        (nothing was submitted when a submit fails before CreateJob)
   2    usage error (a bad flag, location, role ARN, options that do not go together);
        nothing was submitted
   3    the job is complete with failed tasks (status, wait, report), or objects of the
        source could not be read and are not in the job (submit)
   130  interrupted (Ctrl-C); a job already made goes on`

func batchopsCommand() *cli.Command {
	return &cli.Command{
		Name:  "batchops",
		Usage: "S3 Batch Operations: submit copy or replication jobs from the same sources as copy, confirm, wait, report, retry; the job role's policies",
		Description: `AWS runs the copy (S3PutObjectCopy) or replication (S3ReplicateObject, "Batch
Replication": keeps version ids, sets REPLICA) of a manifest's objects, at a
price per object, with no machine to watch. backfill writes the manifest from
the same sources and filters as copy, checks it before the job is made, keeps
objects over 5 GiB out of every job (--large-locally copies them here), makes
the job idempotent (a retried submit finds the first job), and reads the
completion report. Facts without a primary source are said UNCONFIRMED.

` + batchopsHelp,
		Subcommands: []*cli.Command{
			batchopsSubmitCommand(),
			batchopsJobCommand("confirm", "confirm a job that waits for it (Suspended): it runs", confirmAction),
			batchopsJobCommand("status", "show a job's state, tasks, rate, failure reasons", statusAction),
			batchopsWaitCommand(),
			batchopsListCommand(),
			batchopsReportCommand(),
			batchopsRetryCommand(),
			batchopsPolicyCommand(),
		},
		OnUsageError: onUsageError,
	}
}

// accountFlags say where S3 Control calls go: every batchops command
// that talks to S3 Control takes them.
func accountFlags() []cli.Flag {
	const cat = "S3 Batch Operations"
	return []cli.Flag{
		&cli.StringFlag{Name: "account-id", Category: cat, Usage: "the `ACCOUNT` that owns the jobs (default: STS GetCallerIdentity)"},
		&cli.StringFlag{Name: "control-endpoint-url", Category: cat, Usage: "S3 Control endpoint `URL` (default: the SDK's, AWS_ENDPOINT_URL_S3_CONTROL or AWS_ENDPOINT_URL); its host is kept as given"},
		&cli.BoolFlag{Name: "json", Usage: "JSON lines on stdout instead of text"},
	}
}

// jobAWSFlags are the AWS flags of the commands that name a job.
func jobAWSFlags() []cli.Flag {
	const cat = "AWS"
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Category: cat, Usage: "shared config `PROFILE`"},
		&cli.StringFlag{Name: "region", Category: cat, Usage: "the job's `REGION` (default: the SDK's chain)"},
		&cli.StringFlag{Name: "endpoint-url", Category: cat, Usage: "S3 endpoint `URL`, to read completion reports (implies path-style addressing)"},
		&cli.IntFlag{Name: "max-attempts", Category: cat, Value: awsconf.DefaultMaxAttempts, Usage: "attempts per request"},
	}
}

// account reads where the S3 Control calls go; region is the job's ("" =
// the command decides).
func account(c *cli.Context, region string) batchops.Account {
	return batchops.Account{ID: c.String("account-id"), Profile: c.String("profile"), Region: region,
		Endpoint: c.String("control-endpoint-url"), MaxAttempts: c.Int("max-attempts"), DebugLog: debugLog(c)}
}
