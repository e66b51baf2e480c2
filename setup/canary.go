package setup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// CanaryResult is what the canary measured.
type CanaryResult struct {
	Dir      string   `json:"dir"` // s3://primary/<prefix>.backfill-canary/<run>/
	Written  int      `json:"written"`
	Arrived  int      `json:"arrived"` // REPLICA on the replica and COMPLETED on the primary
	DelaysMS []int64  `json:"delays_ms,omitempty"`
	MinMS    int64    `json:"min_ms,omitempty"`
	MedianMS int64    `json:"median_ms,omitempty"`
	MaxMS    int64    `json:"max_ms,omitempty"`
	Failures []string `json:"failures,omitempty"` // one per canary that did not arrive
	Causes   []string `json:"likely_causes,omitempty"`
	Cleanup  []string `json:"cleanup_problems,omitempty"`
	// Observed are the kinds of failure seen (failed, no-status, pending, unreadable).
	Observed []string `json:"-"`

	slowest time.Duration
}

// canary is one canary object and what was seen of it.
type canary struct {
	key         string
	put         time.Time
	delay       time.Duration // time to REPLICA on the replica; 0 = not yet
	primary     types.ReplicationStatus
	replicaErr  string
	failed      string // why it cannot arrive any more
	everPending bool
}

func (k *canary) done() bool {
	return k.failed != "" || k.delay > 0 && isCompleted(k.primary)
}

func isCompleted(s types.ReplicationStatus) bool {
	return s == types.ReplicationStatusCompleted || s == types.ReplicationStatusComplete // both exist (S3-FACTS §3)
}

// pollEvery is how often the canary looks: often at first (a local
// server replicates in milliseconds), then less (S3 takes seconds to
// minutes), so delays are accurate to the interval at the time.
func pollEvery(elapsed time.Duration) time.Duration {
	switch {
	case elapsed < 2*time.Second:
		return 50 * time.Millisecond
	case elapsed < 30*time.Second:
		return 250 * time.Millisecond
	case elapsed < 2*time.Minute:
		return time.Second
	}
	return 5 * time.Second
}

// runCanary writes the canaries under prefix (with tags, so the rule
// covers them), waits up to s.Timeout for each to be REPLICA on the
// replica and COMPLETED on the primary, measures each delay from the end
// of its PutObject to the first HeadObject that saw REPLICA, and deletes
// every version of them on both sides.
func runCanary(ctx context.Context, c *Clients, s Spec, prefix string, tags []Tag) *CanaryResult {
	dir := prefix + CanaryDir + runID() + "/"
	res := &CanaryResult{Dir: "s3://" + s.Primary.Bucket + "/" + dir}
	defer cleanupCanaries(ctx, c, s, dir, res)
	ks, err := putCanaries(ctx, c.Primary, s, dir, tags)
	res.Written = len(ks)
	if err != nil {
		res.Failures = append(res.Failures, "could not write a canary to the primary: "+err.Error())
		res.Observed = append(res.Observed, "unwritable")
		return res
	}
	waitCanaries(ctx, c, s, ks)
	summarize(res, ks, s.Timeout)
	return res
}

func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func putCanaries(ctx context.Context, c canaryAPI, s Spec, dir string, tags []Tag) ([]*canary, error) {
	var tagging *string
	if len(tags) > 0 {
		v := url.Values{}
		for _, t := range tags {
			v.Set(t.Key, t.Value)
		}
		tagging = aws.String(v.Encode())
	}
	var ks []*canary
	for i := range s.Canaries {
		key := fmt.Sprintf("%scanary-%02d", dir, i+1)
		body := fmt.Sprintf("backfill setup check: canary %d of %d, written %s; deleted when the check ends\n",
			i+1, s.Canaries, time.Now().UTC().Format(time.RFC3339))
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Primary.Bucket), Key: aws.String(key),
			Body: strings.NewReader(body), ContentType: aws.String("text/plain"), Tagging: tagging})
		if err != nil {
			return ks, fmt.Errorf("PutObject %s: %w", key, err)
		}
		ks = append(ks, &canary{key: key, put: time.Now()})
	}
	return ks, nil
}

// waitCanaries polls until every canary is done or the timeout passes.
func waitCanaries(ctx context.Context, c *Clients, s Spec, ks []*canary) {
	start := ks[0].put
	deadline := start.Add(s.Timeout)
	for {
		for _, k := range ks {
			if !k.done() {
				look(ctx, c, s, k)
			}
		}
		if !slices.ContainsFunc(ks, func(k *canary) bool { return !k.done() }) {
			return
		}
		wait := pollEvery(time.Since(start))
		if time.Now().Add(wait).After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// look reads one canary on both sides. FAILED on the primary ends it: S3
// does not retry a FAILED object by itself.
func look(ctx context.Context, c *Clients, s Spec, k *canary) {
	if k.delay == 0 {
		out, err := c.Replica.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Replica.Bucket), Key: aws.String(k.key)})
		switch {
		case err == nil && out.ReplicationStatus == types.ReplicationStatusReplica:
			k.delay, k.replicaErr = max(time.Since(k.put), time.Millisecond), ""
		case err == nil:
			k.replicaErr = fmt.Sprintf("in the replica with replication status %q, not REPLICA", out.ReplicationStatus)
		case httpStatus(err) == 404:
			k.replicaErr = ""
		default:
			k.replicaErr = "the replica cannot be read: " + describeErr(err)
		}
	}
	out, err := c.Primary.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Primary.Bucket), Key: aws.String(k.key)})
	if err != nil {
		return // the next round looks again
	}
	k.primary = out.ReplicationStatus
	k.everPending = k.everPending || k.primary == types.ReplicationStatusPending
	if k.primary == types.ReplicationStatusFailed {
		k.failed = "FAILED on the primary: S3 tried and could not replicate it"
	}
}

// summarize turns what was seen into the result: delays of the arrived,
// and for the others what was last seen.
func summarize(res *CanaryResult, ks []*canary, timeout time.Duration) {
	var delays []time.Duration
	for _, k := range ks {
		if k.done() && k.failed == "" {
			delays = append(delays, k.delay)
			continue
		}
		why, kind := k.failed, "failed"
		switch {
		case why != "" && k.replicaErr != "":
			why += "; " + k.replicaErr
			addKind(res, "unreadable")
		case why != "":
		case k.delay > 0:
			why, kind = fmt.Sprintf("REPLICA in the replica, but %s on the primary after %s", orNone(string(k.primary)), timeout), "pending"
		case k.primary == "" && !k.everPending:
			why, kind = fmt.Sprintf("no replication status on the primary after %s: no enabled rule covered it", timeout), "no-status"
		case k.replicaErr != "":
			why, kind = fmt.Sprintf("%s on the primary after %s; %s", orNone(string(k.primary)), timeout, k.replicaErr), "unreadable"
		default:
			why, kind = fmt.Sprintf("still %s on the primary and not in the replica after %s", orNone(string(k.primary)), timeout), "pending"
		}
		res.Failures = append(res.Failures, k.key+": "+why)
		addKind(res, kind)
	}
	res.Arrived = len(delays)
	if len(delays) == 0 {
		return
	}
	slices.Sort(delays)
	msOf := func(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }
	for _, d := range delays {
		res.DelaysMS = append(res.DelaysMS, msOf(d))
	}
	res.slowest = delays[len(delays)-1]
	res.MinMS, res.MedianMS, res.MaxMS = msOf(delays[0]), msOf(median(delays)), msOf(res.slowest)
}

func addKind(res *CanaryResult, kind string) {
	if !slices.Contains(res.Observed, kind) {
		res.Observed = append(res.Observed, kind)
	}
}

func median(d []time.Duration) time.Duration {
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// cleanupCanaries deletes every version (and delete marker) under dir on
// both sides, the replica first, even when ctx was cancelled. A canary
// that had not arrived may still arrive later: the result says where.
func cleanupCanaries(ctx context.Context, c *Clients, s Spec, dir string, res *CanaryResult) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	for _, side := range []struct {
		c      canaryAPI
		bucket string
	}{{c.Replica, s.Replica.Bucket}, {c.Primary, s.Primary.Bucket}} {
		if err := deleteVersions(ctx, side.c, side.bucket, dir); err != nil {
			res.Cleanup = append(res.Cleanup, fmt.Sprintf("s3://%s/%s: %s: delete what is left there by hand", side.bucket, dir, describeErr(err)))
		}
	}
	if slices.Contains(res.Observed, "pending") || slices.Contains(res.Observed, "unreadable") {
		res.Cleanup = append(res.Cleanup, fmt.Sprintf("a canary that had not arrived may still arrive in s3://%s/%s: delete it there", s.Replica.Bucket, dir))
	}
}

func deleteVersions(ctx context.Context, c canaryAPI, bucket, dir string) error {
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(dir)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		var objs []types.ObjectIdentifier
		for _, v := range page.Versions {
			objs = append(objs, types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			objs = append(objs, types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		for _, o := range objs {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key, VersionId: o.VersionId})
			if err != nil && httpStatus(err) != 404 {
				return err
			}
		}
	}
	return nil
}
