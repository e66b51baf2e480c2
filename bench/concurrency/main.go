// Command concurrency measures backfill's copy throughput at several
// --concurrency values on a local versitygw behind the harness proxy with
// added latency, to choose the default (see BENCHMARKS.md).
//
//	go run ./bench/concurrency -objects 5000 -latency 25ms -levels 8,16,32,64,128,256 -runs 3
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/bench/internal/serverdir"
	"github.com/backfill-dev/backfill/bench/internal/stats"
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
	ab := flag.String("ab", "", "A/B mode: at the first level, alternate runs without and with these flags (each pair's order alternating) (e.g. --no-checkpoint) and compare")
	serverDir := flag.String("server-dir", "tmpfs", "where versitygw keeps its buckets: tmpfs (/dev/shm; the temporary folder when that is missing, too small or takes no user xattrs), disk (the temporary folder), or a folder")
	flag.Parse()

	ctx := context.Background()
	// The primary and one replica at a time (each is removed after its run),
	// objects of 34 KiB on average.
	need := uint64(*objects) * 2 * 34 << 10
	parent, where, err := serverdir.Parent(*serverDir, need, os.Stderr)
	if err != nil {
		return err
	}
	srv, proxy, stop, err := s3test.StartWithProxy(ctx, s3test.Options{TempParent: parent})
	if err != nil {
		return err
	}
	defer stop()
	serverdir.WarnStale(parent, filepath.Dir(srv.RootDir), os.Stderr)
	// On tmpfs the buckets are memory: an interrupted bench kills the
	// backfill it is running and removes them before it exits.
	var running atomic.Pointer[os.Process]
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "concurrency: %v: stopping backfill and versitygw, removing the buckets\n", sig)
		if p := running.Load(); p != nil {
			p.Kill() //nolint:errcheck // it may have just ended
		}
		stop()
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		os.Exit(code)
	}()
	fmt.Printf("versitygw's buckets: in %s\n\n", where)
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
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Start()
		if err == nil {
			running.Store(cmd.Process)
			err = cmd.Wait()
			running.Store(nil)
		}
		wall := time.Since(start).Seconds()
		// The replica's folder goes at once (outside the timing): on tmpfs
		// every replica kept would hold its objects in memory.
		if rerr := os.RemoveAll(filepath.Join(srv.RootDir, bucket)); rerr != nil {
			return 0, rerr
		}
		if err != nil {
			return 0, fmt.Errorf("%v: %s", err, out.String())
		}
		var rf struct{ Copied int }
		b, _ := os.ReadFile(rep)
		if err := json.Unmarshal(b, &rf); err != nil || rf.Copied != *objects {
			return 0, fmt.Errorf("run copied %d of %d (%v)", rf.Copied, *objects, err)
		}
		return wall, nil
	}
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
		for i := range *runs {
			// Each pair's order alternates, so neither side always runs first.
			var wa, wb float64
			var err error
			if i%2 == 0 {
				if wa, err = once(level, *extra); err == nil {
					wb, err = once(level, *extra+" "+*ab)
				}
			} else {
				if wb, err = once(level, *extra+" "+*ab); err == nil {
					wa, err = once(level, *extra)
				}
			}
			if err != nil {
				return err
			}
			a, b = append(a, wa), append(b, wb)
		}
		ma, mb := stats.Median(a), stats.Median(b)
		fmt.Println("| flags | median wall s | objects/s | runs (s), pair by pair |")
		fmt.Println("|---|---:|---:|---|")
		fmt.Printf("| %s | %.2f | %.0f | %s |\n", strings.TrimSpace("(default) "+*extra), ma, float64(*objects)/ma, stats.List(a, "%.2f"))
		fmt.Printf("| %s | %.2f | %.0f | %s |\n", strings.TrimSpace(*extra+" "+*ab), mb, float64(*objects)/mb, stats.List(b, "%.2f"))
		fmt.Printf("\ndefault / (%s) throughput: %.1f%%\n", *ab, 100*mb/ma)
		return nil
	}

	fmt.Printf("%d objects (4-64 KiB), %s added latency per request, %d runs per level (the levels take turns, one run each per round), extra flags %q\n\n", *objects, *latency, *runs, *extra)
	lv := strings.Split(*levels, ",")
	walls := make([][]float64, len(lv))
	for _, ls := range lv {
		if _, err := strconv.Atoi(ls); err != nil {
			return fmt.Errorf("-levels: %q is not a number", ls)
		}
	}
	// Round by round, so a drift in the machine's speed hits every level
	// alike instead of the levels measured last.
	for range *runs {
		for i, ls := range lv {
			w, err := once(ls, *extra)
			if err != nil {
				return err
			}
			walls[i] = append(walls[i], w)
		}
	}
	fmt.Println("| --concurrency | median wall s | objects/s | ideal conc/latency | runs (s) |")
	fmt.Println("|---:|---:|---:|---:|---|")
	for i, ls := range lv {
		n, _ := strconv.Atoi(ls)
		med := stats.Median(walls[i])
		fmt.Printf("| %d | %.2f | %.0f | %s | %s |\n", n, med, float64(*objects)/med, ideal(n), stats.List(walls[i], "%.2f"))
	}
	return nil
}
