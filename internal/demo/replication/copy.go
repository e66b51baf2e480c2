package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func (w *world) copyArgs(cmd string, extra ...string) []string {
	return append([]string{cmd, "--from", "s3://" + srcBucket + "/" + prefix, "--to", "s3://" + dstBucket + "/" + prefix,
		"--endpoint-url", w.srv.Endpoint}, extra...)
}

// backfill is step 4: plan, then copy while a writer works, then the
// demo's own key-by-key comparison.
func (w *world) backfill(ctx context.Context) error {
	before, err := listing(ctx, w.c, dstBucket, prefix)
	if err != nil {
		return err
	}
	step("The replica before the backfill")
	fmt.Printf("  %d objects in s3://%s/%s: live replication covers only what is written after the rule\n", len(before), dstBucket, prefix)

	step("backfill plan: the existing media, and what copying them takes")
	if _, err := w.backfill1(ctx, 0, w.copyArgs("plan")...); err != nil {
		return err
	}
	step("backfill copy, while a writer adds and overwrites media (live replication delivers those)")
	wr := startWriter(ctx, w.c)
	_, copyErr := w.backfill1(ctx, 0, w.copyArgs("copy", "--checkpoint", filepath.Join(w.tmp, "backfill.db"), "--no-progress")...)
	written, overwritten, werr := wr.stop()
	if copyErr != nil {
		return copyErr
	}
	if werr != nil {
		return fmt.Errorf("writer: %w", werr)
	}
	fmt.Printf("\n  meanwhile the writer added %d media objects and overwrote %d\n", written, overwritten)
	start := time.Now()
	if err := waitReplicated(ctx, w.c, wr.keys()); err != nil {
		return err
	}
	fmt.Printf("  live replication delivered all of them (COMPLETED on the primary) %s after the writer stopped\n",
		time.Since(start).Round(10*time.Millisecond))
	return w.compare(ctx)
}

// compare lists both buckets and wants the same keys with the same ETags.
func (w *world) compare(ctx context.Context) error {
	step("Comparing the two buckets key by key (the demo's own check)")
	src, err := listing(ctx, w.c, srcBucket, prefix)
	if err != nil {
		return err
	}
	dst, err := listing(ctx, w.c, dstBucket, prefix)
	if err != nil {
		return err
	}
	var diffs []string
	for k, e := range src {
		if d, ok := dst[k]; !ok {
			diffs = append(diffs, "missing in the replica: "+k)
		} else if d != e {
			diffs = append(diffs, "different ETag: "+k)
		}
	}
	for k := range dst {
		if _, ok := src[k]; !ok {
			diffs = append(diffs, "only in the replica: "+k)
		}
	}
	if len(diffs) > 0 {
		for _, d := range diffs[:min(len(diffs), 20)] {
			fmt.Println("  " + d)
		}
		return fmt.Errorf("the replica differs from the primary in %d keys", len(diffs))
	}
	fmt.Printf("  the replica equals the primary: %d keys, same ETags\n", len(src))
	return nil
}

// verifyArgs is how the demo calls backfill verify: --from and --to as
// copy takes them; exit 0 when the replica is whole, 3 when it differs
// (naming the first differences), --fix to repair them. The demo's media
// are minutes old: --min-age 0s compares them all (a site gives the delay
// setup check recommends, and the newest media count as too new).
func (w *world) verifyArgs(extra ...string) []string {
	return w.copyArgs("verify", append([]string{"--min-age", "0s"}, extra...)...)
}

// verify is step 5.
func (w *world) verify(ctx context.Context) error {
	step("backfill verify: is the replica whole?")
	if _, err := w.backfill1(ctx, 0, w.verifyArgs()...); err != nil {
		return err
	}
	victim := firstThumbnail()
	step("Deleting one replica object by hand: s3://" + dstBucket + "/" + victim)
	if _, err := w.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(dstBucket), Key: aws.String(victim)}); err != nil {
		return err
	}
	step("backfill verify: it names the missing object (exit 3)")
	out, err := w.backfill1(ctx, 3, w.verifyArgs()...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, victim) {
		return fmt.Errorf("verify did not name %s", victim)
	}
	step("backfill verify --fix: it copies it back")
	if _, err := w.backfill1(ctx, 0, w.verifyArgs("--fix")...); err != nil {
		return err
	}
	step("backfill verify: whole again")
	_, err = w.backfill1(ctx, 0, w.verifyArgs()...)
	return err
}

// firstThumbnail is the key of a seeded thumbnail: one the backfill
// copied (not one live replication delivered).
func firstThumbnail() string {
	for _, m := range library(prefix, seedCount, rand.New(rand.NewPCG(2026, 22))) {
		if strings.Contains(m.key, "/thumbs/") {
			return m.key
		}
	}
	panic("demo: no thumbnail in the library")
}

// waitReplicated waits until every key is COMPLETED on the primary.
func waitReplicated(ctx context.Context, c *s3.Client, keys []string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for _, k := range keys {
		for {
			h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srcBucket), Key: aws.String(k)})
			if err == nil && (h.ReplicationStatus == "COMPLETED" || h.ReplicationStatus == "COMPLETE") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not replicated after 2 minutes (last: %v, status %v)", k, err, statusOf(h))
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

func statusOf(h *s3.HeadObjectOutput) string {
	if h == nil {
		return "none"
	}
	return string(h.ReplicationStatus)
}

// listing is key -> ETag of every object under prefix.
func listing(ctx context.Context, c *s3.Client, bucket, prefix string) (map[string]string, error) {
	m := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = aws.ToString(o.ETag)
		}
	}
	return m, nil
}

// teeTo writes to stdout and into b.
func teeTo(b *strings.Builder) io.Writer { return io.MultiWriter(os.Stdout, b) }
