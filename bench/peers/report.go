package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/backfill-dev/backfill/bench/internal/stats"
)

// sample is one run of one tool in one scenario. p, counts and chk are the
// run the scenario measures (in rerun and resume: the second one).
type sample struct {
	p      proc
	counts map[string]int
	chk    check

	first       proc           // rerun: the first run; resume: the interrupted one
	firstCounts map[string]int // its requests
	firstChk    check          // rerun: the replica after the first run
	statuses    map[int]int    // slowdown: answers by HTTP status
}

// each runs one(t) -runs times for every installed tool, interleaving the
// tools (run 1 of each, then run 2 of each, ...) so that a slow spell of the
// machine does not land on one tool only.
func (b *bench) each(label string, one func(t tool) (sample, error)) ([][]sample, error) {
	res := make([][]sample, len(b.tools))
	for r := range b.runs {
		// The order turns each round, so no tool always follows the same
		// one (whose after-effects, such as freed memory or a disk still
		// flushing, the next run may meet).
		for k := range b.tools {
			i := (k + r) % len(b.tools)
			t := b.tools[i]
			if t.missing != "" {
				continue
			}
			s, err := one(t)
			if err != nil {
				return nil, err
			}
			res[i] = append(res[i], s)
			fmt.Fprintf(os.Stderr, "[%s] %s, run %d/%d: %.2f s (CPU: tool %.2f s, versitygw %.2f s, proxy+bench %.2f s), %d requests, CopyObject %d, complete: %s\n",
				label, t.name, r+1, b.runs, s.p.wall, cpu(s), serverCPU(s), harnessCPU(s), total(s.counts), s.counts["CopyObject"], s.chk)
		}
	}
	return res, nil
}

// med is the median of f over ss (the lower middle one for an even count).
func med(ss []sample, f func(sample) float64) float64 {
	if len(ss) == 0 {
		return 0
	}
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	sort.Float64s(v)
	return v[(len(v)-1)/2]
}

// medianRun is the run with the median wall time: its request counts are
// the ones a table shows.
func medianRun(ss []sample) sample {
	c := append([]sample(nil), ss...)
	sort.Slice(c, func(i, j int) bool { return c[i].p.wall < c[j].p.wall })
	return c[(len(c)-1)/2]
}

func wall(s sample) float64       { return s.p.wall }
func cpu(s sample) float64        { return s.p.cpu }
func serverCPU(s sample) float64  { return s.p.serverCPU }
func harnessCPU(s sample) float64 { return s.p.harnessCPU }
func rss(s sample) float64        { return float64(s.p.rssKiB) / 1024 }

// allComplete reports whether every run left a complete replica.
func allComplete(ss []sample) bool {
	for _, s := range ss {
		if !s.chk.complete() {
			return false
		}
	}
	return len(ss) > 0
}

// completeText is the complete column: yes (with the sampled copies of the
// first run whose copies gained user-metadata keys, if one did), or how many runs fell
// short and how, plus any run that exited non-zero without being interrupted.
func completeText(ss []sample) string {
	bad, exits := 0, 0
	var first check
	var exit string
	for _, s := range ss {
		if !s.chk.complete() {
			if bad == 0 {
				first = s.chk
			}
			bad++
		}
		if s.p.exit != "" && !s.p.interrupted {
			if exits == 0 {
				exit = s.p.exit
			}
			exits++
		}
	}
	t := "yes"
	if bad > 0 {
		t = fmt.Sprintf("**%d of %d runs incomplete**, %s", bad, len(ss), first)
	} else {
		for _, s := range ss {
			if s.chk.gained > 0 {
				t = s.chk.String() // "yes; k of m sampled gained user metadata (e.g. ...)"
				break
			}
		}
	}
	if exits > 0 {
		t += fmt.Sprintf(" (%d run(s) exited: %s)", exits, exit)
	}
	return t
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// reqText is "N: Op a, Op b, ..." with the most frequent operation first.
func reqText(m map[string]int) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return fmt.Sprintf("%d: %s", total(m), strings.Join(parts, ", "))
}

// statusText lists the answers that were not 2xx/3xx other than 503.
func statusText(m map[int]int) string {
	var codes []int
	for c := range m {
		if c >= 400 && c != 503 {
			codes = append(codes, c)
		}
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d x%d", c, m[c]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// skipped prints the row of a tool that could not run.
func skipped(t tool, cols int) {
	fmt.Printf("| %s |%s skipped: %s |\n", t.name, strings.Repeat(" - |", cols-2), t.missing)
}

// backfillAndPeers splits the results: backfill's (nil if it did not run) and
// the fastest peer whose every run left a complete replica. Faster peers
// left out because a run was incomplete are named in excluded.
func (b *bench) backfillAndPeers(res [][]sample) (bf []sample, best string, bestWall float64) {
	bf, best, bestWall, _ = b.peersBy(res)
	return bf, best, bestWall
}

func (b *bench) peersBy(res [][]sample) (bf []sample, best string, bestWall float64, excluded []string) {
	for i, t := range b.tools {
		if len(res[i]) == 0 {
			continue
		}
		if strings.HasPrefix(t.name, "backfill") {
			bf = res[i]
			continue
		}
		if w := med(res[i], wall); allComplete(res[i]) && (best == "" || w < bestWall) {
			best, bestWall = t.name, w
		}
	}
	for i, t := range b.tools {
		if len(res[i]) > 0 && !strings.HasPrefix(t.name, "backfill") && !allComplete(res[i]) && (best == "" || med(res[i], wall) < bestWall) {
			excluded = append(excluded, t.name)
		}
	}
	return bf, best, bestWall, excluded
}

// peersRan reports whether any tool other than backfill has results.
func (b *bench) peersRan(res [][]sample) bool {
	for i, t := range b.tools {
		if len(res[i]) > 0 && !strings.HasPrefix(t.name, "backfill") {
			return true
		}
	}
	return false
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**NOT met**"
}

// roundRatios says, round by round, how much faster backfill was than
// peer, and the median of those ratios (for an even count, the mean of
// the middle two). A round runs each tool once, so the two runs of a pair
// are close in time: back to back when only these two tools run, minutes
// apart in a full run, where the other tools' runs come between. On a
// machine whose speed drifts during the bench, these pairs show what the
// ratio of the medians (the verdict) can hide. It is printed beside the
// verdict, not instead of it. Runs pair by index: each appends one sample
// per tool and round, and stops the bench on any error.
func roundRatios(bf, peer []sample) string {
	n := min(len(bf), len(peer))
	if n == 0 {
		return "per round: no pair of runs"
	}
	r := make([]float64, n)
	for i := range n {
		r[i] = peer[i].p.wall / bf[i].p.wall
	}
	return fmt.Sprintf("per round (the peer's wall time / backfill's, same round): %s; their median %.2fx", stats.List(r, "%.2f"), stats.Median(r))
}
