package main

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/bench/internal/headers"
)

// object is what the check compares of a source and its copy: the size,
// and what a copy in parts does not carry by itself (UploadPartCopy copies
// bytes only): the Content-Type, the user metadata and the tags.
type object struct {
	size        int64
	contentType string
	cacheCtl    string
	disposition string
	metadata    map[string]string
	tags        map[string]string
}

// describe lists bucket and asks HeadObject and GetObjectTagging of each
// object in it, directly to versitygw (not through the proxy, so the tools'
// request counts stay theirs).
func describe(ctx context.Context, c *s3.Client, bucket string) (map[string]object, error) {
	m := map[string]object{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			if err != nil {
				return nil, fmt.Errorf("head s3://%s/%s: %w", bucket, k, err)
			}
			t, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			if err != nil {
				return nil, fmt.Errorf("get the tags of s3://%s/%s: %w", bucket, k, err)
			}
			tags := map[string]string{}
			for _, tg := range t.TagSet {
				tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
			m[k] = object{size: aws.ToInt64(h.ContentLength), contentType: aws.ToString(h.ContentType), cacheCtl: aws.ToString(h.CacheControl),
				disposition: aws.ToString(h.ContentDisposition), metadata: h.Metadata, tags: tags}
		}
	}
	return m, nil
}

// The seeded objects' headers. The Content-Type has a parameter no type
// guesser adds, so a tool that sets one from the file name instead of
// copying it shows; the Content-Disposition names each object's own file.
const (
	contentType  = "video/quicktime; codecs=apch"
	cacheControl = "private, max-age=86400"
)

// seededWrong says what is wrong with the seeded source as the server
// serves it ("" when all is well): the check compares only what is there.
func seededWrong(src map[string]object, n int) string {
	if len(src) != n {
		return fmt.Sprintf("%d objects listed, %d seeded", len(src), n)
	}
	for k, o := range src {
		if o.contentType != contentType || o.cacheCtl != cacheControl || !strings.Contains(o.disposition, path.Base(k)) ||
			o.metadata["origin"] != "bench" || o.metadata["reel"] == "" || o.tags["show"] != "bench" || o.tags["reel"] != o.metadata["reel"] {
			return fmt.Sprintf("%s: Content-Type %q, Cache-Control %q, Content-Disposition %q, metadata %v, tags %v",
				k, o.contentType, o.cacheCtl, o.disposition, o.metadata, o.tags)
		}
	}
	return ""
}

// differences says how replica falls short of src ("" when it holds every
// object with its size, Content-Type, user metadata and tags). A copy that
// lost a metadata key or tag, or has another value for one, falls short;
// keys it has beyond its source's (rclone adds "mtime" when it sets a
// modification time) are reported in gained, not failed, as in bench/peers.
func differences(src, replica map[string]object) (why, gained string) {
	var diffs, extra []string
	for _, k := range slices.Sorted(maps.Keys(src)) {
		s := src[k]
		r, ok := replica[k]
		switch {
		case !ok:
			diffs = append(diffs, k+" missing")
		case r.size != s.size:
			diffs = append(diffs, fmt.Sprintf("%s: %d bytes, not %d", k, r.size, s.size))
		case r.contentType != s.contentType:
			diffs = append(diffs, fmt.Sprintf("%s: Content-Type %q, not %q", k, r.contentType, s.contentType))
		case r.cacheCtl != s.cacheCtl || r.disposition != s.disposition:
			diffs = append(diffs, fmt.Sprintf("%s: Cache-Control %q and Content-Disposition %q, not %q and %q",
				k, r.cacheCtl, r.disposition, s.cacheCtl, s.disposition))
		case !headers.Kept(s.metadata, r.metadata):
			diffs = append(diffs, fmt.Sprintf("%s: metadata %v, not %v", k, r.metadata, s.metadata))
		case !headers.Kept(s.tags, r.tags):
			diffs = append(diffs, fmt.Sprintf("%s: tags %v, not %v", k, r.tags, s.tags))
		default:
			for _, mk := range headers.Gained(s.metadata, r.metadata) {
				extra = append(extra, k+": metadata "+mk)
			}
			for _, tk := range headers.Gained(s.tags, r.tags) {
				extra = append(extra, k+": tag "+tk)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(replica)) {
		if _, ok := src[k]; !ok {
			diffs = append(diffs, k+" is not in the source")
		}
	}
	return shorten(diffs), shorten(extra)
}

func shorten(s []string) string {
	if len(s) > 2 {
		s = append(s[:2], fmt.Sprintf("and %d more", len(s)-2))
	}
	return strings.Join(s, "; ")
}

func completeText(complete bool, why, gained string) string {
	switch {
	case !complete:
		return "no: " + why
	case gained != "":
		return "yes; gained " + gained
	}
	return "yes"
}
