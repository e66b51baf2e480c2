package bops

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
)

// How backfill reaches the emulator from a child process: the SDK's
// default configuration (credentials, region and AWS_ENDPOINT_URL from the
// environment s3test.Server.Env gives), plus EndpointResolver so the
// account id stays out of the host.
func TestExampleClient(t *testing.T) {
	e := newEnv(t, Options{})
	for _, kv := range e.srv.Env(e.emu.URL()) {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, v)
		}
	}
	cfg, err := config.LoadDefaultConfig(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	plain := s3control.NewFromConfig(cfg, func(o *s3control.Options) { o.Retryer = aws.NopRetryer{} })
	_, err = plain.ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: aws.String(e.emu.AccountID())})
	if err == nil || !strings.Contains(err.Error(), e.emu.AccountID()+".127.0.0.1") {
		t.Fatalf("the default resolver should put the account id in front of the loopback host: %v", err)
	}
	client := s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		o.EndpointResolverV2 = EndpointResolver()
	})
	out, err := client.ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: aws.String(e.emu.AccountID())})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Jobs) != 0 {
		t.Errorf("a fresh emulator lists %d jobs", len(out.Jobs))
	}
}

// Which client options keep a custom endpoint's host: EndpointResolver (V2)
// and the deprecated V1 resolver with HostnameImmutable do; UseARNRegion
// and a V1 resolver without HostnameImmutable do not.
func TestEndpointOptions(t *testing.T) {
	e := newEnv(t, Options{})
	v1 := func(immutable bool) func(*s3control.Options) {
		return func(o *s3control.Options) {
			o.BaseEndpoint, o.EndpointResolverV2 = nil, nil
			o.EndpointResolver = s3control.EndpointResolverFunc(func(string, s3control.EndpointResolverOptions) (aws.Endpoint, error) {
				return aws.Endpoint{URL: e.emu.URL(), HostnameImmutable: immutable}, nil
			})
		}
	}
	cases := []struct {
		name  string
		opt   func(*s3control.Options)
		works bool
	}{
		{"EndpointResolverV2", func(*s3control.Options) {}, true},
		{"V1ResolverHostnameImmutable", v1(true), true},
		{"V1Resolver", v1(false), false},
		{"UseARNRegion", func(o *s3control.Options) {
			o.EndpointResolverV2 = s3control.NewDefaultEndpointResolverV2()
			o.UseARNRegion = true
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.emu.Client(c.opt).ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: aws.String(e.emu.AccountID())})
			if c.works != (err == nil) {
				t.Fatalf("works=%v: %v", c.works, err)
			}
			if err != nil && !strings.Contains(err.Error(), e.emu.AccountID()+".127.0.0.1") {
				t.Fatalf("not the account prefix: %v", err)
			}
		})
	}
}
