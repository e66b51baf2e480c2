package bops

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// ruleTo is a V2 rule replicating prefix to dst.
func ruleTo(prefix, dst string) s3types.ReplicationRule {
	return s3types.ReplicationRule{
		ID: aws.String("to-" + dst), Priority: aws.Int32(1), Status: s3types.ReplicationRuleStatusEnabled,
		Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String(prefix)},
		DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
		Destination:             &s3types.Destination{Bucket: aws.String("arn:aws:s3:::" + dst)},
	}
}

func (e *env) replicateJob(m *types.JobManifest, rep string) *s3control.CreateJobInput {
	in := e.copyJob(m, rep, rep)
	in.Operation = &types.JobOperation{S3ReplicateObject: &types.S3ReplicateObjectOperation{}}
	return in
}

// A replicate job copies each listed version to the configured destination
// with its metadata and tags, and the emulator's S3 endpoint then reports
// the source COMPLETED and the copy REPLICA. A key outside the rule fails.
func TestReplicateJob(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(true), e.bucket(true), e.bucket(false)
	s3c := e.srv.Client(e.emu.URL()) // S3 through the emulator
	_, err := s3c.PutBucketReplication(e.ctx, &s3.PutBucketReplicationInput{Bucket: &src,
		ReplicationConfiguration: &s3types.ReplicationConfiguration{
			Role:  aws.String("arn:aws:iam::" + e.emu.AccountID() + ":role/replication"),
			Rules: []s3types.ReplicationRule{ruleTo("media/", dst)},
		}})
	if err != nil {
		t.Fatalf("PutBucketReplication through the emulator: %v", err)
	}
	got, err := s3c.GetBucketReplication(e.ctx, &s3.GetBucketReplicationInput{Bucket: &src})
	if err != nil || len(got.ReplicationConfiguration.Rules) != 1 ||
		aws.ToString(got.ReplicationConfiguration.Rules[0].Destination.Bucket) != "arn:aws:s3:::"+dst {
		t.Fatalf("GetBucketReplication: %+v %v", got, err)
	}
	v := aws.ToString(e.put(src, "media/a.mov", "movie", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("video/quicktime")
		in.Metadata = map[string]string{"take": "3"}
		in.Tagging = aws.String("show=x")
	}).VersionId)
	other := aws.ToString(e.put(src, "notes.txt", "notes").VersionId)
	body := fmt.Sprintf("%s,media/a.mov,%s\n%s,notes.txt,%s\n", src, v, src, other)
	id := e.create(e.replicateJob(e.manifest(src, "m.csv", body, "Bucket", "Key", "VersionId"), rep))
	e.wait(id, types.JobStatusComplete)

	copyBody, out, err := e.get(dst, "media/a.mov")
	if err != nil || copyBody != "movie" || aws.ToString(out.ContentType) != "video/quicktime" || out.Metadata["take"] != "3" {
		t.Fatalf("replica: %q %v %v", copyBody, out, err)
	}
	tags, err := e.s3.GetObjectTagging(e.ctx, &s3.GetObjectTaggingInput{Bucket: &dst, Key: aws.String("media/a.mov")})
	if err != nil || len(tags.TagSet) != 1 {
		t.Errorf("replica tags %v %v", tags, err)
	}
	for bucket, want := range map[string]s3types.ReplicationStatus{src: "COMPLETED", dst: "REPLICA"} {
		h, err := s3c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("media/a.mov")})
		if err != nil || h.ReplicationStatus != want {
			t.Errorf("%s: replication status %q %v, want %s", bucket, h.ReplicationStatus, err, want)
		}
	}
	r := e.report(rep, "reports", id)
	if len(r.rows["succeeded"]) != 1 || len(r.rows["failed"]) != 1 || r.rows["failed"][0][5] != "SrcObjectNotEligible" {
		t.Errorf("report %q", r.rows)
	}
}

// A replicate job whose source bucket has no replication configuration
// fails while Preparing.
func TestReplicateJobWithoutConfiguration(t *testing.T) {
	e := newEnv(t, Options{})
	src, rep := e.bucket(true), e.bucket(false)
	v := aws.ToString(e.put(src, "a", "a").VersionId)
	id := e.create(e.replicateJob(e.manifest(src, "m.csv", fmt.Sprintf("%s,a,%s\n", src, v), "Bucket", "Key", "VersionId"), rep))
	d := e.wait(id, types.JobStatusFailed)
	if len(d.FailureReasons) != 1 || aws.ToString(d.FailureReasons[0].FailureCode) != failNoReplicationConf {
		t.Fatalf("failure reasons: %s", failures(d))
	}
}

// A replicate job on a versioned bucket needs version ids in its manifest;
// a destination without versioning fails the tasks.
func TestReplicateJobChecks(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(true), e.bucket(true), e.bucket(false)
	if err := e.emu.SetReplication(e.ctx, src, &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::123456789012:role/r"),
		Rules: []s3types.ReplicationRule{ruleTo("", dst)}}); err != nil {
		t.Fatal(err)
	}
	v := aws.ToString(e.put(src, "a", "a").VersionId)
	id := e.create(e.replicateJob(e.manifest(src, "m.csv", csvRows(src, []string{"a"})), rep))
	d := e.wait(id, types.JobStatusFailed)
	if aws.ToString(d.FailureReasons[0].FailureCode) != failVersionIDsRequired {
		t.Errorf("failure reasons: %s", failures(d))
	}
	// The destination loses its versioning after the configuration was set.
	_, err := e.s3.PutBucketVersioning(e.ctx, &s3.PutBucketVersioningInput{Bucket: &dst,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}})
	if err != nil {
		t.Fatal(err)
	}
	id = e.create(e.replicateJob(e.manifest(src, "v.csv", fmt.Sprintf("%s,a,%s\n", src, v), "Bucket", "Key", "VersionId"), rep))
	e.wait(id, types.JobStatusComplete)
	r := e.report(rep, "reports", id)
	if len(r.rows["failed"]) != 1 || r.rows["failed"][0][5] != "DstBucketUnversioned" {
		t.Errorf("report %q", r.rows)
	}
}

// PutBucketReplication through the emulator makes S3's checks; Get and
// Delete answer as S3 does.
func TestBucketReplicationAPI(t *testing.T) {
	e := newEnv(t, Options{})
	plain, src, dst := e.bucket(false), e.bucket(true), e.bucket(true)
	s3c := e.srv.Client(e.emu.URL())
	put := func(bucket string, rule s3types.ReplicationRule) error {
		_, err := s3c.PutBucketReplication(e.ctx, &s3.PutBucketReplicationInput{Bucket: &bucket,
			ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::123456789012:role/r"),
				Rules: []s3types.ReplicationRule{rule}}})
		return err
	}
	apiErr(t, put(plain, ruleTo("", dst)), "InvalidRequest", 400)
	apiErr(t, put(src, ruleTo("", "no-such-bucket-bops")), "InvalidRequest", 400)
	apiErr(t, put(src, ruleTo("", plain)), "InvalidRequest", 400)
	apiErr(t, put("no-such-bucket-bops", ruleTo("", dst)), "NoSuchBucket", 404)
	_, err := s3c.GetBucketReplication(e.ctx, &s3.GetBucketReplicationInput{Bucket: &src})
	apiErr(t, err, "ReplicationConfigurationNotFoundError", 404)
	if err := put(src, ruleTo("x/", dst)); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.DeleteBucketReplication(e.ctx, &s3.DeleteBucketReplicationInput{Bucket: &src}); err != nil {
		t.Fatal(err)
	}
	_, err = s3c.GetBucketReplication(e.ctx, &s3.GetBucketReplicationInput{Bucket: &src})
	apiErr(t, err, "ReplicationConfigurationNotFoundError", 404)
	bad := e.srv.ClientWith(e.emu.URL(), func(o *s3.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: e.srv.AccessKey, SecretAccessKey: "wrong"}, nil
		})
	})
	_, err = bad.GetBucketReplication(e.ctx, &s3.GetBucketReplicationInput{Bucket: &src})
	apiErr(t, err, "SignatureDoesNotMatch", 403)
}
