package setup

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// rtcSLA is Replication Time Control's SLA: 99.99% of new objects within
// 15 minutes (S3-FACTS §3). Without RTC there is no published bound, and
// the recommendation never goes below it.
const rtcSLA = 15 * time.Minute

// Recommendation is the delay to configure for new media, from the
// canary's delays: twice the slowest, at least 15 minutes without RTC,
// rounded up to a minute. It is a measurement of a few objects at one
// moment, not a guarantee.
type Recommendation struct {
	Delay   string `json:"delay"`   // e.g. "15m0s"
	MinAge  string `json:"min_age"` // for backfill copy and verify --min-age
	Slowest string `json:"slowest_canary"`
	Basis   string `json:"basis"`

	delay time.Duration
}

func recommend(slowest time.Duration, n int, rtc bool) *Recommendation {
	d := 2 * slowest
	basis := fmt.Sprintf("twice the slowest of %d canaries (%s)", n, roundDelay(slowest))
	if !rtc && d < rtcSLA {
		d = rtcSLA
		basis += ", raised to 15 minutes: the rule has no Replication Time Control, and without it S3 publishes no bound (with it, 99.99% within 15 minutes)"
	}
	if rest := d % time.Minute; rest != 0 { // round up to a minute
		d += time.Minute - rest
	}
	return &Recommendation{Delay: d.String(), MinAge: d.String(), Slowest: roundDelay(slowest).String(),
		Basis: basis + "; a measurement, not a guarantee", delay: d}
}

func roundDelay(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// canaryLine adds the canary's line and, when every canary arrived, the
// recommendation, which follows the rule's Replication Time Control (rtc),
// not the flag's.
func (w *world) canaryLine(r *Report, res *CanaryResult, rtc bool) {
	if res.Arrived == res.Written && res.Written > 0 {
		r.add("canary", Pass, "%d of %d arrived (REPLICA in the replica, COMPLETED on the primary): min %s, median %s, max %s",
			res.Arrived, res.Written, ms(res.MinMS), ms(res.MedianMS), ms(res.MaxMS))
		r.Recommendation = recommend(res.slowest, res.Arrived, rtc)
		return
	}
	res.Causes = w.likelyCauses(r, res)
	r.add("canary", Fail, "%d of %d arrived within %s; likely: %s", res.Arrived, res.Written, w.s.Timeout, strings.Join(res.Causes, "; "))
}

func ms(n int64) string { return roundDelay(time.Duration(n) * time.Millisecond).String() }

// likelyCauses names what most likely kept the canaries from arriving,
// from what was seen of them and the lines that failed.
func (w *world) likelyCauses(r *Report, res *CanaryResult) []string {
	var c []string
	add := func(s string) {
		if !slices.Contains(c, s) {
			c = append(c, s)
		}
	}
	if r.failed("replication rule") {
		add("the rule (see its line: disabled, missing, or not covering the prefix)")
	}
	if r.failed("versioning on the replica") || r.failed("versioning on the primary") {
		add("versioning is not Enabled (see the versioning lines)")
	}
	if r.failed("replica bucket") {
		add("the replica bucket cannot be reached or does not exist (see its line)")
	}
	if r.failed("replication role") {
		add("the role (see its line)")
	}
	for _, kind := range res.Observed {
		switch kind {
		case "unwritable":
			add("these credentials cannot write to the primary")
		case "no-status":
			add("no enabled rule covers the canary's key: the rule is disabled, or its prefix or tags do not match, " +
				"or the primary encrypts new objects with SSE-KMS and the rule does not select SSE-KMS objects (--replica-kms-key); " +
				"a rule just put may take a while to apply (UNCONFIRMED)")
		case "failed":
			add("S3 marked it FAILED: the role cannot read the primary or write the replica, a KMS key it may not use, " +
				"versioning not Enabled on the replica, or the replica bucket missing or unreachable")
		case "pending":
			add("still PENDING: the replica unreachable (S3 retries temporary failures) or replication slower than --timeout " +
				"(a longer --timeout, or Replication Time Control)")
			for _, a := range res.AlsoTo {
				add(a + ": COMPLETED on the primary waits for every destination")
			}
		case "unreadable":
			add("the replica could not be read by these credentials or is unreachable")
		}
	}
	return c
}

// Handoff is what the site's support asks for, ready to paste.
type Handoff struct {
	ReplicaBucket string   `json:"replica_bucket"`
	ReplicaRegion string   `json:"replica_region"`
	ProxyURL      string   `json:"proxy_url,omitempty"`
	Delay         string   `json:"delay,omitempty"` // "" when the canary did not measure one
	DelayBasis    string   `json:"delay_basis,omitempty"`
	NotMeasured   string   `json:"not_measured,omitempty"` // why there is no delay
	Next          []string `json:"next_commands"`
}

func handoff(s Spec, c *Clients, r *Report) Handoff {
	h := Handoff{ReplicaBucket: s.Replica.Bucket, ReplicaRegion: s.ReplicaRegion, ProxyURL: s.ProxyURL}
	minAge := ""
	switch l := r.line("canary"); {
	case r.Recommendation != nil:
		h.Delay, h.DelayBasis, minAge = r.Recommendation.Delay, r.Recommendation.Basis, r.Recommendation.MinAge
	case r.Canary == nil:
		h.NotMeasured = "the canary was not run: " + strings.TrimPrefix(l.Reason, "not run: ")
	default:
		h.NotMeasured = "the canary did not pass"
	}
	from, to := "s3://"+s.Primary.Bucket+"/"+s.Prefix, "s3://"+s.Replica.Bucket+"/"+s.Prefix
	flags := fmt.Sprintf("--from %s --to %s --source-region %s --dest-region %s", from, to, r.PrimaryRegion, s.ReplicaRegion)
	if c.PrimaryProfile != "" {
		flags += " --source-profile " + c.PrimaryProfile
	}
	if c.ReplicaProfile != "" {
		flags += " --dest-profile " + c.ReplicaProfile
	}
	if c.PrimaryEndpoint != "" {
		flags += " --source-endpoint-url " + c.PrimaryEndpoint
	}
	if c.ReplicaEndpoint != "" {
		flags += " --dest-endpoint-url " + c.ReplicaEndpoint
	}
	if minAge != "" {
		flags += " --min-age " + minAge
	}
	h.Next = []string{
		"backfill plan " + flags + "   # what the existing media are, and what copying them takes",
		"backfill copy " + flags + " --checkpoint backfill-" + s.Primary.Bucket + ".db   # copy them (resumable); S3 Batch Operations (backfill batchops) for the very largest buckets",
		"backfill verify " + flags + " --head-undecided 10000   # nightly: is the replica whole?",
	}
	return h
}
