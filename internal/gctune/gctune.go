// Package gctune sets Go's garbage collector for backfill's work, a few
// requests in flight each making short-lived garbage (the SDK's), so that
// the collector neither runs all the time nor lets memory grow with the
// number of objects.
//
//   - GOGC 300 (collect at 4x the live heap instead of 2x): a copy's CPU
//     goes mostly to the SDK's garbage, so fewer collections save CPU.
//   - A soft memory limit that follows the concurrency in use: Base plus
//     PerRequest for each request allowed in flight. The live heap grows
//     with the requests in flight (their goroutines' stacks, the SDK's
//     request and response state, connection buffers), so a fixed limit
//     that fits 256 in flight makes the collector run without pause at
//     1,024 (measured: 4x the CPU of the same run without the limit);
//     one that grows with them keeps it at its GOGC pace, and memory still
//     grows with concurrency, never with the number of objects.
//
// A GOGC or GOMEMLIMIT in the environment wins: the package then leaves
// that setting alone.
package gctune

import (
	"os"
	"runtime/debug"
	"sync"
)

const (
	// GCPercent is the GOGC backfill runs with.
	GCPercent = 300
	// Base is the limit's share for everything but the requests in
	// flight: the channels of entries, the checkpoint's batches, listing
	// pages, an inventory's sort buffers.
	Base = 128 << 20
	// PerRequest is the limit's share per request allowed in flight.
	// Measured (GODEBUG=gctrace=1, the simulator at 300 ms): the live heap
	// after marking is 11 MB at 256 in flight, 38-40 MB at 1,024, up to
	// 57 MB at 2,048, about 40 KB per request; GOGC 300 lets the heap reach
	// 4x that, 160 KB per request. 192 KiB keeps the limit above the GOGC
	// goal (so the collector keeps its pace), and under 1 GiB up to 4,096
	// in flight.
	PerRequest = 192 << 10
)

var (
	mu      sync.Mutex
	applied int64 // the limit set last (0: none)
)

// Limit is the soft memory limit for n requests in flight.
func Limit(n int) int64 { return Base + PerRequest*int64(max(n, 1)) }

// Init sets GOGC (unless the environment does) and the memory limit for
// n requests in flight.
func Init(n int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	Follow(n)
}

// Follow sets the memory limit for n requests in flight, unless
// GOMEMLIMIT is set. Safe for concurrent use.
func Follow(n int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	l := Limit(n)
	mu.Lock()
	defer mu.Unlock()
	if l != applied {
		debug.SetMemoryLimit(l)
		applied = l
	}
}
