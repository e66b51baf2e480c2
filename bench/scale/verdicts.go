package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
)

// verdicts are the targets a run of scale judges (issue 19): backfill
// against a peer, round by round; under a request ceiling; and over a long
// run, its memory and whether it slows down.
type verdicts struct {
	vs              string  // the peer's name contains this
	ratio, cpuRatio float64 // objects/s at least ratio x the peer's; CPU per copy at most cpuRatio x
	first           int     // the first N copies timed
	rssMiB          float64 // peak RSS under this
	n               int
	latency         time.Duration
	ceiling         float64
	load0           string
}

// wanted says whether a peer's name contains one of the comma-separated
// parts of only ("" takes all).
func wanted(name, only string) bool {
	if only == "" {
		return true
	}
	for _, p := range strings.Split(only, ",") {
		if p != "" && strings.Contains(name, p) {
			return true
		}
	}
	return false
}

// concurrencyOf reads the peak concurrency backfill's --report recorded
// (def when it cannot).
func concurrencyOf(path string, def int) int {
	var rep struct {
		Concurrency struct {
			Mode              string
			Start, Final, Max int
			Peak              int
			Steps             []struct {
				At     float64 `json:"at_seconds"`
				Limit  int     `json:"concurrency"`
				Reason string
				Tput   float64 `json:"requests_per_second"`
				LatMS  float64 `json:"latency_ms"`
			}
		}
	}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &rep) != nil || rep.Concurrency.Peak == 0 {
		return def
	}
	c := rep.Concurrency
	var steps []string
	for _, s := range c.Steps {
		steps = append(steps, fmt.Sprintf("%.1fs %s %d (after %.0f/s, %.0f ms)", s.At, s.Reason, s.Limit, s.Tput, s.LatMS))
	}
	fmt.Fprintf(os.Stderr, "backfill's concurrency: %s, start %d, final %d, peak %d, max %d; %s\n", c.Mode, c.Start, c.Final, c.Peak, c.Max, strings.Join(steps, ", "))
	return c.Peak
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	return v[(len(v)-1)/2]
}

func cpuPer(r result, n int) float64 { return (r.user + r.sys) / float64(n) }

// print writes the verdicts the flags asked for.
func (v verdicts) print(tools []tool, byTool [][]result, rows []result) {
	b := byTool[0] // backfill runs first in tools
	fmt.Printf("\nper round (objects/s; CPU user+sys µs per object):\n\n| round |")
	for _, t := range tools {
		fmt.Printf(" %s |", t.name)
	}
	fmt.Printf("\n|---:|%s\n", strings.Repeat("---:|", len(tools)))
	for round := range b {
		fmt.Printf("| %d |", round+1)
		for i := range tools {
			r := byTool[i][round]
			fmt.Printf(" %.0f (%.0f µs) |", float64(v.n)/r.wall, 1e6*cpuPer(r, v.n))
		}
		fmt.Println()
	}
	if v.vs != "" {
		v.judgePeer(tools, byTool, rows)
	}
	if v.ceiling > 0 {
		ideal := float64(v.n) / v.ceiling
		r := rows[0]
		fmt.Printf("\nceiling %.0f requests/s for all requests (listing included): N/ceiling = %.1f s; backfill's median %.1f s = %.2fx, %d SlowDown answers, replica %s, exit %s (target <= 1.15x, 0 failed: %s)\n",
			v.ceiling, ideal, r.wall, r.wall/ideal, r.slow, r.check, exitText(r), met(r.wall/ideal <= 1.15 && r.ok()))
	}
	if v.first > 0 {
		for _, r := range b {
			if r.firstPhase <= 0 || r.copyPhase <= 0 {
				fmt.Printf("\nround %d: the first %d copies were not timed\n", r.round+1, v.first)
				continue
			}
			firstRate, all := float64(v.first)/r.firstPhase, float64(v.n)/r.copyPhase
			fmt.Printf("\nround %d: the first %d copies at %.0f objects/s, the whole run's %d at %.0f (%.0f%%; target >= 85%%: %s)\n",
				r.round+1, v.first, firstRate, v.n, all, 100*all/firstRate, met(all >= 0.85*firstRate && r.ok()))
		}
	}
	if v.rssMiB > 0 {
		fmt.Printf("\nbackfill's peak RSS %.0f MiB (highest run; target < %.0f MiB: %s)\n", rows[0].maxRSS, v.rssMiB, met(rows[0].maxRSS < v.rssMiB))
	}
	fmt.Printf("load average before the rounds: %s\n", v.load0)
}

// judgePeer compares backfill with the peer -vs names, by the medians of
// the rounds.
func (v verdicts) judgePeer(tools []tool, byTool [][]result, rows []result) {
	p := -1
	for i, t := range tools {
		if i > 0 && strings.Contains(t.name, v.vs) {
			p = i
			break
		}
	}
	if p < 0 {
		fmt.Printf("\nno peer named %q ran: no verdict\n", v.vs)
		return
	}
	var ratios, cpus []float64
	for round := range byTool[0] {
		b, q := byTool[0][round], byTool[p][round]
		ratios = append(ratios, q.wall/b.wall)
		cpus = append(cpus, cpuPer(b, v.n)/cpuPer(q, v.n))
	}
	b, q := rows[0], rows[p]
	ratio := float64(v.n) / b.wall / (float64(v.n) / q.wall)
	fmt.Printf("\n| scenario | backfill objects/s | %s objects/s | ratio (medians) | median of the rounds' ratios | CPU per copy backfill / peer | target | met |\n|---|---:|---:|---:|---:|---:|---|---|\n", tools[p].name)
	fmt.Printf("| %d objects, %s | %.0f | %.0f | %.2fx | %.2fx | %.2f | >= %.1fx, CPU <= %.1fx | %s |\n", v.n, v.latency,
		float64(v.n)/b.wall, float64(v.n)/q.wall, ratio, median(ratios), median(cpus), v.ratio, v.cpuRatio,
		met((v.ratio == 0 || median(ratios) >= v.ratio) && (v.cpuRatio == 0 || median(cpus) <= v.cpuRatio) && b.ok()))
}

func exitText(r result) string {
	if r.exitErr == "" {
		return "0"
	}
	return r.exitErr
}
