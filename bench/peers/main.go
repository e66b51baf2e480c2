// Command peers compares backfill with the tools a user would pick instead
// (aws s3 sync from the awscli package, rclone copy with its defaults and
// with 256 transfers and checkers) on a media-like bucket of small objects
// (default 20,000 of 4-64 KiB) in a local versitygw behind the harness's
// latency and fault proxy. For every tool it measures wall time, objects/s,
// CPU time, peak RSS, the S3 requests by operation (counted by the proxy) and
// whether the replica really matches the primary (every key's size and ETag,
// and a sample's Content-Type and user metadata), in four scenarios:
//
//	fresh     a fresh copy at each -latency (default 0 and 25 ms per request)
//	rerun     the same command again once the copy is complete
//	resume    interrupted (SIGINT) at about half the copies, then run again
//	slowdown  under a request-rate ceiling answering 503 SlowDown above it
//
// Each cell is the median of -runs runs; every scenario prints a markdown
// table and the lines comparing backfill with its targets: exactness,
// request counts, resume and SlowDown (its speed ratios are printed, not
// judged: bench/scale judges speed on the simulator).
//
//	make build && go run ./bench/peers                      # everything (long)
//	go run ./bench/peers -quick                              # a smoke test
//	go run ./bench/peers -scenarios fresh -latency 25ms -only rclone
//
// The source objects are written straight into the server's folder (with the
// ETag, Content-Type and user-metadata extended attributes versitygw serves),
// so seeding makes no requests;
// every copy is a real server-side copy. That folder is on tmpfs by default
// (-server-dir; see package bench/internal/serverdir for why), the checkpoints in the temporary
// folder. Peers that are not installed are
// skipped and reported as such (apt-get install -y awscli rclone).
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/bench/internal/serverdir"
	"github.com/backfill-dev/backfill/internal/s3test"
)

func main() {
	err := run()
	if stopping.Load() {
		select {} // interrupted: the signal handler cleans up and exits with its code
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// config is what the flags ask for.
type config struct {
	objects, ceilingObjects int
	minSize, maxSize        int
	runs                    int
	latencies               []time.Duration
	otherLatency            time.Duration
	ceiling                 float64
	scenarios               map[string]bool
	only                    string
	timeout                 time.Duration
	seed                    uint64
	timeline                bool
	serverDir               string
}

// bench is the running set-up every scenario uses.
type bench struct {
	config
	ctx     context.Context
	srv     *s3test.Server
	proxy   *s3test.Proxy
	direct  *s3.Client // to the server, bypassing the proxy (checks only)
	dir     string     // checkpoints
	tools   []tool
	seq     int
	sources map[string]map[string]listed
	sampled map[string]map[string]headed // by bucket: a sample of sources' HeadObject answers
	// reruns: the re-runs made right after the fresh copies at the
	// scenario latency (one copy serves both tables), by tool.
	reruns [][]sample
	// resetReruns: backfill's re-runs with --reset (both sides listed again).
	resetReruns []sample
}

const (
	primary        = "primary"
	ceilingPrimary = "primary-ceiling"
	// backfillConcurrency is backfill's default --concurrency: the most
	// copies a resumed run may repeat (those in flight at the interrupt).
	backfillConcurrency = 256
)

func run() error {
	var cfg config
	flag.IntVar(&cfg.objects, "objects", 20000, "objects in the primary bucket (fresh, rerun, resume)")
	flag.IntVar(&cfg.ceilingObjects, "ceiling-objects", 0, "objects in the primary bucket of the slowdown scenario (default: -objects)")
	minSize := flag.String("min-size", "4KiB", "smallest object")
	maxSize := flag.String("max-size", "64KiB", "largest object")
	flag.IntVar(&cfg.runs, "runs", 3, "runs per tool per scenario (medians reported)")
	lat := flag.String("latency", "0,25ms", "added latency per request for the fresh scenario, comma-separated")
	flag.DurationVar(&cfg.otherLatency, "scenario-latency", 25*time.Millisecond, "added latency per request in the rerun, resume and slowdown scenarios")
	flag.Float64Var(&cfg.ceiling, "ceiling", 300, "slowdown scenario: requests/s above which the proxy answers 503 SlowDown")
	scen := flag.String("scenarios", "fresh,rerun,resume,slowdown", "scenarios to run, comma-separated")
	flag.StringVar(&cfg.only, "only", "", "run only the tools whose name contains this (several: separated by |)")
	flag.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "a tool run still going after this is killed (and reported incomplete)")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the object keys, sizes and contents")
	flag.BoolVar(&cfg.timeline, "timeline", false, "slowdown scenario: print each run's answers per second (others/503s) to stderr")
	flag.StringVar(&cfg.serverDir, "server-dir", "tmpfs", "where versitygw keeps its buckets: tmpfs (/dev/shm; the temporary folder when that is missing, too small or takes no user xattrs), disk (the temporary folder), or a folder")
	bin := flag.String("backfill", "bin/backfill", "backfill binary (built by make build)")
	bfArgs := flag.String("backfill-args", "", "extra backfill copy flags, space-separated")
	allowMissing := flag.Bool("allow-missing", false, "run even when a peer (aws, rclone) is not installed (its rows say skipped)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the bench's own process (the proxy, mostly) to this file")
	quick := flag.Bool("quick", false, "smoke test: 300 objects, 600 under the ceiling, 1 run (unless those flags are given)")
	flag.Parse()

	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["objects"] {
			cfg.objects = 300
		}
		if !set["ceiling-objects"] && !set["objects"] {
			cfg.ceilingObjects = 600
		}
		if !set["runs"] {
			cfg.runs = 1
		}
	}
	if cfg.ceilingObjects == 0 {
		cfg.ceilingObjects = cfg.objects
	}
	var err error
	if cfg.minSize, err = parseSize(*minSize); err != nil {
		return err
	}
	if cfg.maxSize, err = parseSize(*maxSize); err != nil {
		return err
	}
	if cfg.minSize > cfg.maxSize || cfg.objects < 1 || cfg.ceilingObjects < 1 || cfg.runs < 1 || cfg.ceiling <= 0 {
		return fmt.Errorf("need -min-size <= -max-size, -objects, -ceiling-objects, -runs and -ceiling above 0")
	}
	for _, s := range strings.Split(*lat, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-latency: %w", err)
		}
		cfg.latencies = append(cfg.latencies, d)
	}
	cfg.scenarios = map[string]bool{}
	for _, s := range strings.Split(*scen, ",") {
		switch s = strings.TrimSpace(s); s {
		case "fresh", "rerun", "resume", "slowdown":
			cfg.scenarios[s] = true
		default:
			return fmt.Errorf("-scenarios: unknown scenario %q (fresh, rerun, resume, slowdown)", s)
		}
	}
	backfill, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(backfill); err != nil {
		return fmt.Errorf("%w (run make build first)", err)
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	parent, where, err := serverParent(cfg)
	if err != nil {
		return err
	}
	srv, proxy, stop, err := s3test.StartWithProxy(ctx, s3test.Options{TempParent: parent})
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "bench-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// On tmpfs the buckets are gigabytes of memory: an interrupted bench
	// kills the tool it is running, removes the buckets and the checkpoints,
	// and exits. A second signal exits at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		stopping.Store(true) // first: main must not exit 0 while this cleans up
		code := 130
		if sig == syscall.SIGTERM {
			code = 143
		}
		go func() {
			sig := <-sigs
			if pid := srv.PID(); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // it may be gone already
			}
			fmt.Fprintf(os.Stderr, "peers: %v again: killed versitygw, exiting now; %s and %s may be left behind\n", sig, filepath.Dir(srv.RootDir), dir)
			pprof.StopCPUProfile()
			os.Exit(code)
		}()
		fmt.Fprintf(os.Stderr, "peers: %v: stopping the tool running, versitygw, and removing its buckets\n", sig)
		killRunning()
		stop()
		os.RemoveAll(dir)
		pprof.StopCPUProfile() // deferred calls do not run on os.Exit; a no-op without -cpuprofile
		os.Exit(code)
	}()
	serverdir.WarnStale(parent, filepath.Dir(srv.RootDir), prefixed{os.Stderr})
	b := &bench{config: cfg, ctx: ctx, srv: srv, proxy: proxy, direct: srv.Client(""), dir: dir,
		sources: map[string]map[string]listed{}, sampled: map[string]map[string]headed{}}
	for _, t := range tools(srv, backfill, strings.Fields(*bfArgs)) {
		if cfg.only == "" || slices.ContainsFunc(strings.Split(cfg.only, "|"), func(o string) bool { return strings.Contains(t.name, o) }) {
			b.tools = append(b.tools, t)
		}
	}
	if len(b.tools) == 0 {
		return fmt.Errorf("-only %q matches no tool", cfg.only)
	}
	for _, t := range b.tools {
		if t.missing != "" && !*allowMissing {
			return fmt.Errorf("%s: %s (make peer-tools installs them; -allow-missing runs without)", t.name, t.missing)
		}
	}

	fmt.Printf("# backfill vs peers\n\n%d CPUs, %s memory, %s; %s; %s; %s; versitygw %s; backfill %s\n", runtime.NumCPU(), memTotal(), runtime.Version(),
		version("uname", "-sr"), version("/usr/bin/aws", "--version"), version("rclone", "version"), versitygwVersion(),
		version("git", "describe", "--always", "--dirty"))
	fmt.Printf("\nversitygw's buckets: in %s; checkpoints: in %s\n", where, serverdir.Describe(dir))
	if cfg.scenarios["fresh"] || cfg.scenarios["rerun"] || cfg.scenarios["resume"] {
		if err := b.seedPrimary(primary, cfg.objects); err != nil {
			return err
		}
	}
	if cfg.scenarios["slowdown"] {
		if err := b.seedPrimary(ceilingPrimary, cfg.ceilingObjects); err != nil {
			return err
		}
	}
	if cfg.scenarios["fresh"] {
		for _, l := range cfg.latencies {
			if err := b.fresh(l); err != nil {
				return err
			}
		}
	}
	if cfg.scenarios["rerun"] {
		if err := b.rerun(); err != nil {
			return err
		}
	}
	if cfg.scenarios["resume"] {
		if err := b.resume(); err != nil {
			return err
		}
	}
	if cfg.scenarios["slowdown"] {
		if err := b.slowdown(); err != nil {
			return err
		}
	}
	return nil
}

// seedPrimary fills bucket with n objects of the media mix and keeps its listing.
func (b *bench) seedPrimary(bucket string, n int) error {
	start := time.Now()
	objs := mediaMix(n, b.minSize, b.maxSize, b.seed)
	total, err := seedBucket(b.ctx, b.srv, bucket, objs, b.seed)
	if err != nil {
		return err
	}
	src, err := list(b.ctx, b.direct, bucket)
	if err != nil {
		return err
	}
	if len(src) != n {
		return fmt.Errorf("seeded %d objects into %s but the server lists %d", n, bucket, len(src))
	}
	b.sources[bucket] = src
	if b.sampled[bucket], err = heads(b.ctx, b.direct, bucket, sampleKeys(src), src); err != nil {
		return err
	}
	// The check of the copies' headers is only as good as the source's: make
	// sure the server serves what the seed set.
	for k, h := range b.sampled[bucket] {
		if h.contentType != contentType(k) || !maps.Equal(h.metadata, seedMetadata(k)) {
			return fmt.Errorf("seeded s3://%s/%s with Content-Type %q and metadata %v, but the server serves %q and %v",
				bucket, k, contentType(k), seedMetadata(k), h.contentType, h.metadata)
		}
	}
	fmt.Printf("\n%s: %d objects of %d-%d bytes, %.1f MiB (shows/, thumbs/, editorial/ by show and episode), seeded in %.1f s\n",
		bucket, n, b.minSize, b.maxSize, float64(total)/(1<<20), time.Since(start).Seconds())
	return nil
}

// replica creates a fresh, empty replica bucket and names a checkpoint for it.
func (b *bench) replica() (bucket, checkpoint string, err error) {
	b.seq++
	bucket = fmt.Sprintf("replica-%d", b.seq)
	return bucket, filepath.Join(b.dir, bucket+".db"), b.srv.CreateBucket(b.ctx, bucket, false)
}

// done empties a replica and removes its checkpoint, to keep the server's
// folder (memory, on tmpfs) and the temporary folder small.
func (b *bench) done(bucket, checkpoint string) error {
	if matches, _ := filepath.Glob(checkpoint + "*"); len(matches) > 0 {
		for _, m := range matches {
			os.RemoveAll(m)
		}
	}
	return emptyBucket(b.srv, bucket)
}

// exec runs one tool once through endpoint with the proxy's counts reset
// first, and returns what it cost and the requests it made.
//
// The disk is written out first (sync), for the checkpoints and, with
// -server-dir disk, the buckets: the kernel flushes what a run
// wrote, and the files the previous replica's emptying removed, about 30 s
// later, and that work would otherwise land, on the same 2 cores, in
// whichever tool's run came next.
func (b *bench) exec(t tool, endpoint, src, dst, checkpoint string, interruptWhen func() bool) (proc, map[string]int, error) {
	syscall.Sync()
	b.proxy.Reset()
	server0, harness0 := procCPU(b.srv.PID()), selfCPU()
	p, err := execute(t.cmd(endpoint, src, dst, checkpoint), interruptWhen, b.timeout)
	p.serverCPU, p.harnessCPU = procCPU(b.srv.PID())-server0, selfCPU()-harness0
	if err != nil {
		return p, nil, fmt.Errorf("%s: %w", t.name, err)
	}
	if p.exit != "" && !p.interrupted {
		fmt.Fprintf(os.Stderr, "  %s exited: %s\n  output (tail): %s\n", t.name, p.exit, indent(p.output))
	}
	return p, b.proxy.Counts(), nil
}

// verify compares replica dst with source src: every key's size and ETag
// from the listings, and a sample's Content-Type and user metadata.
func (b *bench) verify(src, dst string) (check, error) {
	got, err := list(b.ctx, b.direct, dst)
	if err != nil {
		return check{}, err
	}
	c := compare(b.sources[src], got)
	srcHeads := b.sampled[src]
	keys := make([]string, 0, len(srcHeads))
	for k := range srcHeads {
		keys = append(keys, k)
	}
	dstHeads, err := heads(b.ctx, b.direct, dst, keys, got)
	if err != nil {
		return check{}, err
	}
	c.compareHeads(srcHeads, dstHeads)
	return c, nil
}

// procCPU is process pid's user+sys CPU seconds so far, from
// /proc/PID/stat (in clock ticks of 1/100 s, Linux's USER_HZ), or 0.
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil || pid == 0 {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its ')' are plain.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64) // field 14
	stime, _ := strconv.ParseFloat(f[12], 64) // field 15
	return (utime + stime) / 100
}

// selfCPU is this process's user+sys CPU seconds so far.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return tv(ru.Utime) + tv(ru.Stime)
}

// versitygwVersion is the version `make tools` recorded beside the binary
// the harness runs.
func versitygwVersion() string {
	bin, err := s3test.Binary()
	if err != nil {
		return "not found"
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(bin), ".versitygw-version"))
	if err != nil {
		return bin + " (version not recorded)"
	}
	return strings.TrimSpace(string(b))
}

func version(bin string, args ...string) string {
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return bin + ": not available"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func indent(s string) string {
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return strings.ReplaceAll(s, "\n", "\n    ")
}

// memTotal is the machine's memory, from /proc/meminfo.
func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	return "?"
}
