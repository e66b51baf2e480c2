package bops

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The emulator's S3 endpoint is versitygw behind a proxy: ordinary S3
// calls signed for the emulator's address work through it unchanged, and
// versitygw still checks their signatures.
func TestS3Passthrough(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.srv.Client(e.emu.URL())
	b := e.bucket(false)
	if _, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("dir/a b+c"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"),
		CopySource: aws.String(copySource(b, "dir/a b+c", ""))}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: &b})
	if err != nil || len(out.Contents) != 2 {
		t.Fatalf("list: %v %v", out, err)
	}
	h, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("copy")})
	if err != nil || aws.ToInt64(h.ContentLength) != 1 || h.ReplicationStatus != "" {
		t.Fatalf("head: %+v %v", h, err)
	}
	bad := e.srv.ClientWith(e.emu.URL(), func(o *s3.Options) {
		o.Credentials = aws.NewCredentialsCache(staticCreds(e.srv.AccessKey, "wrong"))
	})
	_, err = bad.HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: &b})
	if err == nil {
		t.Fatal("a request with a wrong signature passed the proxy")
	}
}
