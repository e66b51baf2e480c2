package awsconf

import (
	"context"
	"fmt"
	"reflect"
	"slices"
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

// oneApart are pairs of parameter sets that differ in one parameter each,
// for every parameter in the cache's key: a key that left one out would
// answer the second of a pair with the first's endpoint.
func oneApart() [][2]s3.EndpointParameters {
	base := func() s3.EndpointParameters {
		return s3.EndpointParameters{Bucket: aws.String("media-replica"), Region: aws.String("us-east-1")}
	}
	mrap := "arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap"
	ap := "arn:aws:s3:us-west-2:123456789012:accesspoint/media"
	dir := "media--use1-az4--x-s3"
	var pairs [][2]s3.EndpointParameters
	add := func(set func(*s3.EndpointParameters), change func(*s3.EndpointParameters)) {
		a := base()
		set(&a)
		b := a
		change(&b)
		pairs = append(pairs, [2]s3.EndpointParameters{a, b})
	}
	none := func(*s3.EndpointParameters) {}
	add(none, func(p *s3.EndpointParameters) { p.Bucket = aws.String("media-other") })
	add(none, func(p *s3.EndpointParameters) { p.Region = aws.String("eu-west-1") })
	add(none, func(p *s3.EndpointParameters) { p.UseFIPS = aws.Bool(true) })
	add(none, func(p *s3.EndpointParameters) { p.UseDualStack = aws.Bool(true) })
	add(none, func(p *s3.EndpointParameters) { p.Endpoint = aws.String("http://127.0.0.1:7070") })
	add(none, func(p *s3.EndpointParameters) { p.ForcePathStyle = aws.Bool(true) })
	add(none, func(p *s3.EndpointParameters) { p.Accelerate = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = nil }, func(p *s3.EndpointParameters) { p.UseGlobalEndpoint = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = nil }, func(p *s3.EndpointParameters) { p.UseObjectLambdaEndpoint = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = aws.String(ap); p.Region = aws.String("us-west-2") },
		func(p *s3.EndpointParameters) { p.DisableAccessPoints = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = aws.String(mrap) },
		func(p *s3.EndpointParameters) { p.DisableMultiRegionAccessPoints = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = aws.String(ap); p.UseArnRegion = aws.Bool(false) },
		func(p *s3.EndpointParameters) { p.UseArnRegion = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = aws.String(dir) },
		func(p *s3.EndpointParameters) { p.DisableS3ExpressSessionAuth = aws.Bool(true) })
	add(func(p *s3.EndpointParameters) { p.Bucket = nil; p.UseS3ExpressControlEndpoint = aws.Bool(false) },
		func(p *s3.EndpointParameters) { p.UseS3ExpressControlEndpoint = aws.Bool(true) })
	return pairs
}

// Each parameter the cache keys on changes the SDK's answer in one of the
// pairs (so the pairs test something), and the cache follows the SDK
// through each pair in order.
func TestEndpointCacheKeysEveryParameter(t *testing.T) {
	sdk := s3.NewDefaultEndpointResolverV2()
	for i, pair := range oneApart() {
		a, aerr := sdk.ResolveEndpoint(t.Context(), pair[0])
		b, berr := sdk.ResolveEndpoint(t.Context(), pair[1])
		if fmt.Sprint(aerr) == fmt.Sprint(berr) && reflect.DeepEqual(a, b) {
			t.Errorf("pair %d: the SDK gives the same answer to both (%+v): the pair tests nothing", i, a)
			continue
		}
		c := newEndpointCache(sdk)
		for j, p := range pair {
			want, werr := sdk.ResolveEndpoint(t.Context(), p)
			got, err := c.ResolveEndpoint(t.Context(), p)
			if fmt.Sprint(err) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
				t.Errorf("pair %d, set %d: cached %+v (%v), SDK %+v (%v)", i, j, got, err, want, werr)
			}
		}
	}
}

// The key names every field of s3.EndpointParameters but the three the
// rules do not read: an SDK update that adds a parameter fails here until
// the key has it.
func TestEndpointCacheKeyIsComplete(t *testing.T) {
	var params []string
	pt := reflect.TypeFor[s3.EndpointParameters]()
	for i := range pt.NumField() {
		if f := pt.Field(i); f.IsExported() && !slices.Contains([]string{"Key", "Prefix", "CopySource"}, f.Name) {
			params = append(params, f.Name)
		}
	}
	if kt := reflect.TypeFor[endpointKey](); kt.NumField() != len(params) {
		t.Fatalf("s3.EndpointParameters has %d keyed fields %v; endpointKey has %d: add the new ones to keyOf", len(params), params, kt.NumField())
	}
	// Every field set alone changes the key.
	var zero s3.EndpointParameters
	for _, name := range params {
		p := zero
		f := reflect.ValueOf(&p).Elem().FieldByName(name)
		switch f.Type() {
		case reflect.TypeFor[*string]():
			f.Set(reflect.ValueOf(aws.String("x")))
		case reflect.TypeFor[*bool]():
			f.Set(reflect.ValueOf(aws.Bool(false)))
		default:
			t.Fatalf("field %s has type %s: keyOf does not know it", name, f.Type())
		}
		if keyOf(p) == keyOf(zero) {
			t.Errorf("keyOf ignores %s", name)
		}
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
