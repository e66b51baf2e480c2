package main

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/bench/s3sim"
)

// TestVerify: the replica check passes a whole copy and names what a copy
// lost: an object; its headers (REPLACE without them); another object's
// headers instead of its own. Headers a copy gains are counted, not failed.
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
	cp := func(bucket, key string) {
		t.Helper()
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			CopySource: aws.String("primary/" + key)}); err != nil {
			t.Fatal(err)
		}
	}
	// replace copies key with REPLACE and the headers of the source object
	// headersOf, plus extra metadata.
	replace := func(bucket, key, headersOf string, extra map[string]string) {
		t.Helper()
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("primary"), Key: aws.String(headersOf)})
		if err != nil {
			t.Fatal(err)
		}
		md := maps.Clone(h.Metadata)
		maps.Copy(md, extra)
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			CopySource: aws.String("primary/" + key), MetadataDirective: types.MetadataDirectiveReplace,
			ContentType: h.ContentType, CacheControl: h.CacheControl, ContentDisposition: h.ContentDisposition, Metadata: md}); err != nil {
			t.Fatal(err)
		}
	}
	for i, tc := range []struct {
		copies func(bucket string)
		want   string
	}{
		{func(b string) { cp(b, keys[0]); cp(b, keys[1]); cp(b, keys[2]) },
			"yes: 3 with the source's size and ETag; Content-Type, headers and metadata kept by all"},
		{func(b string) { cp(b, keys[0]); cp(b, keys[1]) }, "NO: 2 objects of 3"},
		{func(b string) { cp(b, keys[0]); replace(b, keys[1], keys[1], nil); cp(b, keys[2]) },
			"yes: 3 with the source's size and ETag; Content-Type, headers and metadata kept by all"},
		{func(b string) {
			cp(b, keys[0])
			cp(b, keys[1])
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String(keys[2]),
				CopySource: aws.String("primary/" + keys[2]), MetadataDirective: types.MetadataDirectiveReplace}); err != nil {
				t.Fatal(err)
			}
		}, "1 lost Content-Type, headers or metadata"},
		{func(b string) { cp(b, keys[0]); cp(b, keys[1]); replace(b, keys[2], keys[1], nil) }, "1 lost Content-Type, headers or metadata"},
		{func(b string) {
			cp(b, keys[0])
			cp(b, keys[1])
			replace(b, keys[2], keys[2], map[string]string{"mtime": "1"})
		},
			"yes: 3 with the source's size and ETag; Content-Type, headers and metadata kept by all (1 gained headers or metadata keys"},
	} {
		b := fmt.Sprintf("replica-%d", i)
		sim.CreateBucket(b)
		tc.copies(b)
		if got := verify(sim, b, len(keys)); !strings.Contains(got, tc.want) {
			t.Errorf("case %d: verify = %q, want it to contain %q", i, got, tc.want)
		}
	}
}
