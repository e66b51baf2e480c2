package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// report is the part of backfill's --report file the demo shows.
type report struct {
	Listed          int64            `json:"listed"`
	Copied          int64            `json:"copied"`
	BytesCopied     int64            `json:"bytes_copied"`
	Skipped         map[string]int64 `json:"skipped"`
	Failed          map[string]int64 `json:"failed"`
	DurationSeconds float64          `json:"duration_seconds"`
	ExitCode        int              `json:"exit_code"`
	Interrupted     bool             `json:"interrupted"`
}

func readReport(file string) (*report, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse report %s: %w", file, err)
	}
	return &r, nil
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "  copied %d, skipped %s, failed %s, bytes_copied %s, duration %.1fs\n",
		r.Copied, countsText(r.Skipped), countsText(r.Failed), humanBytes(r.BytesCopied), r.DurationSeconds)
}

// countsText renders {"exists": 3} as "3 (exists 3)" and an empty map as "0".
func countsText(m map[string]int64) string {
	if len(m) == 0 {
		return "0"
	}
	var total int64
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		total += m[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// printCounts prints requests by S3 operation, most frequent first.
func printCounts(w io.Writer, counts map[string]int) {
	ops := slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	for _, op := range ops {
		fmt.Fprintf(w, "  %8d  %s\n", counts[op], op)
	}
}

// view is what HeadObject and GetObjectTagging say about one object.
type view struct {
	size, etag, contentType, cacheControl, contentDisposition, metadata, tags string
}

func fetchView(ctx context.Context, c *s3.Client, bucket, key string) (view, error) {
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return view{}, fmt.Errorf("head s3://%s/%s: %w", bucket, key, err)
	}
	t, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return view{}, fmt.Errorf("get tagging of s3://%s/%s: %w", bucket, key, err)
	}
	var meta, tags []string
	for _, k := range slices.Sorted(maps.Keys(h.Metadata)) {
		meta = append(meta, k+"="+h.Metadata[k])
	}
	for _, tag := range t.TagSet {
		tags = append(tags, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	slices.Sort(tags)
	return view{
		size:               sizeText(aws.ToInt64(h.ContentLength)),
		etag:               aws.ToString(h.ETag),
		contentType:        aws.ToString(h.ContentType),
		cacheControl:       aws.ToString(h.CacheControl),
		contentDisposition: aws.ToString(h.ContentDisposition),
		metadata:           strings.Join(meta, " "),
		tags:               strings.Join(tags, " "),
	}, nil
}

// compareObject prints source and replica of one object side by side and
// reports whether every field matches.
func compareObject(ctx context.Context, w io.Writer, c *s3.Client, srcBucket, dstBucket, key string) (bool, error) {
	src, err := fetchView(ctx, c, srcBucket, key)
	if err != nil {
		return false, err
	}
	dst, err := fetchView(ctx, c, dstBucket, key)
	if err != nil {
		return false, err
	}
	rows := []struct{ name, a, b string }{
		{"size", src.size, dst.size},
		{"ETag", src.etag, dst.etag},
		{"Content-Type", src.contentType, dst.contentType},
		{"Cache-Control", src.cacheControl, dst.cacheControl},
		{"Content-Disposition", src.contentDisposition, dst.contentDisposition},
		{"user metadata", src.metadata, dst.metadata},
		{"tags", src.tags, dst.tags},
	}
	fmt.Fprintf(w, "  %s\n", key)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "    \ts3://%s\ts3://%s\n", srcBucket, dstBucket)
	same := true
	for _, r := range rows {
		mark := "same"
		if r.a != r.b {
			mark, same = "DIFFERS", false
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", r.name, dash(r.a), dash(r.b), mark)
	}
	tw.Flush()
	return same, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// listing maps keys relative to a prefix to "size etag".
func listing(ctx context.Context, c *s3.Client, bucket, prefix string) (map[string]string, error) {
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out[strings.TrimPrefix(aws.ToString(o.Key), prefix)] = fmt.Sprintf("%d %s", aws.ToInt64(o.Size), aws.ToString(o.ETag))
		}
	}
	return out, nil
}

// diff lists the keys whose size or ETag differ, or that one side lacks.
func diff(src, dst map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(src)) {
		switch d, ok := dst[k]; {
		case !ok:
			out = append(out, "missing in replica: "+k)
		case d != src[k]:
			out = append(out, fmt.Sprintf("differs: %s (primary %s, replica %s)", k, src[k], d))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(dst)) {
		if _, ok := src[k]; !ok {
			out = append(out, "only in replica: "+k)
		}
	}
	return out
}

func sizeText(n int64) string { return fmt.Sprintf("%d B (%s)", n, humanBytes(n)) }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= MiB:
		return fmt.Sprintf("%.1f MiB", float64(n)/MiB)
	case n >= KiB:
		return fmt.Sprintf("%.1f KiB", float64(n)/KiB)
	}
	return fmt.Sprintf("%d B", n)
}
