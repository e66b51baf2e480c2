package setup

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/backfill-dev/backfill/internal/awsconf"
)

// bucketReadAPI is what plan and check read of a bucket.
type bucketReadAPI interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetBucketReplication(context.Context, *s3.GetBucketReplicationInput, ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error)
	GetBucketInventoryConfiguration(context.Context, *s3.GetBucketInventoryConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketInventoryConfigurationOutput, error)
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
}

// bucketWriteAPI is what apply changes.
type bucketWriteAPI interface {
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	PutBucketReplication(context.Context, *s3.PutBucketReplicationInput, ...func(*s3.Options)) (*s3.PutBucketReplicationOutput, error)
	PutBucketInventoryConfiguration(context.Context, *s3.PutBucketInventoryConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketInventoryConfigurationOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
}

// canaryAPI is what the canary does with objects.
type canaryAPI interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// S3API is one side's S3 client as setup uses it; *s3.Client is one.
type S3API interface {
	bucketReadAPI
	bucketWriteAPI
	canaryAPI
}

// IAMAPI is what setup reads and writes in IAM; *iam.Client is one.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
}

// STSAPI finds the account; *sts.Client is one.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ S3API  = (*s3.Client)(nil)
	_ IAMAPI = (*iam.Client)(nil)
	_ STSAPI = (*sts.Client)(nil)
)

// Clients are the clients a setup talks through: S3 in each bucket's
// region (Primary also serves the inventory destination, which must be in
// the primary's region), IAM and STS.
type Clients struct {
	Primary, Replica S3API
	IAM              IAMAPI
	STS              STSAPI
	// PrimaryEndpoint and ReplicaEndpoint are the S3 endpoints the
	// clients send to ("" for AWS's own), and PrimaryProfile and
	// ReplicaProfile the profiles named ("" = the SDK's chain), for the
	// hand-off's commands.
	PrimaryEndpoint, ReplicaEndpoint string
	PrimaryProfile, ReplicaProfile   string
}

// Side is one bucket's AWS settings: profile, region, S3 endpoint.
type Side = awsconf.Side

// Connect builds the clients from the SDK's configuration chain and the
// flags: an S3 client per side (awsconf: the buildable HTTP client, so
// AWS_CA_BUNDLE works set or unset, and the SDK's retries), and IAM and STS
// clients from the primary side's configuration (their endpoints come from
// the SDK's chain, AWS_ENDPOINT_URL_IAM and _STS included; the S3 endpoint
// flags do not apply to them). It sends nothing but, when the primary's
// region is known nowhere, the one request that looks it up.
func Connect(ctx context.Context, o awsconf.Options, primary, replica Side, s Spec) (*Clients, error) {
	p, err := awsconf.New(ctx, o, primary, s.Primary.Bucket)
	if err != nil {
		return nil, fmt.Errorf("primary %s: %w", s.Primary.Bucket, err)
	}
	if err := p.CheckCredentials(ctx); err != nil {
		return nil, fmt.Errorf("primary %s: %w (set AWS_PROFILE, --profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)", s.Primary.Bucket, err)
	}
	replica.Region = s.ReplicaRegion
	r, err := awsconf.New(ctx, o, replica, s.Replica.Bucket)
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", s.Replica.Bucket, err)
	}
	if err := r.CheckCredentials(ctx); err != nil {
		return nil, fmt.Errorf("replica %s: %w", s.Replica.Bucket, err)
	}
	return &Clients{Primary: p, Replica: r, IAM: iam.NewFromConfig(p.Config), STS: sts.NewFromConfig(p.Config),
		PrimaryEndpoint: p.Endpoint, ReplicaEndpoint: r.Endpoint,
		PrimaryProfile: firstOf(primary.Profile, o.Profile), ReplicaProfile: firstOf(replica.Profile, o.Profile)}, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
