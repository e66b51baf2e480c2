package bops

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

func (e *env) generatorJob(src string, filter *types.JobManifestGeneratorFilter, out *types.S3ManifestOutputLocation, rep string) *s3control.CreateJobInput {
	in := e.replicateJob(nil, rep)
	in.Manifest = nil
	in.ManifestGenerator = &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
		SourceBucket: aws.String("arn:aws:s3:::" + src), EnableManifestOutput: out != nil,
		Filter: filter, ManifestOutputLocation: out,
	}}
	return in
}

// Batch Replication with a generated manifest: the filter picks the
// objects, the job replicates them, the generated manifest is written and
// described; a second run with ObjectReplicationStatuses NONE then finds
// nothing left to replicate, one with COMPLETED finds them again.
func TestGeneratedManifestReplication(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep, out := e.bucket(true), e.bucket(true), e.bucket(false), e.bucket(false)
	if err := e.emu.SetReplication(e.ctx, src, &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Rules: []s3types.ReplicationRule{ruleTo("media/", dst)}}); err != nil {
		t.Fatal(err)
	}
	objects := map[string]string{
		"media/a.exr": "aaaa", "media/b.exr": "bbbb", "media/tiny.exr": "t", "media/c.mov": "cccc",
		"docs/d.exr": "dddd", // outside the rule: not eligible
	}
	for k, v := range objects {
		e.put(src, k, v)
	}
	filter := &types.JobManifestGeneratorFilter{
		EligibleForReplication:     aws.Bool(true),
		ObjectReplicationStatuses:  []types.ReplicationStatus{types.ReplicationStatusNone},
		KeyNameConstraint:          &types.KeyNameConstraint{MatchAnySuffix: []string{".exr"}},
		ObjectSizeGreaterThanBytes: aws.Int64(1),
		CreatedAfter:               aws.Time(time.Now().Add(-time.Hour)),
		MatchAnyStorageClass:       []types.S3StorageClass{types.S3StorageClassStandard},
	}
	loc := &types.S3ManifestOutputLocation{Bucket: aws.String("arn:aws:s3:::" + out),
		ManifestFormat: types.GeneratedManifestFormatS3InventoryReportCsv20211130, ManifestPrefix: aws.String("generated")}
	id := e.create(e.generatorJob(src, filter, loc, rep))
	d := e.wait(id, types.JobStatusComplete)
	want := []string{"media/a.exr", "media/b.exr"}
	if got := e.listKeys(dst); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("replicated %v, want %v", got, want)
	}
	g := d.GeneratedManifestDescriptor
	if g == nil || g.Format != types.GeneratedManifestFormatS3InventoryReportCsv20211130 || g.Location == nil {
		t.Fatalf("GeneratedManifestDescriptor %+v", g)
	}
	if got := e.generatedKeys(g.Location); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("generated manifest lists %v", got)
	}

	again := e.create(e.generatorJob(src, filter, nil, rep))
	d = e.wait(again, types.JobStatusFailed)
	if aws.ToString(d.FailureReasons[0].FailureReason) != "Manifest generation found no keys matching the filter criteria." {
		t.Errorf("second run: %s", failures(d))
	}
	filter.ObjectReplicationStatuses = []types.ReplicationStatus{types.ReplicationStatusCompleted}
	third := e.create(e.generatorJob(src, filter, nil, rep))
	d = e.wait(third, types.JobStatusComplete)
	if aws.ToInt64(d.ProgressSummary.TotalNumberOfTasks) != 2 || d.GeneratedManifestDescriptor != nil {
		t.Errorf("COMPLETED run: %d tasks, descriptor %v", aws.ToInt64(d.ProgressSummary.TotalNumberOfTasks), d.GeneratedManifestDescriptor)
	}
}

// A copy job can take a generated manifest too (prefix and size filters).
func TestGeneratedManifestCopy(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.putMany(src, []string{"shots/s1.exr", "shots/s22.exr", "plates/p1.exr"})
	in := e.generatorJob(src, &types.JobManifestGeneratorFilter{
		KeyNameConstraint:       &types.KeyNameConstraint{MatchAnyPrefix: []string{"shots/"}},
		ObjectSizeLessThanBytes: aws.Int64(int64(len("shots/s22.exr"))),
	}, nil, rep)
	in.Operation = &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{
		TargetResource: aws.String("arn:aws:s3:::" + dst), TargetKeyPrefix: aws.String("backfill"),
		StorageClass: types.S3StorageClassStandardIa, NewObjectTagging: []types.S3Tag{{Key: aws.String("copied"), Value: aws.String("yes")}},
	}}
	id := e.create(in)
	e.wait(id, types.JobStatusComplete)
	if got := e.listKeys(dst); strings.Join(got, " ") != "backfill/shots/s1.exr" {
		t.Fatalf("copied %v", got)
	}
	tags, err := e.s3.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: &dst, Key: aws.String("backfill/shots/s1.exr")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Key) != "copied" {
		t.Errorf("NewObjectTagging not applied: %v %v", tags, err)
	}
}

func (e *env) listKeys(bucket string) []string {
	e.t.Helper()
	out, err := e.s3.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	return keys
}

// generatedKeys reads a generated manifest (checking its ETag) and returns its keys.
func (e *env) generatedKeys(loc *types.JobManifestLocation) []string {
	e.t.Helper()
	arn, ok := parseS3ARN(aws.ToString(loc.ObjectArn), true)
	if !ok {
		e.t.Fatalf("ObjectArn %q", aws.ToString(loc.ObjectArn))
	}
	body, out, err := e.get(arn.Bucket, arn.Key)
	if err != nil || trimETag(aws.ToString(out.ETag)) != aws.ToString(loc.ETag) {
		e.t.Fatalf("generated manifest.json: %v (ETag %s vs %s)", err, aws.ToString(out.ETag), aws.ToString(loc.ETag))
	}
	var m inventoryManifest
	if err := json.Unmarshal([]byte(body), &m); err != nil || len(m.Files) != 1 || m.FileFormat != "CSV" {
		e.t.Fatalf("manifest.json %s: %v", body, err)
	}
	data, _, err := e.get(arn.Bucket, m.Files[0].Key)
	if err != nil {
		e.t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(data)))
	if err != nil {
		e.t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	rows, err := csv.NewReader(bytes.NewReader(plain)).ReadAll()
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, r := range rows {
		k, _ := decodeManifestKey(r[1])
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
