// Command large times the copy of a set of large objects (default 4 x 1 GiB)
// between two buckets of a local versitygw, by backfill and by the tools a
// user would pick instead (aws s3 sync from the awscli package, rclone copy),
// with the requests each made (counted by the harness proxy), and checks
// every replica is complete: each object there with its source's size,
// Content-Type, Cache-Control, Content-Disposition, user metadata and tags
// (check.go), which a copy in parts must carry itself.
//
//	go run ./bench/large -objects 4 -size-mib 1024 -runs 1
//
// The source objects are sparse files placed in the server's folder, with
// the extended attributes versitygw reads for their ETag, Content-Type,
// Cache-Control, Content-Disposition and metadata (their tags are put
// through the API), so seeding writes nothing; every copy writes the bytes
// for real. Peers missing from PATH are skipped and reported as such
// (install: apt-get install -y awscli rclone).
package main

import (
	"context"
	"crypto/md5"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/bench/internal/stats"
	"github.com/backfill-dev/backfill/internal/s3test"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "large:", err)
		os.Exit(1)
	}
}

type tool struct {
	name string
	cmd  func(dst string) *exec.Cmd
}

func run() error {
	objects := flag.Int("objects", 4, "large objects")
	sizeMiB := flag.Int64("size-mib", 1024, "size of each, MiB")
	runs := flag.Int("runs", 1, "runs per tool (median reported)")
	latency := flag.Duration("latency", 0, "added latency per request")
	parts := flag.String("parts", "", "also time backfill multipart copies with these part sizes, e.g. 64MiB,256MiB")
	only := flag.String("only", "", "run only the tools whose name contains this")
	binFlag := flag.String("backfill", "bin/backfill", "backfill binary (built by make build)")
	flag.Parse()
	bin, err := filepath.Abs(*binFlag)
	if err != nil {
		return err
	}
	ctx := context.Background()
	srv, proxy, stop, err := s3test.StartWithProxy(ctx, s3test.Options{})
	if err != nil {
		return err
	}
	defer stop()
	proxy.SetLatency(*latency)
	if err := srv.CreateBucket(ctx, "primary", false); err != nil {
		return err
	}
	size := *sizeMiB << 20
	for i := range *objects {
		path := filepath.Join(srv.RootDir, "primary", "movies", fmt.Sprintf("reel%d.mov", i))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		head := []byte(fmt.Sprintf("reel %d", i))
		f.WriteAt(head, 0) //nolint:errcheck
		if err := f.Truncate(size); err != nil {
			return err
		}
		f.Close()
		// The ETag versitygw serves must be the content's real MD5, as S3's
		// is for a single-part object: rclone checks it.
		h := md5.New()
		h.Write(head)
		zeros := make([]byte, 1<<20)
		for left := size - int64(len(head)); left > 0; left -= int64(len(zeros)) {
			h.Write(zeros[:min(left, int64(len(zeros)))])
		}
		for _, x := range [][2]string{
			{"user.etag", fmt.Sprintf("%x", h.Sum(nil))},
			{"user.content-type", contentType},
			{"user.cache-control", cacheControl},
			{"user.content-disposition", fmt.Sprintf(`attachment; filename="reel%d.mov"`, i)},
			{"user.metadata", fmt.Sprintf(`{"origin":"bench","reel":"%d"}`, i)},
		} {
			if err := syscall.Setxattr(path, x[0], []byte(x[1]), 0); err != nil {
				return fmt.Errorf("user xattrs are needed: %w", err)
			}
		}
	}
	// The tags go through the API: the copies must carry them too (a copy
	// in parts carries nothing of its source by itself).
	direct := srv.Client("")
	for i := range *objects {
		if _, err := direct.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("primary"),
			Key: aws.String(fmt.Sprintf("movies/reel%d.mov", i)), Tagging: &types.Tagging{TagSet: []types.Tag{
				{Key: aws.String("show"), Value: aws.String("bench")}, {Key: aws.String("reel"), Value: aws.String(fmt.Sprint(i))}}}}); err != nil {
			return fmt.Errorf("tag the seeded objects: %w", err)
		}
	}
	source, err := describe(ctx, direct, "primary")
	if err != nil {
		return err
	}
	if bad := seededWrong(source, *objects); bad != "" {
		return fmt.Errorf("versitygw does not serve the seeded headers and tags back: %s", bad)
	}
	env := srv.Env(proxy.URL())
	dir, err := os.MkdirTemp("", "bench-large-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	awsBin, _ := exec.LookPath("/usr/bin/aws")
	rcloneBin, _ := exec.LookPath("rclone")
	// rclone 1.60 cannot load AWS_CA_BUNDLE ("unsupported transport"):
	// it runs without it, against the plain-http endpoint.
	var rcloneEnv []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			rcloneEnv = append(rcloneEnv, kv)
		}
	}
	rcloneEnv = append(rcloneEnv, "RCLONE_CONFIG_S3_TYPE=s3", "RCLONE_CONFIG_S3_PROVIDER=Other",
		"RCLONE_CONFIG_S3_ENDPOINT="+proxy.URL(), "RCLONE_CONFIG_S3_ACCESS_KEY_ID="+srv.AccessKey,
		"RCLONE_CONFIG_S3_SECRET_ACCESS_KEY="+srv.SecretKey, "RCLONE_CONFIG_S3_REGION=us-east-1",
		"RCLONE_CONFIG_S3_FORCE_PATH_STYLE=true")
	n := 0
	tools := []tool{
		{"backfill (defaults)", func(dst string) *exec.Cmd {
			n++
			return withEnv(exec.Command(bin, "copy", "--from", "s3://primary", "--to", "s3://"+dst, "--no-progress",
				"--checkpoint", filepath.Join(dir, fmt.Sprintf("cp%d.db", n))), env)
		}},
		{"backfill --multipart-threshold 256MiB --part-size 128MiB", func(dst string) *exec.Cmd {
			n++
			return withEnv(exec.Command(bin, "copy", "--from", "s3://primary", "--to", "s3://"+dst, "--no-progress",
				"--multipart-threshold", "256MiB", "--part-size", "128MiB", "--checkpoint", filepath.Join(dir, fmt.Sprintf("cp%d.db", n))), env)
		}},
	}
	for _, ps := range strings.Split(*parts, ",") {
		if ps == "" {
			continue
		}
		tools = append(tools, tool{"backfill --multipart-threshold 64MiB --part-size " + ps, func(dst string) *exec.Cmd {
			n++
			return withEnv(exec.Command(bin, "copy", "--from", "s3://primary", "--to", "s3://"+dst, "--no-progress",
				"--multipart-threshold", "64MiB", "--part-size", ps, "--checkpoint", filepath.Join(dir, fmt.Sprintf("cp%d.db", n))), env)
		}})
	}
	if awsBin != "" {
		tools = append(tools, tool{"aws s3 sync (awscli)", func(dst string) *exec.Cmd {
			return withEnv(exec.Command(awsBin, "s3", "sync", "s3://primary", "s3://"+dst, "--endpoint-url", proxy.URL(), "--only-show-errors"), env)
		}})
	}
	if rcloneBin != "" {
		tools = append(tools, tool{"rclone copy", func(dst string) *exec.Cmd {
			return withEnv(exec.Command(rcloneBin, "copy", "s3:primary", "s3:"+dst), rcloneEnv)
		}})
	}
	rev, _ := exec.Command("git", "describe", "--always", "--dirty").Output()
	fmt.Printf("%d CPUs, %s, %s/%s; backfill %s; versitygw on %s\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		strings.TrimSpace(string(rev)), srv.RootDir)
	fmt.Printf("%d objects of %d MiB, %s added latency, %d run(s) per tool (the tools take turns, one run each per round)\n\n", *objects, *sizeMiB, *latency, *runs)
	c := srv.Client("")
	seq := 0
	var chosen []tool
	for _, t := range tools {
		if *only == "" || strings.Contains(t.name, *only) {
			chosen = append(chosen, t)
		}
	}
	type tally struct {
		walls    []float64
		counts   map[string]int
		complete bool
		why      string // the first run's differences, when one was incomplete
		gained   string // the first run's metadata or tags beyond the source's
	}
	res := make([]tally, len(chosen))
	for i := range res {
		res[i].complete = true
	}
	// Round by round, so a drift in the machine's (and its disk's) speed
	// hits every tool alike.
	for round := range *runs {
		for i, t := range chosen {
			seq++
			dst := fmt.Sprintf("replica-%d", seq)
			if err := srv.CreateBucket(ctx, dst, false); err != nil {
				return err
			}
			proxy.Reset()
			cmd := t.cmd(dst)
			start := time.Now()
			out, runErr := cmd.CombinedOutput()
			wall := time.Since(start).Seconds()
			if runErr != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n%s\n", t.name, runErr, out)
			}
			res[i].counts = proxy.Counts()
			replica, err := describe(ctx, c, dst)
			if err != nil {
				return err
			}
			why, gained := differences(source, replica)
			if gained != "" && res[i].gained == "" {
				res[i].gained = gained
			}
			if runErr != nil && why == "" {
				why = "exited with " + runErr.Error()
			}
			if why != "" {
				res[i].complete = false
				if res[i].why == "" {
					res[i].why = why
				}
			}
			res[i].walls = append(res[i].walls, wall)
			fmt.Fprintf(os.Stderr, "round %d, %s: %.1f s, complete %v %s\n", round+1, t.name, wall, why == "", why+gained)
			os.RemoveAll(filepath.Join(srv.RootDir, dst, "movies")) // free the disk for the next run
		}
	}
	fmt.Println("complete: every object there with the source's size, Content-Type, Cache-Control, Content-Disposition, user metadata and tags, and the tool exited 0; keys a copy gained are named.")
	fmt.Println("| tool | median wall s | MiB/s | requests | complete | runs (s) |")
	fmt.Println("|---|---:|---:|---|---|---|")
	for i, t := range chosen {
		med := stats.Median(res[i].walls)
		fmt.Printf("| %s | %.1f | %.0f | %s | %v | %s |\n", t.name, med, float64(int64(*objects)*size>>20)/med, countText(res[i].counts), completeText(res[i].complete, res[i].why, res[i].gained), stats.List(res[i].walls, "%.1f"))
	}
	return nil
}

func withEnv(c *exec.Cmd, env []string) *exec.Cmd {
	c.Env = env
	return c
}

func countText(m map[string]int) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
