package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/awsconf"
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

func awsOptions(c *cli.Context, connections int) (awsconf.Options, awsconf.Side, awsconf.Side) {
	return awsconf.Options{
			Profile:     c.String("profile"),
			Region:      c.String("region"),
			Endpoint:    c.String("endpoint-url"),
			MaxAttempts: c.Int("max-attempts"),
			Connections: connections,
		},
		awsconf.Side{Profile: c.String("source-profile"), Region: c.String("source-region"), Endpoint: c.String("source-endpoint-url")},
		awsconf.Side{Profile: c.String("dest-profile"), Region: c.String("dest-region"), Endpoint: c.String("dest-endpoint-url")}
}
