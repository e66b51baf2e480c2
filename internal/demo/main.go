// Command demo shows backfill at work against a real S3 server on loopback.
//
// It starts versitygw (internal/s3test) behind a proxy that adds a little
// latency and counts requests by S3 operation, creates the buckets "primary"
// and "replica", seeds "primary" with a few thousand sample media objects of
// a studio (EXR frames, JPEG thumbnails, QuickTime movies, JSON sidecars, with
// content headers, user metadata, tags and a few awkward keys), and then:
//
//  1. runs ./bin/backfill copy from s3://primary/shows to s3://replica/shows,
//     with its progress bar on the terminal, interrupts it (Ctrl-C) when
//     about 40% is copied, and runs the same command again, which resumes
//     from its checkpoint and copies only the rest;
//  2. prints each run's report and the requests it made (one CopyObject per
//     object copied over both runs, no HeadObject per object);
//  3. shows a frame, a thumbnail and a movie next to their copies;
//  4. runs the same command again, a no-op because its checkpoint (kept in a
//     temp folder) says the job is done, and once more without the
//     checkpoint, which lists both sides and copies nothing (all "exists");
//  5. checks that the replica holds every key with the same size and ETag.
//
// Run it with `make demo` from the repository root. It exits 0 if every step
// worked and the replica is whole, 1 otherwise, and 130 if interrupted; the
// server and its files are removed on every exit path.
package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/backfill-dev/backfill/internal/s3test"
)

const (
	binary       = "./bin/backfill"
	srcBucket    = "primary"
	dstBucket    = "replica"
	prefix       = "shows"
	proxyLatency = 3 * time.Millisecond
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := demo(ctx)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "demo: interrupted; the server was stopped and its files removed")
		return 130
	case err != nil:
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
	}
	return code
}

// demo runs every step and returns the exit code; its defers stop the server.
func demo(ctx context.Context) (int, error) {
	if _, err := os.Stat(binary); err != nil {
		return 1, fmt.Errorf("%s not found: run `make demo` (or `make build` first) from the repository root", binary)
	}
	tmp, err := os.MkdirTemp("", "backfill-demo-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)

	step("Starting a local S3 server")
	srv, err := s3test.Start(ctx, s3test.Options{})
	if err != nil {
		return 1, err
	}
	defer srv.Stop()
	proxy, err := s3test.NewProxy(srv.Endpoint)
	if err != nil {
		return 1, err
	}
	defer proxy.Close()
	proxy.SetLatency(proxyLatency)
	fmt.Printf("  versitygw  %s (data in %s)\n", srv.Endpoint, srv.RootDir)
	fmt.Printf("  proxy      %s (adds %s per request, counts requests by S3 operation)\n", proxy.URL(), proxyLatency)
	for _, b := range []string{srcBucket, dstBucket} {
		if err := srv.CreateBucket(ctx, b, true); err != nil {
			return 1, err
		}
	}
	fmt.Printf("  buckets    s3://%s, s3://%s (versioning on)\n", srcBucket, dstBucket)

	step("Seeding s3://" + srcBucket + "/" + prefix + "/ with sample media")
	objs := sampleObjects(prefix, rand.New(rand.NewPCG(2024, 1)))
	start := time.Now()
	n, err := seed(ctx, srv.Client(""), srcBucket, objs)
	if err != nil {
		return 1, fmt.Errorf("seed: %w", err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[filepath.Ext(o.key)]++
	}
	fmt.Printf("  %d objects, %s in %s: %d .exr frames, %d .jpg thumbs, %d .mov movies, %d meta.json\n",
		len(objs), humanBytes(n), time.Since(start).Round(100*time.Millisecond),
		kinds[".exr"], kinds[".jpg"], kinds[".mov"], kinds[".json"])
	fmt.Printf("  awkward keys too, e.g. %q\n", objs[len(objs)-1].key)

	// The checkpoint lives in the temp folder, so the demo leaves nothing behind.
	reportFile := filepath.Join(tmp, "report.json")
	common := []string{"copy",
		"--from", "s3://" + srcBucket + "/" + prefix, "--to", "s3://" + dstBucket + "/" + prefix,
		"--endpoint-url", proxy.URL(),
		"--report", reportFile, "--failures", filepath.Join(tmp, "failures.csv")}
	args := append(slices.Clone(common), "--checkpoint", filepath.Join(tmp, "backfill.db"))
	env := srv.Env(proxy.URL())
	ok := true
	check := func(good bool, yes string, no string, a ...any) {
		if good {
			fmt.Println("  " + yes)
		} else {
			fmt.Printf("  UNEXPECTED: "+no+"\n", a...)
			ok = false
		}
	}

	step("Backfilling the replica, interrupted with Ctrl-C at about 40%")
	first, counts1, err := backfill(ctx, proxy, env, reportFile, len(objs)*2/5, args...)
	if err != nil {
		return 1, err
	}
	check(first.Interrupted && first.Copied > 0 && first.Copied < int64(len(objs)),
		fmt.Sprintf("interrupted after %d objects: the copies in flight finished and the report was written", first.Copied),
		"the interrupted run copied %d objects (interrupted=%v)", first.Copied, first.Interrupted)

	step("Running the same command again: it resumes from the checkpoint")
	rep, counts, err := backfill(ctx, proxy, env, reportFile, 0, args...)
	if err != nil {
		return 1, err
	}
	copies := counts1["CopyObject"] + counts["CopyObject"]
	check(int64(copies) == first.Copied+rep.Copied && first.Copied+rep.Copied == int64(len(objs)),
		fmt.Sprintf("CopyObject requests over both runs = objects = %d: nothing copied twice, and the bytes never left the server", copies),
		"%d CopyObject requests over both runs for %d + %d objects copied, %d seeded", copies, first.Copied, rep.Copied, len(objs))
	check(counts1["HeadObject"]+counts["HeadObject"] == 0, "HeadObject requests = 0: what the replica holds came from listing it",
		"%d HeadObject requests", counts1["HeadObject"]+counts["HeadObject"])

	step("Three copied objects next to their source")
	c := srv.Client("")
	for _, suffix := range []string{"/frames/plan 010.1001.exr", "/thumbs/sh010+fx.1001.jpg", "/movies/sh010_v3.mov"} {
		same, err := compareObject(ctx, os.Stdout, c, srcBucket, dstBucket, pick(objs, suffix))
		if err != nil {
			return 1, err
		}
		ok = ok && same
	}

	step("Running the same command again (--no-progress): the checkpoint says the job is done")
	rep, counts, err = backfill(ctx, proxy, env, reportFile, 0, append(args, "--no-progress")...)
	if err != nil {
		return 1, err
	}
	check(rep.Copied == 0 && counts["CopyObject"] == 0, "nothing copied, nothing listed beyond a probe per bucket",
		"the re-run copied %d objects", rep.Copied)

	step("Again without the checkpoint (--no-checkpoint): the listing finds every object in the replica")
	rep, counts, err = backfill(ctx, proxy, env, reportFile, 0, append(common, "--no-progress", "--no-checkpoint")...)
	if err != nil {
		return 1, err
	}
	check(rep.Copied == 0 && counts["CopyObject"] == 0 && counts["HeadObject"] == 0 && rep.Skipped["exists"] == int64(len(objs)),
		fmt.Sprintf("nothing copied: all %d objects skipped as exists, by listing alone", len(objs)),
		"copied %d, skipped %d as exists (want 0 and %d)", rep.Copied, rep.Skipped["exists"], len(objs))

	step("Verifying the replica")
	src, err := listing(ctx, c, srcBucket, prefix+"/")
	if err != nil {
		return 1, err
	}
	dst, err := listing(ctx, c, dstBucket, prefix+"/")
	if err != nil {
		return 1, err
	}
	if d := diff(src, dst); len(d) > 0 {
		fmt.Printf("  the replica differs from the primary in %d keys:\n", len(d))
		for _, line := range d {
			fmt.Println("    " + line)
		}
		return 1, errors.New("the replica is not whole")
	}
	fmt.Printf("  replica is whole: %d objects, same keys, sizes and ETags as the primary\n", len(dst))
	if !ok {
		return 1, errors.New("some checks above were UNEXPECTED or DIFFERS")
	}
	fmt.Println("\nDemo finished: every check passed.")
	return 0, nil
}

// backfill runs the binary with the terminal attached, then prints its report
// and the requests it sent through the proxy. It returns an error if backfill
// exits non-zero. If the demo is interrupted, backfill (in the same terminal
// process group) normally gets the Ctrl-C itself and finishes the copies in
// flight; if it has not exited 5 s later it gets an interrupt, and 5 s after
// that it is killed. With interruptAfter > 0 the demo itself sends it a
// Ctrl-C once that many CopyObject requests went through, and expects it to
// exit 130.
func backfill(ctx context.Context, proxy *s3test.Proxy, env []string, reportFile string, interruptAfter int, args ...string) (*report, map[string]int, error) {
	fmt.Printf("$ %s %s\n\n", binary, quoteArgs(args))
	proxy.Reset()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", binary, err)
	}
	done := make(chan struct{})
	defer close(done)
	if interruptAfter > 0 {
		go func() {
			for proxy.Count("CopyObject") < interruptAfter {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
			_ = cmd.Process.Signal(os.Interrupt)
		}()
	}
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		for _, sig := range []os.Signal{os.Interrupt, os.Kill} {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Signal(sig)
			}
		}
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && interruptAfter > 0 && ee.ExitCode() == 130 {
			fmt.Println("  (exit 130: interrupted, as intended)")
		} else if errors.As(err, &ee) {
			return nil, nil, fmt.Errorf("backfill exited with code %d (see its output above)", ee.ExitCode())
		} else {
			return nil, nil, fmt.Errorf("run %s: %w", binary, err)
		}
	}
	rep, err := readReport(reportFile)
	if err != nil {
		return nil, nil, err
	}
	counts := proxy.Counts()
	fmt.Println("\n  report.json:")
	rep.print(os.Stdout)
	fmt.Println("  requests through the proxy, by operation:")
	printCounts(os.Stdout, counts)
	return rep, counts, nil
}

// quoteArgs joins args for display, quoting any with spaces or shell characters.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " '\"$&*?;|<>()\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// pick returns the key of the first object whose key ends in suffix.
func pick(objs []object, suffix string) string {
	for _, o := range objs {
		if strings.HasSuffix(o.key, suffix) {
			return o.key
		}
	}
	panic("demo: no sample object ends in " + suffix)
}

func step(title string) { fmt.Printf("\n== %s\n", title) }
