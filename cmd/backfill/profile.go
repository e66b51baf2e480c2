package main

import (
	"os"
	"runtime/pprof"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/gctune"
)

// tuneGC sets GOGC and a memory limit for the adaptive start's
// concurrency before any command runs; verify and batchops raise it for
// a larger fixed --concurrency (fixedGC), and a copy's engine moves it
// with the concurrency in use (gctune.Follow, through
// engine.Options.OnConcurrency).
func tuneGC() { gctune.Init(engine.DefaultStartConcurrency) }

// fixedGC sets the GC's memory limit for a command whose concurrency is
// fixed at n (verify, batchops), as copy's controller does at each change:
// never below the start's, so only a larger n changes it. It returns n.
func fixedGC(n int) int {
	gctune.Follow(max(n, engine.DefaultStartConcurrency))
	return n
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
