package batchops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// replicationAPI reads a bucket's replication configuration.
type replicationAPI interface {
	GetBucketReplication(ctx context.Context, in *s3.GetBucketReplicationInput, optFns ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error)
}

// Coverage says whether a bucket's replication configuration covers a
// prefix: State is "covers", "none" (it does not, or there is none), or
// "" (unknown: the configuration could not be read). Note says why; Dest
// is the destination bucket of the covering rule.
type Coverage struct {
	State string
	Note  string
	Rule  string
	Dest  string
}

// ReplicationCoverage reads u's bucket replication configuration and says
// whether an enabled rule covers every object under u's prefix. A rule
// with a tag filter covers only the tagged objects, so it does not count.
func ReplicationCoverage(ctx context.Context, api replicationAPI, u s3url.URL) Coverage {
	out, err := api.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(u.Bucket)})
	switch code := s3err.Code(err); {
	case err == nil:
	case code == "ReplicationConfigurationNotFoundError":
		return Coverage{State: "none", Note: fmt.Sprintf("bucket %s has no replication configuration", u.Bucket)}
	default:
		return Coverage{Note: fmt.Sprintf("GetBucketReplication on %s: %v", u.Bucket, err)}
	}
	return covers(out.ReplicationConfiguration, u)
}

func covers(cfg *s3types.ReplicationConfiguration, u s3url.URL) Coverage {
	if cfg == nil || len(cfg.Rules) == 0 {
		return Coverage{State: "none", Note: fmt.Sprintf("bucket %s has no replication rule", u.Bucket)}
	}
	var partial []string
	for _, r := range cfg.Rules {
		if r.Status != s3types.ReplicationRuleStatusEnabled || r.Destination == nil {
			continue
		}
		prefix, tags := ruleScope(r)
		id := aws.ToString(r.ID)
		switch {
		case tags:
			partial = append(partial, fmt.Sprintf("rule %q replicates tagged objects only", id))
		case strings.HasPrefix(u.Prefix, prefix):
			dest := strings.TrimPrefix(aws.ToString(r.Destination.Bucket), "arn:aws:s3:::")
			return Coverage{State: "covers", Rule: id, Dest: dest, Note: fmt.Sprintf("rule %q replicates s3://%s/%s to %s", id, u.Bucket, prefix, dest)}
		case strings.HasPrefix(prefix, u.Prefix):
			partial = append(partial, fmt.Sprintf("rule %q covers only s3://%s/%s", id, u.Bucket, prefix))
		}
	}
	note := fmt.Sprintf("no enabled rule of bucket %s's replication configuration covers %s", u.Bucket, u)
	if len(partial) > 0 {
		note += " (" + strings.Join(partial, "; ") + ")"
	}
	return Coverage{State: "none", Note: note}
}

// ruleScope is a rule's prefix, and whether it also asks for tags.
func ruleScope(r s3types.ReplicationRule) (prefix string, tags bool) {
	f := r.Filter
	switch {
	case f == nil:
		return aws.ToString(r.Prefix), false //nolint:staticcheck // the V1 rule's prefix
	case f.And != nil:
		return aws.ToString(f.And.Prefix), len(f.And.Tags) > 0
	case f.Tag != nil:
		return "", true
	}
	return aws.ToString(f.Prefix), false
}

// checkReplication refuses a replicate job whose source has no rule
// covering its prefix, or whose rule replicates elsewhere than --to.
func checkReplication(ctx context.Context, api replicationAPI, from, to s3url.URL) error {
	c := ReplicationCoverage(ctx, api, from)
	switch {
	case c.State == "":
		return fmt.Errorf("a replicate job needs the source's replication configuration, which could not be read: %s", c.Note)
	case c.State == "none":
		return fmt.Errorf("a replicate job replicates per the source bucket's replication configuration, and %s: set up replication first (or use --operation copy)", c.Note)
	case c.Dest != to.Bucket:
		return fmt.Errorf("--to %s: the source's replication (%s) goes to bucket %s, not %s", to, c.Note, c.Dest, to.Bucket)
	}
	return nil
}
