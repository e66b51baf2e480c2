package main

import (
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// tuneGC trades a little memory for CPU unless GOGC or GOMEMLIMIT say
// otherwise: a copy's CPU goes mostly to the SDK's short-lived garbage, so
// the collector runs at 4x the live heap instead of 2x, within a soft limit
// of 96 MiB of Go memory (measured on 100,000 copies at 50 ms: 19.5 s of
// CPU instead of 24.2 s, 91% of concurrency/latency instead of 84%; see
// BENCHMARKS.md).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(96 << 20)
	}
}

// startProfile writes a CPU profile of the run to the file
// BACKFILL_CPUPROFILE names, when it is set (for benchmarks); the
// returned function ends it.
func startProfile() func() {
	path := os.Getenv("BACKFILL_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
