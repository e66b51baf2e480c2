package setup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// checkCanary runs the canary and adds its line, unless it cannot prove
// anything: none asked for, the primary unusable, or the rule's line
// failed (a canary would only wait out --timeout, writing to the primary
// meanwhile).
func (w *world) checkCanary(ctx context.Context, r *Report, cfg *types.ReplicationConfiguration, rule *types.ReplicationRule) {
	s := w.s
	switch {
	case s.Canaries < 0:
		r.add("canary", NotChecked, "none asked for (--canaries 0)")
		return
	case !w.primary.exists || w.primary.denied != "" || w.primary.elsewhere:
		r.add("canary", Fail, "not run: the primary bucket cannot be used")
		return
	case r.failed("replication rule"):
		r.add("canary", NotChecked, "not run: the replication rule's line failed, so a canary could only wait out --timeout; fix the rule and check again")
		return
	}
	prefix, tags := s.Prefix, s.Tags
	if rule != nil { // inside the rule's filter, so that it covers them
		tags = filterTags(*rule)
		if p := filterPrefix(*rule); !strings.HasPrefix(prefix, p) {
			prefix = p
		}
	}
	also := alsoReplicatedTo(cfg, rule, prefix+CanaryDir, tags)
	res := runCanary(ctx, w.c, s, prefix, tags)
	res.AlsoTo = also
	for _, a := range also {
		res.Cleanup = append(res.Cleanup, a+", where they are not deleted: delete "+strings.TrimPrefix(res.Dir, "s3://"+s.Primary.Bucket+"/")+" there")
	}
	r.Canary = res
	w.canaryLine(r, res, rule != nil && rtc(*rule) == string(types.ReplicationTimeStatusEnabled))
}

// alsoReplicatedTo names the other enabled rules of cfg that cover keys
// under dir with these tags, to another destination than rule's: they
// replicate the canaries there too, and COMPLETED on the primary waits
// for every destination (S3-FACTS §3).
func alsoReplicatedTo(cfg *types.ReplicationConfiguration, rule *types.ReplicationRule, dir string, tags []Tag) []string {
	if cfg == nil || rule == nil {
		return nil
	}
	var out []string
	for _, r := range cfg.Rules {
		if aws.ToString(r.ID) == aws.ToString(rule.ID) || r.Status != types.ReplicationRuleStatusEnabled ||
			destBucket(r) == destBucket(*rule) || !strings.HasPrefix(dir, filterPrefix(r)) {
			continue
		}
		if slices.ContainsFunc(filterTags(r), func(t Tag) bool { return !slices.Contains(tags, t) }) {
			continue // the canaries lack one of its tags
		}
		out = append(out, fmt.Sprintf("rule %s also replicates the canaries to %s", aws.ToString(r.ID), destBucket(r)))
	}
	return out
}
