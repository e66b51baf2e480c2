// Command scale measures backfill copying a million objects (default)
// between two buckets of an in-memory S3 simulator (bench/s3sim) with an
// added latency per request, against the theoretical limit
// concurrency / latency, and checks the replica is whole: every object with
// its source's size, ETag, Content-Type, content headers and user metadata
// (verify).
//
//	make build && go run ./bench/scale                       # 1,000,000 objects, 50 ms, backfill's defaults
//	go run ./bench/scale -objects 20000 -latency 50ms
//	go run ./bench/scale -peers -objects 2000                 # also aws s3 sync and rclone copy, same rig
//
// The simulator runs in this process on a loopback port and stores no
// object data, so the scale is bounded by memory (about 50 bytes per source
// object and 100 per copied one), not disk. backfill runs as a child process
// (bin/backfill, `make build`); its peak RSS and CPU time come from the
// kernel's rusage of that child. The limit counts CopyObject requests only:
// each object needs one, each takes at least the added latency, and at most
// --concurrency are in flight; the listing pages (both buckets, fanned out
// over folders) overlap the copies and are not counted in it.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/backfill-dev/backfill/bench/internal/headers"
	"github.com/backfill-dev/backfill/bench/internal/peak"
	"github.com/backfill-dev/backfill/bench/s3sim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// defaultConcurrency is the fixed --concurrency default of backfill's
// verify and batchops (engine.DefaultConcurrency); copy adapts from 1,024.
const defaultConcurrency = 256

type config struct {
	objects, large, concurrency int
	latency                     time.Duration
	bin, extra                  string
	peers                       bool
	every                       time.Duration
}

func run() error {
	var c config
	flag.IntVar(&c.objects, "objects", 1000000, "objects to seed in bucket primary")
	sizeKiB := flag.Int64("size-kib", 4, "size of each object, KiB (plus up to 64 KiB, varying): by default 4-68 KiB, frames and thumbnails")
	runs := flag.Int("runs", 1, "runs per tool (a fresh replica each; the median run is reported, and the lowest ratio)")
	flag.IntVar(&c.large, "large", 0, "also seed this many objects of 6 GiB (copied in parts)")
	flag.DurationVar(&c.latency, "latency", 50*time.Millisecond, "added latency per request")
	flag.IntVar(&c.concurrency, "concurrency", 0, "pass --concurrency N to backfill (0: none, its adaptive default)")
	flag.StringVar(&c.bin, "backfill", "bin/backfill", "backfill binary (`make build`)")
	flag.StringVar(&c.extra, "args", "", "extra backfill flags, space-separated (e.g. --no-checkpoint)")
	flag.BoolVar(&c.peers, "peers", false, "also run aws s3 sync (/usr/bin/aws) and rclone copy (defaults, and --transfers 256 --checkers 256) on the same objects")
	only := flag.String("only", "", "with -peers: run only the tools whose name contains one of these comma-separated strings (backfill always runs)")
	var v verdicts
	flag.StringVar(&v.vs, "vs", "", "judge backfill against the peer whose name contains this: objects/s and CPU per copy, per round")
	flag.Float64Var(&v.ratio, "target-ratio", 0, "with -vs: the objects/s ratio backfill must reach (median of the rounds)")
	flag.Float64Var(&v.cpuRatio, "cpu-ratio", 0, "with -vs: the most CPU per copy backfill may use, as a share of the peer's")
	ceilingRate := flag.Float64("ceiling", 0, "S3's request ceiling for all requests to the buckets together, per second (0: none): over it, SlowDown")
	flag.IntVar(&v.first, "first", 0, "also time the first N copies (the throughput of the whole run against theirs)")
	flag.Float64Var(&v.rssMiB, "rss-target", 0, "peak RSS backfill must stay under, MiB (0: none)")
	flag.DurationVar(&c.every, "progress", 10*time.Second, "print the simulator's CopyObject count this often (stderr)")
	readRate := flag.Float64("read-rate", 0, "simulated S3 GET/HEAD limit per prefix per second (0: none; S3: 5500)")
	writeRate := flag.Float64("write-rate", 0, "simulated S3 PUT/COPY/POST/DELETE limit per prefix per second (0: none; S3: 3500)")
	depth := flag.Int("prefix-depth", 2, "key segments forming a rate-limit prefix, at least 1 (2: shows/s01/, 50,000 objects each; 1: shows/, every object)")
	simProfile := flag.String("simprofile", "", "write this process's (the simulator's) CPU profile of the runs to this file")
	flag.Parse()

	bin, err := filepath.Abs(c.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (run `make build` first)", err)
	}
	if *depth < 1 {
		return fmt.Errorf("-prefix-depth %d: at least 1 (1 makes shows/, which holds every seeded key, the one prefix)", *depth)
	}
	sim, err := s3sim.Start(s3sim.Options{PrefixDepth: *depth})
	if err != nil {
		return err
	}
	defer sim.Close()

	t0 := time.Now()
	n := c.objects + c.large
	prefixes := map[string]bool{} // the rate-limit prefixes the keys fall in
	err = sim.Seed("primary", n, func(i int) (key string, size int64) {
		if i < c.large {
			key, size = fmt.Sprintf("shows/masters/reel%04d.mov", i), 6<<30+int64(i)
		} else {
			i -= c.large
			key, size = fmt.Sprintf("shows/s%02d/e%02d/frames/%06d.dpx", i/50000, i/1000%50, i%1000), *sizeKiB<<10+int64(i*7919%65536)
		}
		prefixes[sim.PrefixOf(key)] = true
		return key, size
	})
	if err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapAlloc
	fmt.Printf("seeded %d objects (%d KiB + up to 64 KiB each; %d of 6 GiB) in s3://primary in %.1f s; simulator heap %.0f MB\n",
		n, *sizeKiB, c.large, time.Since(t0).Seconds(), float64(heap0)/1e6)

	dir, err := os.MkdirTemp("", "bench-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, err := childEnv(dir, sim.URL())
	if err != nil {
		return err
	}
	tools := []tool{backfillTool(c, bin, dir)}
	if c.peers {
		for _, t := range peerTools(sim.URL()) {
			if wanted(t.name, *only) {
				tools = append(tools, t)
			}
		}
	}
	sim.SetLatency(c.latency)
	sim.SetRateLimits(*readRate, *writeRate, 0)

	if *simProfile != "" {
		f, err := os.Create(*simProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	load0 := loadavg()
	var rows []result
	worst := map[string]float64{} // lowest objects/s of each tool's runs
	// The tools take turns, round after round, each round starting with
	// the next tool, so a drift of the machine's speed falls on all.
	byTool := make([][]result, len(tools))
	for round := range max(*runs, 1) {
		for k := range tools {
			i := (k + round) % len(tools)
			t := tools[i]
			sim.DropBucket(t.dst)
			os.Remove(filepath.Join(dir, "checkpoint.db"))
			sim.CreateBucket(t.dst)
			sim.SetCeiling(*ceilingRate, 0) // full again for each run
			r, err := measure(sim, t, withEnv(env, t.env), n, dir, c.every, v.first)
			if err != nil {
				return err
			}
			r.round = round
			fmt.Fprintf(os.Stderr, "%s run %d: %.1f s, %.0f objects/s, peak RSS %.0f MiB, replica %s\n", t.name, round+1, r.wall, float64(n)/r.wall, r.maxRSS, r.check)
			if t.name == "backfill" {
				r.conc = concurrencyOf(filepath.Join(dir, "report.json"), r.conc)
			}
			byTool[i] = append(byTool[i], r)
		}
	}
	for i, t := range tools {
		rs := slices.Clone(byTool[i])
		slices.SortFunc(rs, func(a, b result) int { return cmp.Compare(a.wall, b.wall) })
		row := rs[(len(rs)-1)/2]
		for _, r := range rs { // the highest peak RSS of the runs, and any incomplete replica or failed run
			row.maxRSS = max(row.maxRSS, r.maxRSS)
			if r.exitErr != "" {
				row.exitErr = r.exitErr
			}
			if !strings.HasPrefix(r.check, "yes") {
				row.check = r.check
			}
		}
		rows = append(rows, row)
		worst[t.name] = float64(n) / rs[len(rs)-1].wall
	}
	v.n, v.latency, v.ceiling, v.load0 = n, c.latency, *ceilingRate, load0
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("simulator heap after the runs %.0f MB: %.0f bytes per source object, %.0f per copied one\n",
		float64(ms.HeapAlloc)/1e6, float64(heap0)/float64(n), (float64(ms.HeapAlloc)-float64(heap0))/float64(n*len(rows)))
	fmt.Printf("\n%d objects, %s added latency per request, rate limits read %s / write %s per prefix (depth %d: the keys fall in %d prefix%s)\n\n",
		n, c.latency, rate(*readRate), rate(*writeRate), *depth, len(prefixes), map[bool]string{true: "", false: "es"}[len(prefixes) == 1])
	fmt.Println("| tool | wall s (startup + copies + exit) | objects/s | limit objects/s (conc/latency) | ratio | ratio in the copy phase | requests/s ÷ limit | avg in flight at the simulator | peak RSS MiB (highest run) | CPU user+sys s | simulator CPU s | SlowDown | replica complete |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		limit := float64(r.conc) / max(c.latency.Seconds(), 1e-9)
		ops := float64(n) / r.wall
		split, phase := "no copy request", "n/a"
		if r.copyPhase > 0 {
			split = fmt.Sprintf("%.1f + %.1f + %.1f", r.startup, r.copyPhase, r.tail)
			phase = fmt.Sprintf("%.1f%%", 100*float64(n)/r.copyPhase/limit)
		}
		fmt.Printf("| %s | %.1f (%s) | %.0f | %.0f (%d/%s) | %.1f%% | %s | %.1f%% | %.0f | %.0f | %.1f + %.1f | %.1f | %d | %s |\n",
			r.name, r.wall, split, ops, limit, r.conc, c.latency, 100*ops/limit, phase,
			100*float64(total(r.counts))/r.wall/limit,
			r.inFlight, r.maxRSS, r.user, r.sys, r.simCPU, r.slow, r.check)
	}
	v.print(tools, byTool, rows)
	if *writeRate > 0 && len(prefixes) == 1 {
		// Every key in one prefix: its write limit, not concurrency/latency,
		// is the ceiling (scenario (d) at scale). The prefix's token bucket
		// starts full, so the first burst of copies is free.
		burst := *writeRate // s3sim's default: one second of the rate
		ideal := (float64(n) - min(burst, float64(n))) / *writeRate
		fmt.Printf("\nevery key is in one prefix, so its write limit is the ceiling: ideal (N - the first burst of %.0f)/limit = %.1f s\n", burst, ideal)
		for i, r := range rows {
			verdict := ""
			if i == 0 {
				verdict = fmt.Sprintf(" (target <= 1.25x, replica complete, exit status 0: %s)", met(r.wall/ideal <= 1.25 && r.ok()))
			}
			fmt.Printf("%s: %.1f s = %.2fx the ideal, %d SlowDown answers, replica %s%s\n", r.name, r.wall, r.wall/ideal, r.slow, r.check, verdict)
		}
	}
	fmt.Printf("machine: %d CPUs, load average %s before the runs, %s after (other work on it slows every tool)\n",
		runtime.NumCPU(), load0, loadavg())
	fmt.Println("\n| tool | requests by operation | requests per object | CopyObject per object |")
	fmt.Println("|---|---|---:|---:|")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %.3f | %.3f |\n", r.name, countText(r.counts), float64(total(r.counts))/float64(n),
			float64(r.counts["CopyObject"])/float64(n))
	}
	fmt.Println("\nstartup: from the tool's start to its first copy request (process start, configuration,")
	fmt.Println("checkpoint, the first listing pages); copies: from the first copy request's arrival to the")
	fmt.Println("last copy answer (SlowDowns and retries included; a multipart object's CompleteMultipartUpload")
	fmt.Println("may fall after it); the ratio in the copy phase leaves startup and exit out and counts all")
	fmt.Println("N objects even if the replica is incomplete. The target is judged on the whole wall time.")
	fmt.Println("limit: one CopyObject per object, each >= the added latency, at most `conc` in flight;")
	fmt.Println("listing pages overlap the copies and are not counted. aws-cli's conc is its default")
	fmt.Println("max_concurrent_requests (10), rclone's its default --transfers (4). requests/s ÷ limit")
	fmt.Println("counts every request a tool made (a tool needing k requests per object tops out at 100%/k")
	fmt.Println("in the ratio column): how busy it keeps its concurrency, i.e. how fair the rig is to it.")
	return nil
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// loadavg is the 1-minute load average from /proc/loadavg ("?" elsewhere).
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func total(m map[string]int64) int64 {
	t := int64(0)
	for _, v := range m {
		t += v
	}
	return t
}

func rate(r float64) string {
	if r <= 0 {
		return "none"
	}
	return fmt.Sprintf("%.0f/s", r)
}

type result struct {
	name      string
	conc      int
	wall      float64
	startup   float64 // from the start to the first copy request
	copyPhase float64 // from the first copy request to the last answer
	tail      float64 // from the last copy answer to the exit
	maxRSS    float64 // MiB (VmHWM kB / 1024)
	user, sys float64
	simCPU    float64
	slow      int64
	counts    map[string]int64
	check     string
	exitErr   string  // the tool's exit error (objects failed, or the run did); "" for exit status 0
	inFlight  float64 // requests in flight at the simulator, average
	round     int     // the round it ran in
	// firstPhase is the time from the first copy request to the moment
	// the simulator had received -first of them (0: not measured).
	firstPhase float64
}

// ok says the run left a complete replica and the tool exited 0 (no
// object failed).
func (r result) ok() bool { return strings.HasPrefix(r.check, "yes") && r.exitErr == "" }

// measure runs one tool to completion and checks its replica.
func measure(sim *s3sim.Sim, t tool, env []string, n int, dir string, every time.Duration, first int) (result, error) {
	r := result{name: t.name, conc: t.conc}
	logPath := filepath.Join(dir, t.dst+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return r, err
	}
	defer logf.Close()
	cmd := exec.Command(t.args[0], t.args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	fmt.Fprintf(os.Stderr, "\n$ %s\n", strings.Join(t.args, " "))
	sim.ResetCounts()
	var self0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self0) //nolint:errcheck
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	done, avg, firstAt := make(chan struct{}), make(chan float64, 1), make(chan time.Time, 1)
	go func() { avg <- progress(sim, start, every, done, first, firstAt) }()
	hwm := peak.Watch(cmd.Process.Pid)
	polled := make(chan struct{})
	go func() { // the child's own peak RSS, while it runs
		defer close(polled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				hwm.Poll()
			case <-done:
				return
			}
		}
	}()
	runErr := cmd.Wait()
	close(done)
	<-polled
	r.maxRSS = float64(hwm.Max()) / 1024
	r.inFlight = <-avg
	r.wall = time.Since(start).Seconds()
	if firstCopy, last, ok := sim.CopyWindow(); ok {
		r.startup, r.tail = firstCopy.Sub(start).Seconds(), time.Since(last).Seconds()
		r.copyPhase = last.Sub(firstCopy).Seconds()
		select {
		case at := <-firstAt:
			r.firstPhase = at.Sub(firstCopy).Seconds()
		default:
		}
	}
	var self1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self1) //nolint:errcheck
	r.simCPU = cpu(self1) - cpu(self0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.user, r.sys = tv(ru.Utime), tv(ru.Stime)
	}
	r.counts, r.slow = sim.Counts(), sim.SlowDowns()
	out, _ := os.ReadFile(logPath)
	fmt.Fprintf(os.Stderr, "%s output (%s):\n%s\n", t.name, cmd.ProcessState, tail(string(out), 40))
	if runErr != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", t.name, runErr)
	}
	r.check = verify(sim, t.dst, n)
	if runErr != nil {
		// The cell must not read as complete: the row takes any run's
		// cell that does not start with "yes".
		r.exitErr = runErr.Error()
		r.check = fmt.Sprintf("exited (%v); replica %s", runErr, r.check)
	}
	return r, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
func cpu(u syscall.Rusage) float64 { return tv(u.Utime) + tv(u.Stime) }

// progress prints the simulator's counts every so often, with the average
// number of requests in flight (sampled every 50 ms): below the tool's
// concurrency means the tool, not the simulator's latency, is the limit.
// It returns the average over the whole run.
func progress(sim *s3sim.Sim, start time.Time, every time.Duration, done chan struct{}, first int, firstAt chan<- time.Time) float64 {
	tick := time.NewTicker(every)
	defer tick.Stop()
	sample := time.NewTicker(50 * time.Millisecond)
	defer sample.Stop()
	last, lastT := int64(0), start
	var sum, samples, allSum, all int64
	for {
		select {
		case <-done:
			return float64(allSum) / float64(max(all, 1))
		case now := <-sample.C:
			f := sim.InFlight()
			sum, samples, allSum, all = sum+f, samples+1, allSum+f, all+1
			if first > 0 && sim.Counts()["CopyObject"] >= int64(first) {
				firstAt <- now
				first = 0
			}
		case now := <-tick.C:
			c := sim.Counts()
			cp := c["CopyObject"]
			fmt.Fprintf(os.Stderr, "  %5.1fs: CopyObject %d (%.0f/s now), requests %d, listing pages %d, SlowDown %d, in flight %.0f\n",
				now.Sub(start).Seconds(), cp, float64(cp-last)/now.Sub(lastT).Seconds(), total(c),
				c["ListObjectsV2"]+c["ListObjects"], sim.SlowDowns(), float64(sum)/float64(max(samples, 1)))
			last, lastT, sum, samples = cp, now, 0, 0
		}
	}
}

// verify compares the replica with primary inside the simulator: every
// object there, with the source's size, ETag, Content-Type, other content
// headers (Cache-Control, Content-Disposition, ...) and user metadata. A copy made in parts has S3's "-N" ETag instead of the
// source's: for those the ETag is not compared, and they are counted apart.
// A copy that lost or changed its source's Content-Type, a content header or
// a metadata key makes the replica incomplete; headers or keys it has
// beyond the source's are counted as gained, not failed (as in bench/peers).
func verify(sim *s3sim.Sim, dst string, n int) string {
	count := sim.Len(dst)
	same, inParts, bad, lost, gained := 0, 0, 0, 0, 0
	var firstBad, firstLost, firstGained string
	sim.Walk(context.Background(), dst, "", func(o s3sim.Object) bool { //nolint:errcheck
		src, ok := sim.Lookup("primary", o.Key)
		switch {
		case ok && src.Size == o.Size && src.ETag == o.ETag:
			same++
		case ok && src.Size == o.Size && strings.Contains(o.ETag, "-") && !strings.Contains(src.ETag, "-"):
			inParts++
		default:
			if bad++; firstBad == "" {
				firstBad = o.Key
			}
			return true
		}
		switch {
		case o.ContentType != src.ContentType || !headers.Kept(src.Headers, o.Headers) || !headers.Kept(src.Metadata, o.Metadata):
			if lost++; firstLost == "" {
				firstLost = fmt.Sprintf("%s: Content-Type %q, headers %v, metadata %v; the source's %q, %v, %v", o.Key,
					o.ContentType, o.Headers, o.Metadata, src.ContentType, src.Headers, src.Metadata)
			}
		case len(headers.Gained(src.Metadata, o.Metadata))+len(headers.Gained(src.Headers, o.Headers)) > 0:
			if gained++; firstGained == "" {
				firstGained = o.Key
			}
		}
		return true
	})
	detail := fmt.Sprintf("%d with the source's size and ETag", same)
	if inParts > 0 {
		detail += fmt.Sprintf(", %d copied in parts (size matches, \"-N\" ETag)", inParts)
	}
	detail += "; Content-Type, headers and metadata kept by all"
	if lost > 0 {
		detail = strings.TrimSuffix(detail, "; Content-Type, headers and metadata kept by all") +
			fmt.Sprintf("; %d lost Content-Type, headers or metadata (first %s)", lost, firstLost)
	} else if gained > 0 {
		detail += fmt.Sprintf(" (%d gained headers or metadata keys, first %q)", gained, firstGained)
	}
	if count == n && same+inParts == n && lost == 0 {
		return "yes: " + detail
	}
	s := fmt.Sprintf("NO: %d objects of %d; %s", count, n, detail)
	if bad > 0 {
		s += fmt.Sprintf("; %d differ or are extra (first %q)", bad, firstBad)
	}
	return s
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = append([]string{"..."}, ls[len(ls)-lines:]...)
	}
	return strings.Join(ls, "\n")
}

func countText(m map[string]int64) string {
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
