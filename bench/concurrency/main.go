// Command concurrency measures backfill's copy throughput at several
// --concurrency values on a local versitygw behind the harness proxy with
// added latency, to choose the default (see BENCHMARKS.md).
//
//	go run ./bench/concurrency -objects 5000 -latency 25ms -levels 8,16,32,64,128,256 -runs 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/internal/s3test"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "concurrency:", err)
		os.Exit(1)
	}
}

func run() error {
	objects := flag.Int("objects", 5000, "objects to seed")
	latency := flag.Duration("latency", 25*time.Millisecond, "added latency per request")
	levels := flag.String("levels", "8,16,32,64,128,256", "concurrency values")
	runs := flag.Int("runs", 3, "runs per level (median reported)")
	bin := flag.String("backfill", "bin/backfill", "backfill binary (absolute or relative to the working directory)")
	extra := flag.String("args", "", "extra backfill flags, space-separated (e.g. --no-checkpoint)")
	ab := flag.String("ab", "", "A/B mode: at the first level, alternate runs without and with these flags (e.g. --no-checkpoint) and compare")
	flag.Parse()

	ctx := context.Background()
	srv, proxy, stop, err := s3test.StartWithProxy(ctx, s3test.Options{})
	if err != nil {
		return err
	}
	defer stop()
	c := srv.Client("")
	if err := srv.CreateBucket(ctx, "primary", false); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range *objects {
		g.Go(func() error {
			size := 4096 + (i*7919)%(60*1024)
			_, err := c.PutObject(gctx, &s3.PutObjectInput{Bucket: aws.String("primary"),
				Key:  aws.String(fmt.Sprintf("show/shot%02d/frame.%05d.exr", i%20, i)),
				Body: strings.NewReader(strings.Repeat("x", size))})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	proxy.SetLatency(*latency)
	dir, err := os.MkdirTemp("", "bench-conc-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	seq := 0
	once := func(level string, flags string) (float64, error) {
		seq++
		bucket := fmt.Sprintf("replica-%d", seq)
		if err := srv.CreateBucket(ctx, bucket, false); err != nil {
			return 0, err
		}
		rep := filepath.Join(dir, bucket+".json")
		args := []string{"copy", "--from", "s3://primary", "--to", "s3://" + bucket, "--no-progress",
			"--concurrency", level, "--report", rep}
		if !strings.Contains(flags, "--no-checkpoint") {
			args = append(args, "--checkpoint", filepath.Join(dir, bucket+".db"))
		}
		args = append(args, strings.Fields(flags)...)
		cmd := exec.Command(*bin, args...)
		cmd.Env = srv.Env(proxy.URL())
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%v: %s", err, out)
		}
		wall := time.Since(start).Seconds()
		var rf struct{ Copied int }
		b, _ := os.ReadFile(rep)
		if err := json.Unmarshal(b, &rf); err != nil || rf.Copied != *objects {
			return 0, fmt.Errorf("run copied %d of %d (%v)", rf.Copied, *objects, err)
		}
		return wall, nil
	}
	median := func(v []float64) float64 { sort.Float64s(v); return v[len(v)/2] }
	ideal := func(n int) string {
		if *latency > 0 {
			return fmt.Sprintf("%.0f", float64(n)/latency.Seconds())
		}
		return "-"
	}

	if *ab != "" {
		level := strings.Split(*levels, ",")[0]
		fmt.Printf("%d objects (4-64 KiB), %s added latency per request, --concurrency %s, %d alternating runs each\n\n", *objects, *latency, level, *runs)
		var a, b []float64
		for range *runs {
			wa, err := once(level, *extra)
			if err != nil {
				return err
			}
			wb, err := once(level, *extra+" "+*ab)
			if err != nil {
				return err
			}
			a, b = append(a, wa), append(b, wb)
		}
		ma, mb := median(a), median(b)
		fmt.Println("| flags | median wall s | objects/s |")
		fmt.Println("|---|---:|---:|")
		fmt.Printf("| %s | %.2f | %.0f |\n", strings.TrimSpace("(default) "+*extra), ma, float64(*objects)/ma)
		fmt.Printf("| %s | %.2f | %.0f |\n", strings.TrimSpace(*extra+" "+*ab), mb, float64(*objects)/mb)
		fmt.Printf("\ndefault / (%s) throughput: %.1f%%\n", *ab, 100*mb/ma)
		return nil
	}

	fmt.Printf("%d objects (4-64 KiB), %s added latency per request, %d runs per level, extra flags %q\n\n", *objects, *latency, *runs, *extra)
	fmt.Println("| --concurrency | median wall s | objects/s | ideal conc/latency |")
	fmt.Println("|---:|---:|---:|---:|")
	for _, ls := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(ls)
		if err != nil {
			return err
		}
		var walls []float64
		for range *runs {
			w, err := once(ls, *extra)
			if err != nil {
				return err
			}
			walls = append(walls, w)
		}
		med := median(walls)
		fmt.Printf("| %d | %.2f | %.0f | %s |\n", n, med, float64(*objects)/med, ideal(n))
	}
	return nil
}
