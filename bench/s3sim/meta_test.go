package s3sim

import (
	"context"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMetadata: seeded objects are served with their headers; a copy keeps
// them (COPY, the default) or takes the request's (REPLACE); a multipart
// upload has the headers given when it began, whatever its parts' sources.
func TestMetadata(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed(t, s)
	c, ctx := client(s), context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dst")}); err != nil {
		t.Fatal(err)
	}
	const frame = "shows/s01/e02/frames/000007.dpx"
	want := func(bucket, key, ctype string, md map[string]string) {
		t.Helper()
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(h.ContentType); got != ctype || !maps.Equal(h.Metadata, md) {
			t.Errorf("HEAD %s/%s: Content-Type %q metadata %v, want %q %v", bucket, key, got, h.Metadata, ctype, md)
		}
		o, ok := s.Lookup(bucket, key)
		if !ok || o.ContentType != ctype || !maps.Equal(o.Metadata, md) {
			t.Errorf("Lookup %s/%s: %v %+v", bucket, key, ok, o)
		}
	}
	seeded := map[string]string{"origin": "s3sim"}
	want("src", frame, "image/x-dpx", seeded)
	want("src", "z/", "application/octet-stream", seeded)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dst"), Key: aws.String("put.pdf"),
		ContentType: aws.String("application/pdf"), Metadata: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	want("dst", "put.pdf", "application/pdf", map[string]string{"a": "1"})

	// COPY (also the default when no directive is sent).
	for _, d := range []types.MetadataDirective{types.MetadataDirectiveCopy, ""} {
		key := "copy-" + string(d) + ".dpx"
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String(key),
			CopySource: aws.String("src/" + frame), MetadataDirective: d,
			ContentType: aws.String("text/plain"), Metadata: map[string]string{"ignored": "yes"}}); err != nil {
			t.Fatal(err)
		}
		want("dst", key, "image/x-dpx", seeded)
	}
	// REPLACE: the request's headers, nothing of the source's.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced.dpx"),
		CopySource: aws.String("src/" + frame), MetadataDirective: types.MetadataDirectiveReplace,
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"Show": "s01"}}); err != nil {
		t.Fatal(err)
	}
	want("dst", "replaced.dpx", "text/plain", map[string]string{"show": "s01"})
	// REPLACE without headers: S3's defaults.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("bare.dpx"),
		CopySource: aws.String("src/" + frame), MetadataDirective: types.MetadataDirectiveReplace}); err != nil {
		t.Fatal(err)
	}
	want("dst", "bare.dpx", "binary/octet-stream", nil)
	// A copy of a copy keeps what the first one has.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("again.dpx"),
		CopySource: aws.String("dst/replaced.dpx")}); err != nil {
		t.Fatal(err)
	}
	want("dst", "again.dpx", "text/plain", map[string]string{"show": "s01"})

	// Multipart: the headers of CreateMultipartUpload, not the part source's.
	for _, tc := range []struct {
		key, ctype string
		md         map[string]string
	}{{"mp-kept.dpx", "image/x-dpx", map[string]string{"origin": "s3sim"}}, {"mp-bare.dpx", "", nil}} {
		in := &s3.CreateMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String(tc.key), Metadata: tc.md}
		if tc.ctype != "" {
			in.ContentType = aws.String(tc.ctype)
		}
		up, err := c.CreateMultipartUpload(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pc, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String(tc.key),
			UploadId: up.UploadId, PartNumber: aws.Int32(1), CopySource: aws.String("src/" + frame)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String(tc.key),
			UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag}}}}); err != nil {
			t.Fatal(err)
		}
		ctype := tc.ctype
		if ctype == "" {
			ctype = "binary/octet-stream"
		}
		want("dst", tc.key, ctype, tc.md)
	}
}
