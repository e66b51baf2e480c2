package setup

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// bucketState is what plan and check know of one bucket.
type bucketState struct {
	name   string
	exists bool
	// denied is set when the bucket exists but these credentials may not
	// use it (HeadBucket 403): owned by another account, or no permission.
	denied     string
	region     string
	versioning types.BucketVersioningStatus // "" = never enabled
	pab        *types.PublicAccessBlockConfiguration
	noPAB      bool   // the bucket has no Block Public Access configuration
	pabUnsup   string // the server's answer when it does not implement it
	enc        *types.ServerSideEncryptionByDefault
	encUnsup   string
	readExtras bool // pab and enc were read
	// elsewhere: the bucket is in another region than the client's, so it
	// was read no further than its region.
	elsewhere bool
}

// readBucket reads a bucket's existence, region and versioning, and with
// extras its Block Public Access and default encryption. A bucket in
// another region than the client's is read no further than its region.
func readBucket(ctx context.Context, c bucketReadAPI, bucket, clientRegion string, extras bool) (bucketState, error) {
	st := bucketState{name: bucket}
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket})
	switch status := httpStatus(err); {
	case err == nil:
	case status == 301: // in another region: S3 names it in x-amz-bucket-region
		if r := responseHeader(err, "X-Amz-Bucket-Region"); r != "" {
			st.exists, st.region, st.elsewhere = true, r, true
			return st, nil
		}
	case status == 404 || s3err.Code(err) == "NoSuchBucket":
		return st, nil
	case status == 403:
		st.exists, st.denied = true, "these credentials may not use it (it belongs to another account, or access is denied)"
		return st, nil
	default:
		return st, fmt.Errorf("HeadBucket %s: %w", bucket, err)
	}
	st.exists = true
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
	if err != nil {
		return st, fmt.Errorf("GetBucketLocation %s: %w", bucket, err)
	}
	st.region = normalizeRegion(string(loc.LocationConstraint))
	if clientRegion != "" && st.region != clientRegion {
		st.elsewhere = true
		return st, nil
	}
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil {
		return st, fmt.Errorf("GetBucketVersioning %s: %w", bucket, err)
	}
	st.versioning = v.Status
	if !extras {
		return st, nil
	}
	st.readExtras = true
	if err := st.readPAB(ctx, c); err != nil {
		return st, err
	}
	return st, st.readEncryption(ctx, c)
}

func (st *bucketState) readPAB(ctx context.Context, c bucketReadAPI) error {
	out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &st.name})
	switch {
	case err == nil:
		st.pab = out.PublicAccessBlockConfiguration
	case s3err.Code(err) == "NoSuchPublicAccessBlockConfiguration":
		st.noPAB = true
	case unsupported(err):
		st.pabUnsup = s3err.Code(err)
	default:
		return fmt.Errorf("GetPublicAccessBlock %s: %w", st.name, err)
	}
	return nil
}

func (st *bucketState) readEncryption(ctx context.Context, c bucketReadAPI) error {
	out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &st.name})
	switch {
	case err == nil:
		if cfg := out.ServerSideEncryptionConfiguration; cfg != nil && len(cfg.Rules) > 0 {
			st.enc = cfg.Rules[0].ApplyServerSideEncryptionByDefault
		}
	case s3err.Code(err) == "ServerSideEncryptionConfigurationNotFoundError":
	case unsupported(err):
		st.encUnsup = s3err.Code(err)
	default:
		return fmt.Errorf("GetBucketEncryption %s: %w", st.name, err)
	}
	return nil
}

// readReplication returns the bucket's replication configuration, nil if
// it has none.
func readReplication(ctx context.Context, c bucketReadAPI, bucket string) (*types.ReplicationConfiguration, error) {
	out, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &bucket})
	switch {
	case err == nil:
		return out.ReplicationConfiguration, nil
	case s3err.Code(err) == "ReplicationConfigurationNotFoundError":
		return nil, nil
	}
	return nil, fmt.Errorf("GetBucketReplication %s: %w", bucket, err)
}

// readBucketPolicy returns the bucket's policy document, "" if none.
func readBucketPolicy(ctx context.Context, c bucketReadAPI, bucket string) (string, error) {
	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket})
	switch {
	case err == nil:
		return aws.ToString(out.Policy), nil
	case s3err.Code(err) == "NoSuchBucketPolicy":
		return "", nil
	}
	return "", fmt.Errorf("GetBucketPolicy %s: %w", bucket, err)
}

// readInventory returns the primary's inventory configuration id, nil if
// there is none.
func readInventory(ctx context.Context, c bucketReadAPI, bucket, id string) (*types.InventoryConfiguration, error) {
	out, err := c.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{Bucket: &bucket, Id: &id})
	switch {
	case err == nil:
		return out.InventoryConfiguration, nil
	case httpStatus(err) == 404:
		return nil, nil // NoSuchConfiguration (moto: NoSuchInventoryConfig)
	}
	return nil, fmt.Errorf("GetBucketInventoryConfiguration %s %s: %w", bucket, id, err)
}

// readRolePolicy returns a role's inline policy document (decoded), ""
// if the role has no policy of that name.
func readRolePolicy(ctx context.Context, c IAMAPI, role, name string) (string, error) {
	out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &name})
	switch {
	case err == nil:
		return decodePolicy(aws.ToString(out.PolicyDocument))
	case s3err.Code(err) == "NoSuchEntity":
		return "", nil
	}
	return "", fmt.Errorf("GetRolePolicy %s %s: %w", role, name, err)
}

// decodePolicy undoes the URL encoding IAM puts on policy documents.
func decodePolicy(doc string) (string, error) {
	s, err := url.QueryUnescape(doc)
	if err != nil {
		return "", fmt.Errorf("policy document: %w", err)
	}
	return s, nil
}

// normalizeRegion turns GetBucketLocation's answer into a region name:
// "" is us-east-1 and "EU" the old name of eu-west-1.
func normalizeRegion(loc string) string {
	switch loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return loc
}

// responseHeader is a header of the answer a failed request got.
func responseHeader(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// httpStatus is the HTTP status of an answered request, 0 otherwise.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// describeErr is a short account of a failed request: the S3 error
// code, or what the network said when no answer came.
func describeErr(err error) string {
	if httpStatus(err) != 0 {
		return s3err.Code(err)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "no answer (" + oe.Err.Error() + ")"
	}
	return s3err.Code(err)
}

// unsupported reports a server that does not implement an API (an
// S3-compatible server: AWS implements all that setup calls).
func unsupported(err error) bool {
	return s3err.Code(err) == "NotImplemented" || httpStatus(err) == 501
}
