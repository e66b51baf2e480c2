package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/bench/s3sim"
)

// TestVerify: the replica check passes a whole copy and names what a copy
// lost: an object, or its Content-Type and metadata (REPLACE without them).
func TestVerify(t *testing.T) {
	sim, err := s3sim.Start(s3sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	keys := []string{"shows/s00/e00/frames/000000.dpx", "shows/s00/e00/frames/000001.dpx", "shows/s00/e00/frames/000002.dpx"}
	if err := sim.Seed("primary", len(keys), func(i int) (string, int64) { return keys[i], 4096 }); err != nil {
		t.Fatal(err)
	}
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(sim.URL()), UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "s3sim", SecretAccessKey: "s3simsecret"}, nil
		})})
	ctx := context.Background()
	cp := func(bucket, key string, d types.MetadataDirective, md map[string]string) {
		t.Helper()
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			CopySource: aws.String("primary/" + key), MetadataDirective: d, Metadata: md, ContentType: map[bool]*string{true: aws.String("image/x-dpx")}[md != nil]}); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct {
		copies func(bucket string)
		want   string
	}{
		{func(b string) {
			for _, k := range keys {
				cp(b, k, "", nil)
			}
		}, "yes: 3 with the source's size and ETag; Content-Type and metadata kept by all"},
		{func(b string) {
			cp(b, keys[0], "", nil)
			cp(b, keys[1], "", nil)
		}, "NO: 2 objects of 3"},
		{func(b string) {
			cp(b, keys[0], "", nil)
			cp(b, keys[1], "", nil)
			cp(b, keys[2], types.MetadataDirectiveReplace, nil)
		}, "1 lost Content-Type or metadata"},
		{func(b string) {
			cp(b, keys[0], "", nil)
			cp(b, keys[1], "", nil)
			cp(b, keys[2], types.MetadataDirectiveReplace, map[string]string{"origin": "s3sim", "mtime": "1"})
		}, "yes: 3 with the source's size and ETag; Content-Type and metadata kept by all (1 gained metadata keys"},
	} {
		b := fmt.Sprintf("replica-%d", i)
		sim.CreateBucket(b)
		tc.copies(b)
		if got := verify(sim, b, len(keys)); !strings.Contains(got, tc.want) {
			t.Errorf("case %d: verify = %q, want it to contain %q", i, got, tc.want)
		}
	}
}
