package s3sim

import (
	"context"
	"maps"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestMetadata: seeded objects are served with their headers; a copy keeps
// them (COPY, the default; to another key as well) or takes the request's
// (REPLACE); a multipart upload has the headers given when it began,
// whatever its parts' sources.
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
	type headers struct {
		ctype string
		std   map[string]string // the content headers besides Content-Type
		md    map[string]string
	}
	want := func(bucket, key string, w headers) {
		t.Helper()
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ContentType) != w.ctype || !maps.Equal(h.Metadata, w.md) ||
			aws.ToString(h.CacheControl) != w.std["Cache-Control"] || aws.ToString(h.ContentDisposition) != w.std["Content-Disposition"] {
			t.Errorf("HEAD %s/%s: Content-Type %q Cache-Control %q Content-Disposition %q metadata %v, want %+v", bucket, key,
				aws.ToString(h.ContentType), aws.ToString(h.CacheControl), aws.ToString(h.ContentDisposition), h.Metadata, w)
		}
		o, ok := s.Lookup(bucket, key)
		if !ok || o.ContentType != w.ctype || !maps.Equal(o.Metadata, w.md) || !maps.Equal(o.Headers, w.std) {
			t.Errorf("Lookup %s/%s: %v %+v, want %+v", bucket, key, ok, o, w)
		}
	}
	const frame = "shows/s01/e02/frames/000007.dpx"
	sum, _ := keyedHeaders(frame)
	seeded := headers{ctype: "image/x-dpx; source=s3sim",
		std: map[string]string{"Cache-Control": "private, max-age=86400", "Content-Disposition": `inline; filename="000007.dpx"`},
		md:  map[string]string{"origin": "s3sim", "key-sum": sum}}
	want("src", frame, seeded)
	zsum, _ := keyedHeaders("z/")
	want("src", "z/", headers{ctype: "application/octet-stream; source=s3sim",
		std: map[string]string{"Cache-Control": "private, max-age=86400", "Content-Disposition": `inline; filename="z"`},
		md:  map[string]string{"origin": "s3sim", "key-sum": zsum}})
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dst"), Key: aws.String("put.pdf"),
		ContentType: aws.String("application/pdf"), ContentLanguage: aws.String("fr"), Metadata: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	want("dst", "put.pdf", headers{ctype: "application/pdf", std: map[string]string{"Content-Language": "fr"}, md: map[string]string{"a": "1"}})

	// COPY (also the default when no directive is sent), to the same key and
	// to others: the source's headers, its own key's included.
	for _, tc := range []struct {
		key string
		d   types.MetadataDirective
	}{{frame, types.MetadataDirectiveCopy}, {"copy.dpx", types.MetadataDirectiveCopy}, {"default.dpx", ""}} {
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String(tc.key),
			CopySource: aws.String("src/" + frame), MetadataDirective: tc.d,
			ContentType: aws.String("text/plain"), Metadata: map[string]string{"ignored": "yes"}}); err != nil {
			t.Fatal(err)
		}
		want("dst", tc.key, seeded)
	}
	// REPLACE: the request's headers, nothing of the source's.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced.dpx"),
		CopySource: aws.String("src/" + frame), MetadataDirective: types.MetadataDirectiveReplace,
		ContentType: aws.String("text/plain"), CacheControl: aws.String("no-cache"), Metadata: map[string]string{"Show": "s01"}}); err != nil {
		t.Fatal(err)
	}
	replaced := headers{ctype: "text/plain", std: map[string]string{"Cache-Control": "no-cache"}, md: map[string]string{"show": "s01"}}
	want("dst", "replaced.dpx", replaced)
	// REPLACE without headers: S3's defaults.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("bare.dpx"),
		CopySource: aws.String("src/" + frame), MetadataDirective: types.MetadataDirectiveReplace}); err != nil {
		t.Fatal(err)
	}
	want("dst", "bare.dpx", headers{ctype: "binary/octet-stream"})
	// A copy of a copy keeps what the first one has.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("again.dpx"),
		CopySource: aws.String("dst/replaced.dpx")}); err != nil {
		t.Fatal(err)
	}
	want("dst", "again.dpx", replaced)

	// Multipart: the headers of CreateMultipartUpload, not the part source's.
	for _, tc := range []struct {
		key string
		w   headers
	}{{"mp-kept.dpx", seeded}, {"mp-bare.dpx", headers{ctype: "binary/octet-stream"}}} {
		in := &s3.CreateMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String(tc.key), Metadata: tc.w.md}
		if tc.w.ctype != "binary/octet-stream" {
			in.ContentType = aws.String(tc.w.ctype)
		}
		if v, ok := tc.w.std["Cache-Control"]; ok {
			in.CacheControl = aws.String(v)
		}
		if v, ok := tc.w.std["Content-Disposition"]; ok {
			in.ContentDisposition = aws.String(v)
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
		want("dst", tc.key, tc.w)
	}
}

func TestMetaFromDropsChunkedEncoding(t *testing.T) {
	for in, want := range map[string]string{"aws-chunked": "", "gzip,aws-chunked": "gzip", "gzip": "gzip", "": ""} {
		h := http.Header{}
		if in != "" {
			h.Set("Content-Encoding", in)
		}
		if got := metaFrom(h).headers["Content-Encoding"]; got != want {
			t.Errorf("Content-Encoding %q: kept %q, want %q", in, got, want)
		}
	}
}
