package bops

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The manifest generator (S3JobManifestGenerator): list the source bucket,
// keep what the filter accepts, optionally write the list as a manifest.
// Listing: current versions, or every version (delete markers excluded)
// for S3ReplicateObject on a versioned bucket ("S3 will replicate all
// eligible versions", UG s3-batch-replication-batch); which versions a
// generated copy job takes is UNCONFIRMED (the emulator takes current ones).

// candidate is one listed object version.
type candidate struct {
	key, version string
	size         int64
	modified     time.Time
	class        string
}

func (s *Server) generate(ctx context.Context, j *job) ([]task, *failure) {
	g := j.req.ManifestGenerator.S3JobManifestGenerator
	src, _ := parseS3ARN(*g.SourceBucket, false)
	if ok, err := s.bucketExists(ctx, src.Bucket); err != nil || !ok {
		return nil, failf(failGeneratorSource, "The manifest generator's source bucket %s does not exist", src.Bucket)
	}
	st, err := s.versioning(ctx, src.Bucket)
	if err != nil {
		return nil, failf(failGeneratorSource, "Reading the versioning of %s failed: %s", src.Bucket, describeErr(err).Code)
	}
	versioned := st != ""
	cands, err := s.listSource(ctx, src.Bucket, versioned, versioned && j.operation() == opReplicate)
	if err != nil {
		return nil, failf(failGeneratorSource, "Listing %s failed: %s", src.Bucket, describeErr(err).Code)
	}
	var tasks []task
	for _, c := range cands {
		keep, err := s.keep(ctx, g.Filter, src.Bucket, c)
		if err != nil {
			return nil, failf(failGeneratorSource, "Reading %s/%s failed: %s", src.Bucket, c.key, describeErr(err).Code)
		}
		if keep {
			tasks = append(tasks, task{Bucket: src.Bucket, Key: c.key, VersionID: c.version, HasVersion: versioned})
		}
	}
	if len(tasks) == 0 {
		// Wording from UG troubleshooting-batch-operations.
		return nil, failf(failGeneratorNoKeys, "Manifest generation found no keys matching the filter criteria.")
	}
	if *g.EnableManifestOutput {
		if f := s.writeGenerated(ctx, j, src.Bucket, tasks, versioned); f != nil {
			return nil, f
		}
	}
	return tasks, nil
}

func (s *Server) listSource(ctx context.Context, bucket string, versioned, allVersions bool) ([]candidate, error) {
	var out []candidate
	if !versioned {
		p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: &bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, o := range page.Contents {
				out = append(out, candidate{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size),
					modified: aws.ToTime(o.LastModified), class: string(o.StorageClass)})
			}
		}
		return out, nil
	}
	p := s3.NewListObjectVersionsPaginator(s.s3, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			if !allVersions && !aws.ToBool(v.IsLatest) {
				continue
			}
			out = append(out, candidate{key: aws.ToString(v.Key), version: aws.ToString(v.VersionId),
				size: aws.ToInt64(v.Size), modified: aws.ToTime(v.LastModified), class: string(v.StorageClass)})
		}
	}
	return out, nil
}

// keep applies the generator filter to one candidate (all given criteria
// must hold; a list matches if any member does).
func (s *Server) keep(ctx context.Context, f *generatorFilter, bucket string, c candidate) (bool, error) {
	if f == nil {
		return true, nil
	}
	if !keepStatic(f, c) {
		return false, nil
	}
	if want := f.ObjectReplicationStatuses.values(); len(want) > 0 {
		st, err := s.replicationStatus(ctx, bucket, c)
		if err != nil || !contains(want, st) {
			return false, err
		}
	}
	if aws.ToBool(f.EligibleForReplication) {
		return s.eligible(ctx, bucket, c)
	}
	return true, nil
}

// keepStatic applies the criteria a listing answers.
func keepStatic(f *generatorFilter, c candidate) bool {
	switch {
	case f.CreatedAfter != nil && !c.modified.After(f.CreatedAfter.Time),
		f.CreatedBefore != nil && !c.modified.Before(f.CreatedBefore.Time),
		f.ObjectSizeGreaterThanBytes != nil && c.size <= *f.ObjectSizeGreaterThanBytes,
		f.ObjectSizeLessThanBytes != nil && c.size >= *f.ObjectSizeLessThanBytes:
		return false
	}
	if classes := f.MatchAnyStorageClass.values(); len(classes) > 0 {
		class := c.class
		if class == "" {
			class = "STANDARD"
		}
		if !contains(classes, class) {
			return false
		}
	}
	if k := f.KeyNameConstraint; k != nil {
		return anyMatch(k.MatchAnyPrefix, c.key, strings.HasPrefix) &&
			anyMatch(k.MatchAnySuffix, c.key, strings.HasSuffix) &&
			anyMatch(k.MatchAnySubstring, c.key, strings.Contains)
	}
	return true
}

func anyMatch(l *stringList, key string, match func(s, sub string) bool) bool {
	if l == nil {
		return true
	}
	for _, v := range l.Members {
		if match(key, v) {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// replicationStatus is the status the emulator recorded for the version,
// else HeadObject's x-amz-replication-status, else NONE (no header: never
// replicated). COMPLETE is read as COMPLETED (S3-FACTS section 3).
func (s *Server) replicationStatus(ctx context.Context, bucket string, c candidate) (string, error) {
	if st := s.repl.statusOf(versionOf(bucket, c.key, c.version)); st != "" {
		return st, nil
	}
	head, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &c.key, VersionId: optional(c.version)})
	if err != nil {
		return "", err
	}
	switch head.ReplicationStatus {
	case "":
		return "NONE", nil
	case types.ReplicationStatusComplete:
		return "COMPLETED", nil
	}
	return string(head.ReplicationStatus), nil
}

// eligible reports whether an enabled rule of the bucket's replication
// configuration covers the version (none without a configuration).
func (s *Server) eligible(ctx context.Context, bucket string, c candidate) (bool, error) {
	cfg, ok := s.repl.get(bucket)
	if !ok {
		return false, nil
	}
	var tags map[string]string
	for i := range cfg.Rules {
		rule := &cfg.Rules[i]
		if rule.needsTags() && tags == nil {
			var err error
			if tags, err = s.objectTags(ctx, task{Bucket: bucket, Key: c.key, VersionID: c.version}); err != nil {
				return false, err
			}
		}
		if rule.matches(c.key, tags) {
			return true, nil
		}
	}
	return false, nil
}
