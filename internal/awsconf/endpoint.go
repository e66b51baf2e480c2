package awsconf

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// endpointCache remembers the SDK's endpoint resolutions. The SDK runs its
// S3 endpoint rules twice for every request (once to choose the auth
// scheme, once for the URL): about a tenth of a small copy's CPU, for an
// answer that depends only on the bucket and the client's settings.
//
// The cache key is every endpoint parameter except Key, Prefix and
// CopySource, which S3's rules do not read (TestEndpointCacheIgnoresKey
// checks that on this SDK version); each distinct bucket and setting
// combination is resolved once. A hit returns a copy whose maps are fresh:
// the SDK's auth resolver writes into the endpoint's auth options.
type endpointCache struct {
	next s3.EndpointResolverV2
	mu   sync.RWMutex
	m    map[endpointKey]smithyendpoints.Endpoint
}

// maxCachedEndpoints bounds the cache; a run touches two buckets.
const maxCachedEndpoints = 1024

type endpointKey struct {
	bucket, region, endpoint                                         opt[string]
	fips, dualStack, pathStyle, accelerate, globalEndpoint, olambda  opt[bool]
	noAccessPoints, noMRAP, arnRegion, expressControl, noExpressAuth opt[bool]
}

// opt is a comparable stand-in for an optional parameter.
type opt[T comparable] struct {
	set bool
	v   T
}

func optOf[T comparable](p *T) opt[T] {
	if p == nil {
		return opt[T]{}
	}
	return opt[T]{set: true, v: *p}
}

func keyOf(p s3.EndpointParameters) endpointKey {
	return endpointKey{
		bucket: optOf(p.Bucket), region: optOf(p.Region), endpoint: optOf(p.Endpoint),
		fips: optOf(p.UseFIPS), dualStack: optOf(p.UseDualStack), pathStyle: optOf(p.ForcePathStyle),
		accelerate: optOf(p.Accelerate), globalEndpoint: optOf(p.UseGlobalEndpoint),
		olambda: optOf(p.UseObjectLambdaEndpoint), noAccessPoints: optOf(p.DisableAccessPoints),
		noMRAP: optOf(p.DisableMultiRegionAccessPoints), arnRegion: optOf(p.UseArnRegion),
		expressControl: optOf(p.UseS3ExpressControlEndpoint), noExpressAuth: optOf(p.DisableS3ExpressSessionAuth),
	}
}

func newEndpointCache(next s3.EndpointResolverV2) *endpointCache {
	return &endpointCache{next: next, m: map[endpointKey]smithyendpoints.Endpoint{}}
}

// ResolveEndpoint implements s3.EndpointResolverV2. Errors are not cached.
func (c *endpointCache) ResolveEndpoint(ctx context.Context, p s3.EndpointParameters) (smithyendpoints.Endpoint, error) {
	k := keyOf(p)
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return cloneEndpoint(e), nil
	}
	e, err := c.next.ResolveEndpoint(ctx, p)
	if err != nil {
		return e, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedEndpoints {
		clear(c.m)
	}
	c.m[k] = cloneEndpoint(e)
	c.mu.Unlock()
	return e, nil
}

// cloneEndpoint copies e deeply enough that its user may change the
// headers, the properties and the auth options in them.
func cloneEndpoint(e smithyendpoints.Endpoint) smithyendpoints.Endpoint {
	out := e
	out.Headers = e.Headers.Clone()
	var props smithy.Properties
	props.SetAll(&e.Properties)
	if opts, ok := smithyauth.GetAuthOptions(&e.Properties); ok {
		cl := make([]*smithyauth.Option, len(opts))
		for i, o := range opts {
			c := &smithyauth.Option{SchemeID: o.SchemeID}
			c.IdentityProperties.SetAll(&o.IdentityProperties)
			c.SignerProperties.SetAll(&o.SignerProperties)
			cl[i] = c
		}
		smithyauth.SetAuthOptions(&props, cl)
	}
	out.Properties = props
	return out
}
