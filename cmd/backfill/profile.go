package main

import (
	"os"
	"runtime/pprof"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/gctune"
)

// tuneGC sets GOGC and a memory limit for the adaptive start's
// concurrency before any command runs (verify, plan and batchops keep
// it; they run fewer requests, so it is a ceiling, not a target); a
// copy's engine then moves the limit with the concurrency in use
// (gctune.Follow, through engine.Options.OnConcurrency).
func tuneGC() { gctune.Init(engine.DefaultStartConcurrency) }

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
