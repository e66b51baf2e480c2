package s3sim

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func client(s *Sim) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		UsePathStyle: true,
		Retryer:      aws.NopRetryer{},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDSIM", SecretAccessKey: "secret"}, nil
		}),
	})
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// frames: 3 shows x 4 episodes x 250 frames, plus odd keys.
var odd = []string{"a b+c%d/x.txt", "naïve/ü.dpx", "q?x=1&y=<2>", "z/"}

func seed(t *testing.T, s *Sim) []string {
	var keys []string
	for sh := range 3 {
		for ep := range 4 {
			for f := range 250 {
				keys = append(keys, fmt.Sprintf("shows/s%02d/e%02d/frames/%06d.dpx", sh, ep, f))
			}
		}
	}
	keys = append(keys, odd...)
	if err := s.Seed("src", len(keys), func(i int) (string, int64) { return keys[len(keys)-1-i], int64(i) * 1000 }); err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestListHeadCopy(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys := seed(t, s)
	c, ctx := client(s), context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("dst")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("dst")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("nope")}); err == nil {
		t.Fatal("HeadBucket of a missing bucket succeeded")
	}

	// Whole listing, small pages, URL-encoded: every key, in order, decoded back.
	var got []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("src"), MaxKeys: aws.Int32(217), EncodingType: types.EncodingTypeUrl})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if out.EncodingType != types.EncodingTypeUrl {
			t.Fatalf("EncodingType %q", out.EncodingType)
		}
		for _, o := range out.Contents {
			k, err := url.QueryUnescape(aws.ToString(o.Key))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, k)
		}
	}
	if len(got) != len(keys) {
		t.Fatalf("listed %d keys, seeded %d", len(got), len(keys))
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("unsorted: %q after %q", got[i], got[i-1])
		}
	}

	// Delimiter listing: folders, paged one at a time; start-after.
	var prefixes []string
	p = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("src"), Prefix: aws.String("shows/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, cp := range out.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	if strings.Join(prefixes, ",") != "shows/s00/,shows/s01/,shows/s02/" {
		t.Fatalf("common prefixes %v", prefixes)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("src"), Prefix: aws.String("shows/s01/e03/"),
		StartAfter: aws.String("shows/s01/e03/frames/000247.dpx")})
	if err != nil || len(out.Contents) != 2 || aws.ToInt32(out.KeyCount) != 2 {
		t.Fatalf("start-after: %v %+v", err, out)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("src"), Delimiter: aws.String("/"), Marker: aws.String("naïve/")})
	if err != nil || len(v1.CommonPrefixes) != 2 || len(v1.Contents) != 1 { // shows/, z/; q?x=...
		t.Fatalf("ListObjects v1: %v %+v", err, v1)
	}

	// Head
	src, _ := s.Lookup("src", "a b+c%d/x.txt")
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("src"), Key: aws.String("a b+c%d/x.txt")})
	if err != nil || aws.ToString(h.ETag) != src.ETag || aws.ToInt64(h.ContentLength) != src.Size {
		t.Fatalf("HeadObject: %v %+v", err, h)
	}
	var nf *types.NotFound
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("src"), Key: aws.String("missing")}); !errors.As(err, &nf) {
		t.Fatalf("HeadObject missing: %v", err)
	}

	// Copy: URL-encoded source with ?versionId=null, if-match right and wrong, concurrent copies.
	for _, k := range odd {
		o, _ := s.Lookup("src", k)
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("r/" + k),
			CopySource: aws.String("src/" + url.PathEscape(k) + "?versionId=null"), CopySourceIfMatch: aws.String(o.ETag),
			MetadataDirective: types.MetadataDirectiveCopy})
		if err != nil {
			t.Fatalf("copy %q: %v", k, err)
		}
		if d, ok := s.Lookup("dst", "r/"+k); !ok || d.ETag != o.ETag || d.Size != o.Size {
			t.Fatalf("copy of %q is %+v, source %+v", k, d, o)
		}
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"),
		CopySource: aws.String("src/z/"), CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	if code(err) != "PreconditionFailed" {
		t.Fatalf("copy with a wrong if-match: %v", err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/missing")})
	if code(err) != "NoSuchKey" {
		t.Fatalf("copy of a missing key: %v", err)
	}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			for _, k := range keys[i*40 : i*40+40] {
				if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String(k), CopySource: aws.String("src/" + k)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := s.Len("dst"); n != 64*40+len(odd) {
		t.Fatalf("dst holds %d objects", n)
	}
	if n := s.Counts()["CopyObject"]; n != int64(64*40+len(odd)+2) {
		t.Fatalf("CopyObject count %d", n)
	}

	// The written layer lists like the seeded one: every key once, in order.
	listed, prev := 0, ""
	p = s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("dst"), MaxKeys: aws.Int32(333)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			if k := aws.ToString(o.Key); k <= prev {
				t.Fatalf("dst listing: %q after %q", k, prev)
			} else {
				prev = k
			}
			listed++
		}
	}
	if listed != s.Len("dst") {
		t.Fatalf("dst listing: %d keys, %d objects", listed, s.Len("dst"))
	}

	// Put and Get (range), Delete.
	body := []byte("hello, simulator")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("dst"), Key: aws.String("p"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Lookup("dst", "p"); o.ETag != fmt.Sprintf(`"%x"`, md5.Sum(body)) || o.Size != int64(len(body)) {
		t.Fatalf("put object: %+v", o)
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("dst"), Key: aws.String("p"), Range: aws.String("bytes=3-9")})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(g.Body); len(b) != 7 {
		t.Fatalf("ranged get: %d bytes", len(b))
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("src"), Key: aws.String("z/")}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Lookup("src", "z/"); ok || s.Len("src") != len(keys)-1 {
		t.Fatal("delete of a seeded object")
	}
}

func TestMultipartCopy(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const size = 6<<30 + 1
	if err := s.Seed("src", 1, func(int) (string, int64) { return "big/reel.mov", size }); err != nil {
		t.Fatal(err)
	}
	s.CreateBucket("dst")
	c, ctx := client(s), context.Background()
	src, _ := s.Lookup("src", "big/reel.mov")
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("k"), CopySource: aws.String("src/big/reel.mov")})
	if code(err) != "InvalidRequest" {
		t.Fatalf("CopyObject over 5 GiB: %v", err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String("big/reel.mov")})
	if err != nil {
		t.Fatal(err)
	}
	const part = 3 << 30
	var parts []types.CompletedPart
	for i := range int64(3) {
		last := min((i+1)*part, size) - 1
		out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String("big/reel.mov"),
			UploadId: up.UploadId, PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("/src/big/reel.mov"),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", i*part, last)), CopySourceIfMatch: aws.String(src.ETag)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("dst"), Key: aws.String("big/reel.mov"),
		UploadId: up.UploadId, PartNumber: aws.Int32(4), CopySource: aws.String("src/big/reel.mov"),
		CopySourceRange: aws.String("bytes=0-9"), CopySourceIfMatch: aws.String(`"00000000000000000000000000000000"`)})
	if code(err) != "PreconditionFailed" {
		t.Fatalf("part with a wrong if-match: %v", err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("dst"), Key: aws.String("big/reel.mov"), UploadId: up.UploadId})
	if err != nil || len(lp.Parts) != 3 {
		t.Fatalf("ListParts: %v %+v", err, lp)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("dst")})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(up.UploadId) {
		t.Fatalf("ListMultipartUploads: %v %+v", err, lu)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String("big/reel.mov"),
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}
	h := md5.New()
	for _, p := range parts {
		sum, _, _ := parseETag(aws.ToString(p.ETag))
		h.Write(sum[:])
	}
	want := fmt.Sprintf(`"%x-3"`, h.Sum(nil))
	if o, ok := s.Lookup("dst", "big/reel.mov"); !ok || o.Size != size || o.ETag != want {
		t.Fatalf("completed object %+v, want size %d ETag %s", o, size, want)
	}

	// Abort: the upload is gone, its ListParts NoSuchUpload.
	up2, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String("k2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("dst"), Key: aws.String("k2"), UploadId: up2.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("dst"), Key: aws.String("k2"), UploadId: up2.UploadId})
	if code(err) != "NoSuchUpload" {
		t.Fatalf("ListParts after abort: %v", err)
	}
}

func TestSlowDown(t *testing.T) {
	s, err := Start(Options{WriteRate: 5}) // burst: 5
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Seed("src", 20, func(i int) (string, int64) { return fmt.Sprintf("a/%02d", i), 1 }); err != nil {
		t.Fatal(err)
	}
	s.CreateBucket("dst")
	c, ctx := client(s), context.Background()
	slow := 0
	for i := range 20 {
		k := fmt.Sprintf("a/%02d", i)
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String(k), CopySource: aws.String("src/" + k)})
		switch code(err) {
		case "":
		case "SlowDown":
			slow++
		default:
			t.Fatal(err)
		}
	}
	// Another prefix has its own bucket; reads are not limited.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("b/x"), CopySource: aws.String("src/a/00")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("a/00")}); err != nil {
		t.Fatal(err)
	}
	if slow < 13 || slow > 15 || int64(slow) != s.SlowDowns() || s.Errors()["SlowDown"] != int64(slow) {
		t.Fatalf("%d SlowDown answers of 20 at 5/s (burst 5), sim counted %d", slow, s.SlowDowns())
	}
}
