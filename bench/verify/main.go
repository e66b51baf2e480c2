// Command verify measures `backfill verify` against `rclone check` on the
// S3 simulator (bench/s3sim): a primary and a replica seeded alike, with
// a share of differences planted in the replica (missing objects, sizes
// that differ, contents that differ at the same size with an older copy,
// objects only the replica has), the tools taking turns, round after
// round. For each: the time, the requests the simulator saw, CPU, peak
// RSS, and whether it found exactly the planted differences.
//
//	make build && go run ./bench/verify                      # 1,000,000 objects, 25 ms, 1% planted
//	go run ./bench/verify -objects 20000 -runs 1
//
// Targets (issue 20): backfill at least 3x faster than rclone check with
// the same findings, and its peak RSS under 512 MiB.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/backfill-dev/backfill/bench/internal/child"
	"github.com/backfill-dev/backfill/bench/s3sim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
}

// planted are the differences, by class, as sets of keys.
type planted map[string]map[string]bool

func (p planted) add(class, key string) {
	if p[class] == nil {
		p[class] = map[string]bool{}
	}
	p[class][key] = true
}

func (p planted) total() int {
	n := 0
	for _, keys := range p {
		n += len(keys)
	}
	return n
}

type tool struct {
	name string
	args func(dir string) []string
	env  []string
	// found reads what the tool reported, by planted class (rclone's
	// classes map onto them as they can: + missing, - extra, * differs).
	found func(dir string) (planted, error)
}

func run() error {
	n := flag.Int("objects", 1000000, "objects in each bucket")
	share := flag.Float64("share", 0.01, "share of the objects with a planted difference")
	latency := flag.Duration("latency", 25*time.Millisecond, "added latency per request")
	runs := flag.Int("runs", 3, "rounds (the tools take turns)")
	bin := flag.String("backfill", "bin/backfill", "backfill binary (`make build`)")
	checkers := flag.Int("checkers", 256, "rclone check --checkers")
	flag.Parse()
	backfill, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	sim, err := s3sim.Start(s3sim.Options{})
	if err != nil {
		return err
	}
	defer sim.Close()
	want, err := seed(sim, *n, *share)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, err := child.Env(dir, sim.URL())
	if err != nil {
		return err
	}
	tools := []tool{{name: "backfill verify", found: backfillFound,
		args: func(dir string) []string {
			// --head-undecided: the same-size rewrites (other ETags) are read
			// with a HEAD per side, as rclone check compares ETags as MD5s
			// (backfill's default, listing requests only, calls them
			// unverified: a listing cannot see encryption).
			return []string{backfill, "verify", "--from", "s3://primary", "--to", "s3://replica", "--no-progress",
				"--head-undecided", "10000", "--diff", filepath.Join(dir, "diff.csv"), "--report", filepath.Join(dir, "verify.json")}
		}}}
	if p, err := exec.LookPath("rclone"); err == nil {
		tools = append(tools, tool{name: fmt.Sprintf("rclone check --checkers %d", *checkers), found: rcloneFound,
			env: []string{"-AWS_CA_BUNDLE", "RCLONE_CONFIG_S3_TYPE=s3", "RCLONE_CONFIG_S3_PROVIDER=Other",
				"RCLONE_CONFIG_S3_ENDPOINT=" + sim.URL(), "RCLONE_CONFIG_S3_ACCESS_KEY_ID=s3sim",
				"RCLONE_CONFIG_S3_SECRET_ACCESS_KEY=s3simsecret", "RCLONE_CONFIG_S3_REGION=us-east-1", "RCLONE_CONFIG_S3_FORCE_PATH_STYLE=true"},
			args: func(dir string) []string {
				return []string{p, "check", "s3:primary", "s3:replica", "--checkers", fmt.Sprint(*checkers), "--combined", filepath.Join(dir, "combined.txt")}
			}})
	} else {
		fmt.Fprintln(os.Stderr, "verify: rclone not found: rclone check skipped (apt-get install rclone)")
	}
	sim.SetLatency(*latency)
	fmt.Printf("%d objects in each bucket, %s per request; planted in the replica: %d differences (%s)\n\n", *n, *latency, want.total(), classText(want))
	type row struct {
		walls, cpus, rss []float64
		requests         map[string]int64
		exact            string
	}
	rows := make([]row, len(tools))
	for round := range max(*runs, 1) {
		for k := range tools {
			i := (k + round) % len(tools)
			t := tools[i]
			tdir := filepath.Join(dir, fmt.Sprintf("%d-%d", i, round))
			if err := os.MkdirAll(tdir, 0o700); err != nil {
				return err
			}
			sim.ResetCounts()
			r, err := child.Run(t.args(tdir), child.With(env, t.env), filepath.Join(tdir, "log"))
			if err != nil {
				return err
			}
			got, err := t.found(tdir)
			exact := compare(want, got)
			if err != nil {
				exact = "NO: " + err.Error()
			}
			fmt.Fprintf(os.Stderr, "%s round %d: %.1f s, peak RSS %.0f MiB, exit %v; findings %s\n%s\n", t.name, round+1, r.Wall, r.PeakMiB, r.ExitErr, exact, tail(r.Log))
			rw := &rows[i]
			rw.walls, rw.cpus, rw.rss = append(rw.walls, r.Wall), append(rw.cpus, r.CPU()), append(rw.rss, r.PeakMiB)
			rw.requests = sim.Counts()
			if rw.exact == "" || !strings.HasPrefix(exact, "yes") {
				rw.exact = exact
			}
		}
	}
	fmt.Println("| tool | median wall s | objects compared/s | CPU s | peak RSS MiB (highest) | requests by operation | found exactly the planted differences |")
	fmt.Println("|---|---:|---:|---:|---:|---|---|")
	for i, t := range tools {
		rw := rows[i]
		fmt.Printf("| %s | %.1f | %.0f | %.1f | %.0f | %s | %s |\n", t.name, median(rw.walls), float64(*n)/median(rw.walls), median(rw.cpus),
			slices.Max(rw.rss), countText(rw.requests), rw.exact)
	}
	b := rows[0]
	if len(tools) > 1 {
		q := rows[1]
		ratio := median(q.walls) / median(b.walls)
		fmt.Printf("\nbackfill verify / %s: %.2fx faster (target >= 3x with the same findings: %s); backfill's peak RSS %.0f MiB (target < 512 MiB: %s)\n",
			tools[1].name, ratio, met(ratio >= 3 && strings.HasPrefix(b.exact, "yes") && strings.HasPrefix(q.exact, "yes")), slices.Max(b.rss), met(slices.Max(b.rss) < 512))
	}
	fmt.Printf("load average after the rounds: %s\n", loadavg())
	return nil
}

func keyOf(i int) string {
	return fmt.Sprintf("shows/s%02d/e%02d/frames/%06d.dpx", i/50000, i/1000%50, i%1000)
}

// seed fills both buckets alike, then plants the differences in the
// replica: every 1/share-th object, in turn missing, of another size, of
// other content at the same size (an older copy), and an object only the
// replica has beside it.
func seed(sim *s3sim.Sim, n int, share float64) (planted, error) {
	gen := func(i int) (string, int64) { return keyOf(i), 4096 + int64(i*7919%65536) }
	for _, b := range []string{"primary", "replica"} {
		if err := sim.Seed(b, n, gen); err != nil {
			return nil, err
		}
	}
	want := planted{}
	every := max(int(1/share), 1)
	older := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	for k, i := 0, every/2; i < n; k, i = k+1, i+every {
		key, size := gen(i)
		var err error
		switch k % 4 {
		case 0:
			sim.Delete("replica", key)
			want.add("missing", key)
		case 1:
			err = sim.Put("replica", s3sim.Object{Key: key, Size: size + 1, ETag: fmt.Sprintf(`"%032x"`, i), LastModified: older})
			want.add("differs", key)
		case 2:
			err = sim.Put("replica", s3sim.Object{Key: key, Size: size, ETag: fmt.Sprintf(`"%032x"`, i), LastModified: older})
			want.add("differs", key)
		case 3:
			extra := strings.TrimSuffix(key, ".dpx") + "-extra.dpx"
			err = sim.Put("replica", s3sim.Object{Key: extra, Size: size, ETag: fmt.Sprintf(`"%032x"`, i), LastModified: older})
			want.add("extra", extra)
		}
		if err != nil {
			return nil, err
		}
	}
	return want, nil
}

// backfillFound reads verify's --diff file: missing, size-differs and
// content-differs (as "differs"), extra.
func backfillFound(dir string) (planted, error) {
	f, err := os.Open(filepath.Join(dir, "diff.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	got := planted{}
	if _, err := r.Read(); err != nil { // the header
		return nil, err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return nil, err
		}
		class := rec[0]
		if class == "size-differs" || class == "content-differs" || class == "replica-newer" {
			class = "differs"
		}
		got.add(class, rec[1])
	}
}

// rcloneFound reads check's --combined file: "+ path" only in the source
// (missing), "- path" only in the destination (extra), "* path" different.
func rcloneFound(dir string) (planted, error) {
	b, err := os.ReadFile(filepath.Join(dir, "combined.txt"))
	if err != nil {
		return nil, err
	}
	got := planted{}
	for _, line := range strings.Split(string(b), "\n") {
		if len(line) < 3 {
			continue
		}
		switch line[0] {
		case '+':
			got.add("missing", line[2:])
		case '-':
			got.add("extra", line[2:])
		case '*':
			got.add("differs", line[2:])
		case '!':
			got.add("error", line[2:])
		}
	}
	return got, nil
}

// compare says whether got is exactly want, class by class.
func compare(want, got planted) string {
	var bad []string
	classes := map[string]bool{}
	for c := range want {
		classes[c] = true
	}
	for c := range got {
		classes[c] = true
	}
	for _, c := range sortedKeys(classes) {
		miss, wrong := 0, 0
		for k := range want[c] {
			if !got[c][k] {
				miss++
			}
		}
		for k := range got[c] {
			if !want[c][k] {
				wrong++
			}
		}
		if miss+wrong > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d not found, %d wrongly", c, miss, wrong))
		}
	}
	if len(bad) > 0 {
		return "NO: " + strings.Join(bad, "; ")
	}
	return fmt.Sprintf("yes: %s", classText(got))
}

func classText(p planted) string {
	var parts []string
	for _, c := range sortedKeys(p) {
		parts = append(parts, fmt.Sprintf("%s %d", c, len(p[c])))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	sort.Float64s(v)
	return v[(len(v)-1)/2]
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func countText(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func tail(s string) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > 8 {
		ls = ls[len(ls)-8:]
	}
	return strings.Join(ls, "\n")
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
