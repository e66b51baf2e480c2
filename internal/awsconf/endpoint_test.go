package awsconf

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// endpointCases are parameter sets covering the rule paths backfill meets:
// AWS virtual-hosted and path-style, FIPS, dual-stack, accelerate, a custom
// endpoint, an access point ARN, a directory bucket and a multi-Region
// access point (SigV4A auth options).
func endpointCases() []s3.EndpointParameters {
	p := func(bucket, region string, f func(*s3.EndpointParameters)) s3.EndpointParameters {
		e := s3.EndpointParameters{Bucket: aws.String(bucket), Region: aws.String(region)}
		if f != nil {
			f(&e)
		}
		return e
	}
	return []s3.EndpointParameters{
		p("media-primary", "us-east-1", nil),
		p("media-replica", "eu-west-1", nil),
		p("media.with.dots", "eu-west-1", nil),
		p("media-replica", "eu-west-1", func(e *s3.EndpointParameters) { e.ForcePathStyle = aws.Bool(true) }),
		p("media-replica", "us-west-2", func(e *s3.EndpointParameters) { e.UseFIPS = aws.Bool(true) }),
		p("media-replica", "us-west-2", func(e *s3.EndpointParameters) { e.UseDualStack = aws.Bool(true) }),
		p("media-replica", "us-west-2", func(e *s3.EndpointParameters) { e.Accelerate = aws.Bool(true) }),
		p("replica", "us-east-1", func(e *s3.EndpointParameters) {
			e.Endpoint, e.ForcePathStyle = aws.String("http://127.0.0.1:7070"), aws.Bool(true)
		}),
		p("arn:aws:s3:us-west-2:123456789012:accesspoint/media", "us-west-2", nil),
		p("media--usw2-az1--x-s3", "us-west-2", nil),
		p("arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap", "us-east-1", nil),
	}
}

func TestEndpointCacheMatchesTheSDK(t *testing.T) {
	sdk := s3.NewDefaultEndpointResolverV2()
	c := newEndpointCache(sdk)
	for _, p := range endpointCases() {
		want, werr := sdk.ResolveEndpoint(t.Context(), p)
		for round := range 3 { // a miss, then hits
			got, err := c.ResolveEndpoint(t.Context(), p)
			if fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("%s round %d: error %v, SDK %v", *p.Bucket, round, err, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s round %d: cached\n%+v\nSDK\n%+v", *p.Bucket, round, got, want)
			}
		}
	}
}

// The cache leaves Key, Prefix and CopySource out of its key: S3's rules
// must not read them. If an SDK update makes them matter, this fails.
func TestEndpointCacheIgnoresKey(t *testing.T) {
	sdk := s3.NewDefaultEndpointResolverV2()
	for _, p := range endpointCases() {
		base, berr := sdk.ResolveEndpoint(t.Context(), p)
		for _, key := range []string{"a", "shows/s01/e01/frame 0001.dpx", "../x?y#z", ""} {
			q := p
			q.Key, q.Prefix, q.CopySource = aws.String(key), aws.String(key), aws.String("src/"+key)
			got, err := sdk.ResolveEndpoint(t.Context(), q)
			if fmt.Sprint(err) != fmt.Sprint(berr) || !reflect.DeepEqual(got, base) {
				t.Errorf("%s: key %q changes the endpoint: %+v (%v), without it %+v (%v)", *p.Bucket, key, got, err, base, berr)
			}
		}
	}
}

// The SDK's auth resolver writes into the endpoint's auth options; what one
// caller changes must not reach the next.
func TestEndpointCacheHitsAreCopies(t *testing.T) {
	c := newEndpointCache(s3.NewDefaultEndpointResolverV2())
	p := endpointCases()[1]
	first, err := c.ResolveEndpoint(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := cloneEndpoint(first)
	mutate := func(e smithyendpoints.Endpoint) {
		e.Headers.Set("X-Mutated", "1")
		e.Properties.Set("mutated", true)
		opts, ok := smithyauth.GetAuthOptions(&e.Properties)
		if !ok || len(opts) == 0 {
			t.Fatal("endpoint has no auth options")
		}
		opts[0].SignerProperties.Set("mutated", true)
		opts[0].SchemeID = "mutated"
	}
	mutate(first)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			e, err := c.ResolveEndpoint(context.Background(), p)
			if err != nil {
				t.Error(err)
				return
			}
			if !reflect.DeepEqual(e, want) {
				t.Errorf("a caller's change reached the cache:\n%+v\nwant\n%+v", e, want)
			}
			mutate(e)
		})
	}
	wg.Wait()
}
