package s3test

// These tests record what moto 5.2.1 does with the S3 bucket
// configuration calls backfill setup makes (setup's own tests assert on
// the requests it sends, because of what these show).

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func motoS3(t *testing.T, region string) *s3.Client {
	t.Helper()
	cfg, err := SharedMoto(t).Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.Region = region })
}

// TestFactMotoBucketConfiguration: moto keeps a bucket's region
// (GetBucketLocation, HeadBucket's x-amz-bucket-region), Block Public
// Access, default encryption, inventory and policy; it accepts a
// versioning status that is not one (and reports it back), and refuses a
// replication configuration on an unversioned bucket.
func TestFactMotoBucketConfiguration(t *testing.T) {
	ctx := context.Background()
	c := motoS3(t, "us-east-1")
	b := BucketName("moto-config")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: "eu-west-2"}}); err != nil {
		t.Fatal(err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &b})
	if err != nil || loc.LocationConstraint != "eu-west-2" {
		t.Errorf("GetBucketLocation: %v %q", err, loc.LocationConstraint)
	}
	hb, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &b})
	if err != nil || aws.ToString(hb.BucketRegion) != "eu-west-2" {
		t.Errorf("HeadBucket: %v", err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b, VersioningConfiguration: &types.VersioningConfiguration{Status: "Bogus"}})
	v, _ := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &b})
	if err != nil || v.Status != "Bogus" {
		t.Errorf("bogus versioning status: %v, reads back %q", err, v.Status)
	}
	_, err = c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: &b, ReplicationConfiguration: replicationConfig("p/")})
	if apiCode(err) != "InvalidRequest" {
		t.Errorf("replication on an unversioned bucket: %v", err)
	}
	if _, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &b}); apiCode(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Errorf("GetPublicAccessBlock before any: %v", err)
	}
	if _, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &b}); apiCode(err) != "ServerSideEncryptionConfigurationNotFoundError" {
		t.Errorf("GetBucketEncryption before any: %v", err)
	}
	_, err = c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: &b, Id: aws.String("x")})
	if status(err) != 404 || apiCode(err) != "NoSuchInventoryConfig" { // AWS says NoSuchConfiguration
		t.Errorf("GetBucketInventoryConfiguration of none: %v", err)
	}
}

// TestFactMotoReplicationFilterPrefix: moto reads a rule's filter prefix
// back as "" (<Filter><Prefix/></Filter>), whatever prefix was put, and
// drops SourceSelectionCriteria: a configuration read from moto is not the
// one that was put.
func TestFactMotoReplicationFilterPrefix(t *testing.T) {
	ctx := context.Background()
	c := motoS3(t, "us-east-1")
	b := BucketName("moto-filter")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	cfg := replicationConfig("media/")
	cfg.Rules[0].SourceSelectionCriteria = &types.SourceSelectionCriteria{
		SseKmsEncryptedObjects: &types.SseKmsEncryptedObjects{Status: types.SseKmsEncryptedObjectsStatusEnabled}}
	if _, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: &b, ReplicationConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	r := got.ReplicationConfiguration.Rules[0]
	if r.Filter == nil || aws.ToString(r.Filter.Prefix) != "" || r.SourceSelectionCriteria != nil {
		t.Errorf("moto now keeps the filter prefix (%+v) or the selection criteria (%+v): update the setup tests", r.Filter, r.SourceSelectionCriteria)
	}
}

func replicationConfig(prefix string) *types.ReplicationConfiguration {
	return &types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::" + MotoAccountID + ":role/r"), Rules: []types.ReplicationRule{{
		ID: aws.String("r"), Status: types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
		Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String(prefix)},
		DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
		Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::elsewhere")},
	}}}
}
