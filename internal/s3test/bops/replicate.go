package bops

import (
	"context"
	"net/http"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// replicator runs S3ReplicateObject tasks: each object version goes to the
// destination of every enabled rule of the source bucket's configuration
// that matches it (highest Priority per destination), as a server-side copy
// that keeps metadata and tags (MetadataDirective and TaggingDirective
// COPY) and takes the rule's StorageClass. The emulator then reports the
// source version COMPLETED and the copy REPLICA (x-amz-replication-status
// through its S3 endpoint). Not emulated: replicas keeping the source's
// version id and creation time, delete-marker replication, KMS, RTC.
//
// Failure codes are names from the replication failure reasons (UG
// replication-failure-codes: DstBucketNotFound, DstBucketUnversioned,
// SrcObjectNotEligible); how a Batch Replication report words them, and
// their HTTP statuses, are UNCONFIRMED.
type replicator struct {
	s   *Server
	cfg *replicationConfig

	mu   sync.Mutex
	dest map[string]*taskResult // destination bucket -> its failure (nil: usable)
}

func (r *replicator) replicate(ctx context.Context, t task) taskResult {
	if res, bad := missingVersion(t); bad {
		return res
	}
	rules, res, ok := r.rulesFor(ctx, t)
	if !ok {
		return res
	}
	for _, rule := range rules {
		if res, ok := r.replicateTo(ctx, t, rule); !ok {
			return res
		}
	}
	return succeeded(t)
}

// rulesFor returns the rules that replicate t, one per destination.
func (r *replicator) rulesFor(ctx context.Context, t task) ([]*replicationRule, taskResult, bool) {
	var tags map[string]string
	for i := range r.cfg.Rules {
		if r.cfg.Rules[i].needsTags() {
			var err error
			if tags, err = r.s.objectTags(ctx, t); err != nil {
				e := describeErr(err)
				return nil, failed(t, e.Status, e.Code, e.Message), false
			}
			break
		}
	}
	best := map[string]*replicationRule{}
	for i := range r.cfg.Rules {
		rule := &r.cfg.Rules[i]
		if !rule.matches(t.Key, tags) {
			continue
		}
		d := rule.Destination.Bucket
		if cur, ok := best[d]; !ok || priority(rule) > priority(cur) {
			best[d] = rule
		}
	}
	if len(best) == 0 {
		return nil, failed(t, http.StatusBadRequest, "SrcObjectNotEligible",
			"The object is not in the scope of any enabled rule of the replication configuration"), false
	}
	rules := make([]*replicationRule, 0, len(best))
	for _, rule := range best {
		rules = append(rules, rule)
	}
	sort.Slice(rules, func(a, b int) bool { return rules[a].Destination.Bucket < rules[b].Destination.Bucket })
	return rules, taskResult{}, true
}

func priority(r *replicationRule) int32 {
	if r.Priority == nil {
		return 0
	}
	return *r.Priority
}

func (r *replicator) replicateTo(ctx context.Context, t task, rule *replicationRule) (taskResult, bool) {
	dest, _ := parseS3ARN(rule.Destination.Bucket, false)
	if f := r.checkDest(ctx, dest.Bucket); f != nil {
		res := *f
		res.task = t
		return res, false
	}
	in := &s3.CopyObjectInput{
		Bucket:            &dest.Bucket,
		Key:               &t.Key,
		CopySource:        aws.String(copySource(t.Bucket, t.Key, t.VersionID)),
		MetadataDirective: types.MetadataDirectiveCopy,
		TaggingDirective:  types.TaggingDirectiveCopy,
	}
	if sc := rule.Destination.StorageClass; sc != nil {
		in.StorageClass = types.StorageClass(*sc)
	}
	out, err := r.s.s3.CopyObject(ctx, in)
	if err != nil {
		e := describeErr(err)
		return failed(t, e.Status, e.Code, e.Message), false
	}
	src := t.VersionID
	if src == "" {
		src = aws.ToString(out.CopySourceVersionId)
	}
	r.s.repl.setStatus(versionOf(t.Bucket, t.Key, src), "COMPLETED")
	r.s.repl.setStatus(versionOf(dest.Bucket, t.Key, aws.ToString(out.VersionId)), "REPLICA")
	return taskResult{}, true
}

// checkDest checks a destination bucket once per job: it must exist and
// have versioning enabled.
func (r *replicator) checkDest(ctx context.Context, bucket string) *taskResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.dest[bucket]; ok {
		return f
	}
	var f *taskResult
	st, err := r.s.versioning(ctx, bucket)
	switch {
	case err != nil && describeErr(err).Status == http.StatusNotFound:
		f = &taskResult{httpStatus: http.StatusNotFound, code: "DstBucketNotFound",
			msg: "The destination bucket " + bucket + " does not exist"}
	case err != nil:
		e := describeErr(err)
		f = &taskResult{httpStatus: e.Status, code: e.Code, msg: e.Message}
	case st != types.BucketVersioningStatusEnabled:
		f = &taskResult{httpStatus: http.StatusBadRequest, code: "DstBucketUnversioned",
			msg: "Versioning is not enabled on the destination bucket " + bucket}
	}
	r.dest[bucket] = f
	return f
}

func (s *Server) objectTags(ctx context.Context, t task) (map[string]string, error) {
	out, err := s.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &t.Bucket, Key: &t.Key, VersionId: optional(t.VersionID)})
	if err != nil {
		return nil, err
	}
	tags := map[string]string{}
	for _, tag := range out.TagSet {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return tags, nil
}
