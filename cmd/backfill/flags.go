package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/run"
)

// awsFlags are the AWS configuration flags every command that talks to S3
// takes.
func awsFlags() []cli.Flag {
	const cat = "AWS"
	return []cli.Flag{
		&cli.StringFlag{Name: "profile", Category: cat, Usage: "shared config `PROFILE` for both sides"},
		&cli.StringFlag{Name: "region", Category: cat, Usage: "`REGION` for both sides (default: the SDK's chain, else each bucket's own region)"},
		&cli.StringFlag{Name: "endpoint-url", Category: cat, Usage: "S3 endpoint `URL` for both sides (implies path-style addressing)"},
		&cli.StringFlag{Name: "source-profile", Category: cat, Usage: "`PROFILE` for the source side (cross-account)"},
		&cli.StringFlag{Name: "dest-profile", Category: cat, Usage: "`PROFILE` for the destination side (cross-account)"},
		&cli.StringFlag{Name: "source-region", Category: cat, Usage: "`REGION` of the source bucket (source-side reads go there)"},
		&cli.StringFlag{Name: "dest-region", Category: cat, Usage: "`REGION` of the destination bucket (copies go there)"},
		&cli.StringFlag{Name: "source-endpoint-url", Category: cat, Usage: "S3 endpoint `URL` for the source side"},
		&cli.StringFlag{Name: "dest-endpoint-url", Category: cat, Usage: "S3 endpoint `URL` for the destination side"},
		&cli.StringFlag{Name: "expected-source-owner", Category: cat, Usage: "`ACCOUNT` id that must own the source bucket (ExpectedSourceBucketOwner)"},
		&cli.StringFlag{Name: "expected-dest-owner", Category: cat, Usage: "`ACCOUNT` id that must own the destination bucket (ExpectedBucketOwner)"},
		&cli.IntFlag{Name: "max-attempts", Category: cat, Value: awsconf.DefaultMaxAttempts, Usage: "attempts per request (retries with backoff on SlowDown and 5xx; after SlowDown the send rate follows what S3 accepts)"},
	}
}

// awsOptions reads the AWS flags: the shared settings and each side's own.
func awsOptions(c *cli.Context) (awsconf.Options, awsconf.Side, awsconf.Side) {
	return awsconf.Options{
			Profile:     c.String("profile"),
			Region:      c.String("region"),
			Endpoint:    c.String("endpoint-url"),
			MaxAttempts: c.Int("max-attempts"),
			DebugLog:    debugLog(c),
		},
		awsconf.Side{Profile: c.String("source-profile"), Region: c.String("source-region"), Endpoint: c.String("source-endpoint-url")},
		awsconf.Side{Profile: c.String("dest-profile"), Region: c.String("dest-region"), Endpoint: c.String("dest-endpoint-url")}
}

func checkpointFlags() []cli.Flag {
	const cat = "Checkpoint"
	return []cli.Flag{
		&cli.StringFlag{Name: "checkpoint", Category: cat, Value: run.DefaultCheckpoint, Usage: "resume from and record progress in `PATH` (bbolt file, mode 0600)"},
		&cli.BoolFlag{Name: "no-checkpoint", Category: cat, Usage: "run without a checkpoint (nothing is resumable)"},
		&cli.BoolFlag{Name: "reset", Category: cat, Usage: "empty the checkpoint and start the job over (also when its spec differs)"},
		&cli.BoolFlag{Name: "retry-failed", Category: cat, Usage: "copy only the objects the checkpoint records as failed, without listing"},
	}
}

// checkpointPath decides the run's checkpoint from the flags: none with
// --no-checkpoint or for a dry run (which records nothing).
func checkpointPath(c *cli.Context) (string, error) {
	reset, retry, dry := c.Bool("reset"), c.Bool("retry-failed"), c.Bool("dry-run")
	switch {
	case c.Bool("no-checkpoint") && (reset || retry || c.IsSet("checkpoint")):
		return "", run.Usagef("--no-checkpoint cannot go with --checkpoint, --reset or --retry-failed")
	case c.Bool("no-checkpoint"):
		return "", nil
	case dry && (reset || retry):
		return "", run.Usagef("--dry-run does not use the checkpoint: it cannot go with --reset or --retry-failed")
	case dry:
		return "", nil // a dry run copies nothing, so it records nothing either
	case c.String("checkpoint") == "":
		return "", run.Usagef("--checkpoint needs a path (or use --no-checkpoint)")
	}
	return c.String("checkpoint"), nil
}

// debugLog is where the SDK's requests and retries go with --debug: the
// CLI's stderr (awsconf redacts signatures and tokens); nil without it.
func debugLog(c *cli.Context) io.Writer {
	if debugOn(c) {
		return c.App.ErrWriter
	}
	return nil
}
