package awsconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultMaxAttempts is how many times one request is tried. Higher than
// the SDK's 3 because an overnight run meets SlowDown storms and flaky
// connections that a few more backed-off attempts ride out.
const DefaultMaxAttempts = 10

// Side is one end of a copy.
type Side struct {
	Profile  string
	Region   string
	Endpoint string
}

// Options configure the clients for a run.
type Options struct {
	// Shared settings; a Side's own non-empty fields override them.
	Profile, Region, Endpoint string
	// MaxAttempts per request (0 = DefaultMaxAttempts).
	MaxAttempts int
	// Connections is the size of the HTTP connection pool per host.
	Connections int
	// Requests, when set, counts the operations the clients call.
	Requests *Requests
	// Throttle, when set, counts the throttled answers the clients meet
	// and shows their send-rate limits (for the engine's controller).
	Throttle *ThrottleStats
	// DebugLog, when set (--debug), receives the SDK's log: each retry and
	// each request's headers, with signatures and session tokens redacted.
	// When nil the SDK logs nothing at all, warnings included.
	DebugLog io.Writer
	// CopyOutputUnread says the caller reads nothing from CopyObject's
	// output but the error: a finished copy's result document is checked
	// but not decoded, and the output is empty (copyresult.go); and,
	// without DebugLog, a plain copy's first attempt is sent without the
	// SDK's middleware (leancopy.go).
	CopyOutputUnread bool
}

// ErrNoCredentials is returned by CheckCredentials when the SDK's chain
// found none.
var ErrNoCredentials = errors.New("no AWS credentials found")

// Client is an S3 client for one side, with the configuration it was made from.
type Client struct {
	*s3.Client
	Config   aws.Config
	Endpoint string
	lean     *leanCopier // nil: every CopyObject is the SDK's (leancopy.go)
}

// New builds the S3 client for one side. bucket is used only to look up the
// bucket's region when none is configured.
func New(ctx context.Context, o Options, side Side, bucket string) (*Client, error) {
	profile := firstNonEmpty(side.Profile, o.Profile)
	region := firstNonEmpty(side.Region, o.Region)
	endpoint := firstNonEmpty(side.Endpoint, o.Endpoint)
	cfg, err := loadConfig(ctx, profile, region, o.MaxAttempts, o.Connections, o.DebugLog, o.Throttle)
	if err != nil {
		return nil, err
	}
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}
	if endpoint == "" && os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") != "true" {
		// The S3-specific variable wins over the global one, as in the SDK;
		// reading it here is what turns on path-style addressing for it.
		endpoint = os.Getenv("AWS_ENDPOINT_URL_S3")
	}
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint // AWS_ENDPOINT_URL, or endpoint_url in the profile
	}
	if cfg.Region == "" {
		if endpoint != "" {
			cfg.Region = "us-east-1"
		} else if bucket != "" {
			probe := s3.NewFromConfig(cfg, func(o *s3.Options) { o.Region = "us-east-1" })
			r, err := manager.GetBucketRegion(ctx, probe, bucket)
			if err != nil {
				return nil, fmt.Errorf("find the region of bucket %s (set --region to skip this): %w", bucket, err)
			}
			cfg.Region = r
		}
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.EndpointResolverV2 = newEndpointCache(so.EndpointResolverV2)
		so.APIOptions = append(so.APIOptions, swap200ErrorCheck)
		if o.CopyOutputUnread {
			so.APIOptions = append(so.APIOptions, skipCopyOutput) // after swap200ErrorCheck, which it needs
		}
		if endpoint != "" {
			so.BaseEndpoint = aws.String(endpoint)
			so.UsePathStyle = true
		}
		if o.Requests != nil {
			so.APIOptions = append(so.APIOptions, o.Requests.middleware)
		}
	})
	c := &Client{Client: client, Config: cfg, Endpoint: endpoint}
	if o.CopyOutputUnread && o.DebugLog == nil && os.Getenv(noLeanEnv) == "" {
		c.lean = newLeanCopier(client, o.Requests)
	}
	return c, nil
}

// CheckCredentials makes sure the client's credential chain yields
// credentials, without revealing them.
func (c *Client) CheckCredentials(ctx context.Context) error {
	if c.Config.Credentials == nil {
		return ErrNoCredentials
	}
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoCredentials, err)
	}
	if !creds.HasKeys() {
		return ErrNoCredentials
	}
	return nil
}

// LoadConfig loads the SDK's default configuration as every backfill
// client gets it: the buildable HTTP client (so AWS_CA_BUNDLE works), a
// pool of conns connections per host, backfill's retryer with attempts
// attempts, and the profile and region when given. Clients of other
// services (S3 Control, STS, IAM) are made from it.
func LoadConfig(ctx context.Context, profile, region string, attempts, conns int, debugLog io.Writer) (aws.Config, error) {
	return loadConfig(ctx, profile, region, attempts, conns, debugLog, nil)
}

// loadConfig is LoadConfig with the throttle statistics New keeps.
func loadConfig(ctx context.Context, profile, region string, attempts, conns int, debugLog io.Writer, throttle *ThrottleStats) (aws.Config, error) {
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	conns = max(conns, 16)
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = conns * 2
		tr.MaxIdleConnsPerHost = conns + 8
		tr.IdleConnTimeout = 90 * time.Second
	})
	loadOpts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer { return newRetryer(attempts, throttle) }),
		config.WithLogger(sdkLogger(debugLog)),
	}
	if debugLog != nil {
		loadOpts = append(loadOpts, config.WithClientLogMode(debugLogMode))
	}
	if profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		loadOpts = append(loadOpts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration (profile %q): %w", profile, err)
	}
	return cfg, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
