package bops

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// EndpointResolver returns an s3control.EndpointResolverV2 that keeps a
// custom endpoint's host as given. The SDK's default resolver puts the
// account id in front of the host for the job operations
// ("{AccountId}.{host}", the operations' hostPrefix), which a loopback
// address cannot take ("123456789012.127.0.0.1"). This resolver clears the
// RequiresAccountId endpoint parameter and lets the default rules resolve
// the rest; the account still travels in x-amz-account-id, and signing
// (SigV4, service "s3") is unchanged. Use it with BaseEndpoint:
//
//	s3control.NewFromConfig(cfg, func(o *s3control.Options) {
//		o.BaseEndpoint = aws.String(url)
//		o.EndpointResolverV2 = bops.EndpointResolver()
//	})
func EndpointResolver() s3control.EndpointResolverV2 {
	return keepHost{s3control.NewDefaultEndpointResolverV2()}
}

type keepHost struct{ next s3control.EndpointResolverV2 }

func (k keepHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	p.RequiresAccountId = aws.Bool(false)
	return k.next.ResolveEndpoint(ctx, p)
}

// Client returns an S3 Control client for the emulator: its URL, region and
// key pair, the host-keeping resolver, no retries. optFns run last.
func (s *Server) Client(optFns ...func(*s3control.Options)) *s3control.Client {
	creds := aws.Credentials{AccessKeyID: s.opts.AccessKey, SecretAccessKey: s.opts.SecretKey, Source: "bops"}
	o := s3control.Options{
		Region:             s.opts.Region,
		BaseEndpoint:       aws.String(s.url),
		EndpointResolverV2: EndpointResolver(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		Retryer: aws.NopRetryer{},
	}
	return s3control.New(o, optFns...)
}
