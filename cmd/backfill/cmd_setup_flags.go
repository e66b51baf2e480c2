package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/run"
	"github.com/backfill-dev/backfill/setup"
)

// setupFlags are the flags plan, apply and check share: one description
// of the setup.
func setupFlags() []cli.Flag {
	const b, r, i, o, a = "Buckets", "Rule", "Role and IAM", "Optional steps", "AWS"
	return []cli.Flag{
		&cli.StringFlag{Name: "primary", Category: b, Usage: "the primary bucket, `s3://BUCKET[/PREFIX]` (a prefix is the rule's --prefix)"},
		&cli.StringFlag{Name: "replica", Category: b, Usage: "the replica bucket, `s3://BUCKET` (created if missing)"},
		&cli.StringFlag{Name: "replica-region", Category: b, Usage: "the replica's `REGION` (required)"},
		&cli.StringFlag{Name: "primary-region", Category: b, Usage: "the primary's `REGION` (default: the SDK's chain, else looked up)"},
		&cli.StringFlag{Name: "replica-kms-key", Category: b, Usage: "SSE-KMS key `ARN` in the replica's region: its default encryption, and the rule's replica key"},
		&cli.BoolFlag{Name: "no-default-encryption", Category: b, Usage: "leave the replica's default encryption as it is (S3-compatible servers without KMS)"},

		&cli.StringFlag{Name: "prefix", Category: r, Usage: "replicate only keys under `PREFIX` (default: the whole bucket)"},
		&cli.StringSliceFlag{Name: "tag", Category: r, Usage: "replicate only objects with tag `KEY=VALUE` (repeatable; all must match; not with --delete-markers)"},
		&cli.BoolFlag{Name: "delete-markers", Category: r, Usage: "replicate delete markers too"},
		&cli.StringFlag{Name: "storage-class", Category: r, Usage: "storage `CLASS` of the replicas (default: the source's)"},
		&cli.BoolFlag{Name: "rtc", Category: r, Usage: "Replication Time Control and replication metrics (99.99% within 15 minutes; billed per GB)"},
		&cli.StringFlag{Name: "rule-id", Category: r, Usage: "the rule's `ID` (default backfill-<replica>)"},
		&cli.IntFlag{Name: "priority", Category: r, Usage: "the rule's `PRIORITY` (default: above every existing rule)"},
		&cli.BoolFlag{Name: "replace", Category: r, Usage: "replace the primary's whole replication configuration (its other rules are dropped, each named in the plan)"},

		&cli.StringFlag{Name: "role-arn", Category: i, Usage: "use this existing role `ARN` (never changed; on MinIO, the replication target's ARN)"},
		&cli.StringFlag{Name: "role-name", Category: i, Usage: "`NAME` of the role setup creates (default backfill-replication-<primary>)"},
		&cli.BoolFlag{Name: "no-iam", Category: i, Usage: "make no IAM request: print the role's trust and permission policies for a security team"},
		&cli.StringSliceFlag{Name: "primary-kms-key", Category: i, Usage: "KMS key `ARN` the primary's objects are encrypted with (repeatable): the role may decrypt with it"},

		&cli.StringFlag{Name: "inventory-to", Category: o, Usage: "deliver a daily CSV S3 Inventory of the primary to `s3://BUCKET[/PREFIX]` (in the primary's region)"},
		&cli.StringFlag{Name: "inventory-id", Category: o, Value: setup.DefaultInventoryID, Usage: "the inventory configuration's `ID`"},
		&cli.StringFlag{Name: "app-role-arn", Category: o, Usage: "the site's application role `ARN`: print the statement it needs to read the replica"},
		&cli.BoolFlag{Name: "apply-app-policy", Category: o, Usage: "with --app-role-arn: put that statement on the role (an inline policy) instead of printing it"},

		&cli.BoolFlag{Name: "json", Usage: "JSON on stdout instead of text"},

		&cli.StringFlag{Name: "profile", Category: a, Usage: "shared config `PROFILE` for both buckets, IAM and STS"},
		&cli.StringFlag{Name: "primary-profile", Category: a, Usage: "`PROFILE` for the primary (and IAM, STS)"},
		&cli.StringFlag{Name: "replica-profile", Category: a, Usage: "`PROFILE` for the replica"},
		&cli.StringFlag{Name: "endpoint-url", Category: a, Usage: "S3 endpoint `URL` for both buckets (path-style; IAM and STS follow AWS_ENDPOINT_URL_IAM/_STS)"},
		&cli.StringFlag{Name: "primary-endpoint-url", Category: a, Usage: "S3 endpoint `URL` of the primary"},
		&cli.StringFlag{Name: "replica-endpoint-url", Category: a, Usage: "S3 endpoint `URL` of the replica"},
		&cli.IntFlag{Name: "max-attempts", Category: a, Value: awsconf.DefaultMaxAttempts, Usage: "attempts per request"},
	}
}

// setupSpec maps the flags to a setup.Spec, in this one place.
func setupSpec(c *cli.Context) (setup.Spec, error) {
	var s setup.Spec
	var err error
	if s.Primary, err = setupURL(c, "primary"); err != nil {
		return s, err
	}
	if s.Replica, err = setupURL(c, "replica"); err != nil {
		return s, err
	}
	if c.String("inventory-to") != "" {
		u, err := setupURL(c, "inventory-to")
		if err != nil {
			return s, err
		}
		s.InventoryTo = &u
	}
	for _, t := range c.StringSlice("tag") {
		tag, err := setup.ParseTag(t)
		if err != nil {
			return s, run.Usagef("%v", err)
		}
		s.Tags = append(s.Tags, tag)
	}
	s.PrimaryRegion, s.ReplicaRegion = c.String("primary-region"), c.String("replica-region")
	s.ReplicaKMSKey, s.NoDefaultEncryption = c.String("replica-kms-key"), c.Bool("no-default-encryption")
	s.Prefix, s.DeleteMarkers, s.StorageClass, s.RTC = c.String("prefix"), c.Bool("delete-markers"), c.String("storage-class"), c.Bool("rtc")
	s.RuleID, s.Priority, s.Replace = c.String("rule-id"), int32(c.Int("priority")), c.Bool("replace")
	s.RoleARN, s.RoleName, s.NoIAM, s.PrimaryKMSKeys = c.String("role-arn"), c.String("role-name"), c.Bool("no-iam"), c.StringSlice("primary-kms-key")
	s.InventoryID, s.AppRoleARN, s.ApplyAppPolicy = c.String("inventory-id"), c.String("app-role-arn"), c.Bool("apply-app-policy")
	s.Canaries, s.Timeout, s.ProxyURL = c.Int("canaries"), c.Duration("timeout"), c.String("proxy-url")
	if c.IsSet("canaries") && s.Canaries == 0 {
		s.Canaries = -1 // asked for none
	}
	if s.Canaries < -1 {
		return s, run.Usagef("--canaries %d: a count, 0 or more", s.Canaries)
	}
	return s, nil
}
