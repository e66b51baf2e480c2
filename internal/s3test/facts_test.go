package s3test

// These tests record what versitygw v1.8.0 does with the things backfill
// relies on; doc.go summarises the findings.

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func listKeys(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	var keys []string
	pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for pg.HasMorePages() {
		out, err := pg.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Contents {
			keys = append(keys, *o.Key)
		}
	}
	return keys
}

// TestFactKeys: versitygw keeps keys with spaces, '+', '%', "%25", '?#&',
// unicode (NFC and NFD bytes as sent) and a 1024-byte key of several segments
// exactly, through the proxy too. It cleans keys like file paths: "a//b" is
// stored and listed as "a/b" (GET "a//b" still finds it), "a/./b" -> "a/b",
// "a/../b" -> "b", "/lead" -> "lead"; "." and "../x" get 400. One segment over
// 255 bytes is refused with KeyTooLongError.
func TestFactKeys(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	p := s.NewProxy(t)
	c := s.Client(p.URL()) // through the proxy: escaping must survive it and signing
	long := strings.Repeat(strings.Repeat("s", 199)+"/", 5) + strings.Repeat("e", 24)
	if len(long) != 1024 {
		t.Fatalf("long key is %d bytes", len(long))
	}
	listedAs := map[string]string{
		"with space.txt": "", "plus+sign": "", "per%cent": "", "100%25": "", "x?y#z&w=1": "",
		"unicodé/日本語/ü.mov": "", "nfd-e\u0301": "", long: "",
		"a//b": "a/b", // versitygw cleans the path; real S3 keeps "a//b"
	}
	var want []string
	for k, as := range listedAs {
		put(t, c, b, k, "body of "+k[:min(len(k), 20)])
		if as == "" {
			as = k
		}
		want = append(want, as)
	}
	slices.Sort(want)
	if got := listKeys(t, c, b); !slices.Equal(got, want) {
		t.Fatalf("listed %q, want %q", got, want)
	}
	for k := range listedAs {
		if body := get(t, c, b, k); body != "body of "+k[:min(len(k), 20)] {
			t.Errorf("GetObject %q = %q", k, body)
		}
	}
	for _, r := range p.Requests() {
		if _, ok := listedAs[r.Key]; r.Op == "PutObject" && !ok {
			t.Errorf("proxy saw key %q", r.Key)
		}
	}
	t.Log(`"a//b" is listed as "a/b"`)
}

// TestFactListOrder: ListObjectsV2 returns byte order (also across pages),
// e.g. "a-c" < "a.b/x" < "a/b" < "a0", not a directory walk order. The posix
// backend cannot hold both "a" and "a/b": whichever comes second is refused
// with 409 (ExistingObjectIsDirectory or ObjectParentIsFile).
func TestFactListOrder(t *testing.T) {
	s := Shared(t)
	c := s.ClientWith("", noRetry)
	for _, keys := range [][]string{
		{"a-c", "a/b", "a0", "a.b/x", "a"},
		{"x-1", "x/y", "x0", "x/y-z", "x/y0", "x.a/b", "x/a", "x~", "x ", "x\u00e9", "xZ"},
	} {
		b := s.NewBucket(t, false)
		var stored []string
		for _, k := range keys {
			_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &b, Key: aws.String(k), Body: strings.NewReader(k)})
			if err != nil {
				t.Logf("PutObject %q refused: %s %d", k, apiCode(err), status(err))
				continue
			}
			stored = append(stored, k)
		}
		slices.Sort(stored)
		got := listKeys(t, c, b)
		var paged []string
		pg := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(2)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out.Contents {
				paged = append(paged, *o.Key)
			}
		}
		t.Logf("ListObjectsV2 order %q; byte order %q", got, stored)
		if !slices.Equal(got, stored) || !slices.Equal(paged, stored) {
			t.Errorf("order %q (paged %q) is not byte order %q", got, paged, stored)
		}
	}
}

// TestFactCopy: CopyObject with a mismatching x-amz-copy-source-if-match gets
// 412 PreconditionFailed; MetadataDirective COPY keeps user metadata and
// Content-Type/-Disposition/-Encoding/-Language and Cache-Control, and
// TaggingDirective COPY keeps the tags; the source's checksum (SHA256 here)
// is carried over unless the copy asks for another algorithm. If-None-Match: *
// on CopyObject is ignored (the copy overwrites). StorageClass STANDARD,
// STANDARD_IA, GLACIER and DEEP_ARCHIVE are all accepted on PutObject and
// CopyObject but ignored: HeadObject and ListObjectsV2 always say STANDARD.
func TestFactCopy(t *testing.T) {
	s := Shared(t)
	b := s.NewBucket(t, false)
	c := s.ClientWith("", noRetry)
	ctx := context.Background()
	meta := map[string]string{"shot": "010", "artist": "Ann"}
	put(t, c, b, "src", "data", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("video/mp4")
		in.CacheControl = aws.String("max-age=60")
		in.ContentDisposition = aws.String(`attachment; filename="a.mp4"`)
		in.ContentEncoding = aws.String("identity")
		in.ContentLanguage = aws.String("fr")
		in.Metadata = meta
		in.Tagging = aws.String("stage=final&team=fx")
		in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256
	})
	src, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("src"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("bad"), CopySource: aws.String(b + "/src"),
		CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
	if apiCode(err) != "PreconditionFailed" || status(err) != 412 {
		t.Errorf("copy-source-if-match mismatch: %v", err)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("good"), CopySource: aws.String(b + "/src"),
		CopySourceIfMatch: src.ETag, MetadataDirective: types.MetadataDirectiveCopy, TaggingDirective: types.TaggingDirectiveCopy})
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("good"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]*string{
		"Content-Type": {h.ContentType, src.ContentType}, "Cache-Control": {h.CacheControl, src.CacheControl},
		"Content-Disposition": {h.ContentDisposition, src.ContentDisposition}, "Content-Encoding": {h.ContentEncoding, src.ContentEncoding},
		"Content-Language": {h.ContentLanguage, src.ContentLanguage}, "ETag": {h.ETag, src.ETag},
		"x-amz-checksum-sha256": {h.ChecksumSHA256, src.ChecksumSHA256},
	} {
		if aws.ToString(pair[0]) != aws.ToString(pair[1]) || aws.ToString(pair[1]) == "" {
			t.Errorf("%s: copy %q, source %q", name, aws.ToString(pair[0]), aws.ToString(pair[1]))
		}
	}
	if !maps.Equal(h.Metadata, meta) {
		t.Errorf("metadata %v", h.Metadata)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &b, Key: aws.String("good")})
	if err != nil {
		t.Fatal(err)
	}
	if got := tagMap(tags.TagSet); !maps.Equal(got, map[string]string{"stage": "final", "team": "fx"}) {
		t.Errorf("tags %v", got)
	}

	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("good"), CopySource: aws.String(b + "/src"),
		IfNoneMatch: aws.String("*")})
	t.Logf("CopyObject If-None-Match: * onto an existing key: err %v (status %d)", err, status(err))

	for _, sc := range []types.StorageClass{types.StorageClassStandard, types.StorageClassStandardIa, types.StorageClassGlacier, types.StorageClassDeepArchive} {
		key := "sc-" + string(sc)
		_, cerr := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: &key, CopySource: aws.String(b + "/src"), StorageClass: sc})
		_, perr := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("put-" + string(sc)), Body: strings.NewReader("x"), StorageClass: sc})
		var got types.StorageClass
		if cerr == nil {
			h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			got = h.StorageClass
		}
		t.Logf("StorageClass %s: CopyObject err %v -> HeadObject says %q; PutObject err %v", sc, cerr, got, perr)
	}
}

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, tg := range ts {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func status(err error) int {
	var re interface{ HTTPStatusCode() int }
	if err != nil && errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
