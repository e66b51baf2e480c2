package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// plan compares a local copy, a Batch Operations copy job and Batch
// Replication with the prices it used and where they come from, and
// recommends one in a line with its reason; --price-file overrides the
// prices; Batch Replication is possible only when a replication rule
// covers the source.
func TestPlanRecommends(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	b.src, b.dst = b.srv.NewBucket(t, true), b.srv.NewBucket(t, true) // replication needs versioning
	b.media(20)
	planArgs := []string{"plan", "--from", "s3://" + b.src, "--to", "s3://" + b.dst, "--no-progress"}
	r := b.runWith(b.srv.Env(b.front.URL()), planArgs...)
	mustCode(t, r, 0)
	t.Logf("plan:\n%s", r.stdout)
	for _, want := range []string{"cost and time of the three ways", "local copy", "Batch Operations copy", "Batch Replication",
		"S3-FACTS.md section 9", "unknown: AWS publishes no Batch Operations throughput", "not possible: no replication configuration covers",
		"recommendation: local copy: 20 objects in "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.stdout)
		}
	}

	prices := filepath.Join(b.dir, "prices.json")
	os.WriteFile(prices, []byte(`{"batch_job": 100, "put_per_1000": {"STANDARD": 1}}`), 0o600)
	_, err := b.srv.Client(b.emu.URL()).PutBucketReplication(t.Context(), &s3.PutBucketReplicationInput{Bucket: aws.String(b.src),
		ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: aws.String(b.role), Rules: []s3types.ReplicationRule{{
			ID: aws.String("all"), Priority: aws.Int32(1), Status: s3types.ReplicationRuleStatusEnabled, Filter: &s3types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &s3types.Destination{Bucket: aws.String("arn:aws:s3:::" + b.dst)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	r = b.runWith(b.srv.Env(b.front.URL()), append(planArgs, "--price-file", prices, "--json")...)
	mustCode(t, r, 0)
	var p struct {
		Advice struct {
			Prices struct {
				Source   string  `json:"source"`
				BatchJob float64 `json:"batch_job"`
			}
			Options []struct {
				Name, Unavailable string
				Fees              float64 `json:"batch_fees_usd"`
				TimeUnknown       bool    `json:"time_unknown"`
			}
			Recommendation struct{ Choice, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	a := p.Advice
	if a.Prices.BatchJob != 100 || !strings.Contains(a.Prices.Source, "prices.json") || len(a.Options) != 3 {
		t.Fatalf("advice %+v", a)
	}
	if a.Options[1].Fees < 100 || !a.Options[1].TimeUnknown || a.Options[2].Unavailable != "" || a.Recommendation.Choice != "local copy" {
		t.Errorf("advice %+v", a)
	}

	os.WriteFile(prices, []byte(`{"batch_jobs": 1}`), 0o600)
	r = b.runWith(b.srv.Env(b.front.URL()), append(planArgs, "--price-file", prices)...)
	if r.code != 2 || !strings.Contains(r.stderr, "--price-file "+prices) || !strings.Contains(r.stderr, "batch_jobs") {
		t.Errorf("bad price file: exit %d\n%s", r.code, r.stderr)
	}
}
