package batchops

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/backfill-dev/backfill/internal/awsconf"
)

// Account says where the S3 Control calls go and as whom. Credentials
// come from the SDK's chain and are never logged or stored.
type Account struct {
	// ID is the account that owns the jobs ("" = STS GetCallerIdentity).
	ID string
	// Profile and Region of the S3 Control client ("" = the SDK's chain;
	// submit uses the destination's region for a copy, the source's for
	// replication).
	Profile, Region string
	// Endpoint is a custom S3 Control endpoint ("" = the SDK's chain:
	// AWS_ENDPOINT_URL_S3_CONTROL, AWS_ENDPOINT_URL, the profile's).
	Endpoint    string
	MaxAttempts int
	// DebugLog, when set, receives the SDK's requests and retries
	// (--debug; signatures and tokens redacted by awsconf).
	DebugLog io.Writer
}

// control is a connected S3 Control client for one account and region.
type control struct {
	api      jobAPI
	account  string
	region   string
	endpoint string // "" for AWS's own
}

// connectControl makes the S3 Control client and finds the account. With
// a custom endpoint the host is kept as given: the SDK would put the
// account id in front of it ("123456789012.127.0.0.1"), which a loopback
// or private endpoint cannot take; the account travels in the
// x-amz-account-id header either way. The HTTP client is awsconf's
// buildable one, so AWS_CA_BUNDLE works set or unset.
func connectControl(ctx context.Context, a Account) (*control, error) {
	cfg, err := awsconf.LoadConfig(ctx, a.Profile, a.Region, a.MaxAttempts, 4, a.DebugLog)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("no region for S3 Batch Operations: the job's region is needed (--region, AWS_REGION or the profile's region)")
	}
	var endpoint string
	client := s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		if a.Endpoint != "" {
			o.BaseEndpoint = aws.String(a.Endpoint)
		}
		if o.BaseEndpoint != nil {
			endpoint = *o.BaseEndpoint
			o.EndpointResolverV2 = keepHost{s3control.NewDefaultEndpointResolverV2()}
		}
	})
	c := &control{api: client, account: a.ID, region: cfg.Region, endpoint: endpoint}
	if c.account == "" {
		if c.account, err = callerAccount(ctx, sts.NewFromConfig(cfg)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// keepHost resolves S3 Control endpoints without the account-id host
// prefix (the RequiresAccountId rule parameter), for custom endpoints.
type keepHost struct{ next s3control.EndpointResolverV2 }

func (k keepHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	p.RequiresAccountId = aws.Bool(false)
	return k.next.ResolveEndpoint(ctx, p)
}

// callerAccount asks STS whose credentials these are.
func callerAccount(ctx context.Context, api identityAPI) (string, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the account id with STS GetCallerIdentity (or give --account-id): %w", err)
	}
	id := aws.ToString(out.Account)
	if !accountRe.MatchString(id) {
		return "", fmt.Errorf("STS GetCallerIdentity answered account %q, not 12 digits: give --account-id", id)
	}
	return id, nil
}

// connectS3 makes an S3 client in region (the job's: for reading its
// report), with the shared AWS settings.
func connectS3(ctx context.Context, o awsconf.Options, region string) (*awsconf.Client, error) {
	return awsconf.New(ctx, o, awsconf.Side{Region: region}, "")
}

// connectIAM makes an IAM client (IAM is global; the SDK's chain gives
// the endpoint, AWS_ENDPOINT_URL_IAM in tests).
func connectIAM(ctx context.Context, profile string, attempts int) (roleAPI, error) {
	cfg, err := awsconf.LoadConfig(ctx, profile, "", attempts, 4, nil)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return iam.NewFromConfig(cfg), nil
}

var _ bucketAPI = (*s3.Client)(nil)
