// Command checkpoint measures backfill's checkpoint at scale: the file size
// per million done objects, and the time from starting `backfill copy` on a
// checkpoint holding a million done objects to its first CopyObject (the
// resume cost), on a local versitygw behind the harness proxy.
//
//	go run ./bench/checkpoint -objects 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3test"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "checkpoint bench:", err)
		os.Exit(1)
	}
}

func run() error {
	objects := flag.Int("objects", 1_000_000, "done objects in the checkpoint")
	bin := flag.String("backfill", "bin/backfill", "backfill binary")
	flag.Parse()
	binAbs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-cp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	srv, proxy, stop, err := s3test.StartWithProxy(ctx, s3test.Options{})
	if err != nil {
		return err
	}
	defer stop()
	for _, b := range []string{"primary", "replica"} {
		if err := srv.CreateBucket(ctx, b, false); err != nil {
			return err
		}
	}
	// The checkpoint a first run writes (spec and all), on an empty source.
	path := filepath.Join(dir, "backfill.db")
	copyCmd := func() *exec.Cmd {
		cmd := exec.Command(binAbs, "copy", "--from", "s3://primary", "--to", "s3://replica", "--no-progress",
			"--checkpoint", path, "--report", filepath.Join(dir, "report.json"))
		cmd.Env = srv.Env(proxy.URL())
		cmd.Dir = dir
		return cmd
	}
	if out, err := copyCmd().CombinedOutput(); err != nil {
		return fmt.Errorf("first run: %v: %s", err, out)
	}
	// The objects left to copy: after the watermark.
	c := srv.Client("")
	for i := range 10 {
		key := fmt.Sprintf("frames/f%09d.exr", *objects+i)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("primary"), Key: aws.String(key),
			Body: strings.NewReader("frame")}); err != nil {
			return err
		}
	}
	// Then what a run that copied `objects` objects leaves: one done record
	// per object, the root shard to be listed again (it only finds the
	// known frames/ folder) and frames/ with its watermark at the last done key.
	t0 := time.Now()
	cp, err := checkpoint.Open(path, checkpoint.Options{})
	if err != nil {
		return err
	}
	b := checkpoint.NewBatch()
	lm := time.Now().Add(-24 * time.Hour)
	for i := range *objects {
		b.Put(fmt.Sprintf("frames/f%09d.exr", i), "", checkpoint.Record{State: checkpoint.Done,
			ETag: fmt.Sprintf(`"%032x"`, i*2654435761), Size: int64(4096 + i%60000), LastModified: lm, When: time.Now()})
		if b.Len() == 10_000 {
			if err := cp.Apply(b); err != nil {
				return err
			}
		}
	}
	b.PutShard(checkpoint.Shard{Prefix: "", Depth: 0, Watermark: "", Complete: false})
	b.PutShard(checkpoint.Shard{Prefix: "frames/", Depth: 1, Watermark: fmt.Sprintf("frames/f%09d.exr", *objects-1)})
	if err := cp.Apply(b); err != nil {
		return err
	}
	if err := cp.Close(); err != nil {
		return err
	}
	build := time.Since(t0)
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}

	proxy.Reset()
	cmd := copyCmd()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	total := time.Since(start)
	var first time.Time
	for _, r := range proxy.Requests() {
		if r.Op == "CopyObject" {
			first = r.Time
			break
		}
	}
	if first.IsZero() {
		return fmt.Errorf("no CopyObject was made: %s", out)
	}
	fmt.Printf("checkpoint with %d done objects: %.1f MB (%.0f bytes/object, %.1f MB per million); written in %s by 10,000-record batches\n",
		*objects, float64(fi.Size())/1e6, float64(fi.Size())/float64(*objects), float64(fi.Size())/float64(*objects)*1e6/1e6, build.Round(time.Millisecond))
	fmt.Printf("resume: start of `backfill copy` to its first CopyObject: %s (whole run of 10 objects: %s); requests: %v\n",
		first.Sub(start).Round(time.Millisecond), total.Round(time.Millisecond), proxy.Counts())
	return nil
}
