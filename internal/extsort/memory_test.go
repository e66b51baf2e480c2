package extsort

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMemoryBounded sorts 2M records (about 80 MB in run files, some
// 130 MB as Go values) with a 4 MiB budget and a fan-in of 8, so runs
// are merged before the last merge, and samples the live heap after a GC:
// each time the buffer is within 256 bytes of the budget (about to spill)
// and every 100k records of the final merge. The heap above the baseline
// must stay under the bound the package promises: budget + (fan-in + 1)
// buffers, plus 2 MiB for what the test and runtime hold. The open files
// must stay within the fan-in.
func TestMemoryBounded(t *testing.T) {
	const (
		n      = 2_000_000
		budget = 4 << 20
		fanIn  = 8
		every  = 100_000
	)
	opts := Options{MemoryBytes: budget, FanIn: fanIn}
	bound := uint64(budget + (fanIn+1)*DefaultBufferBytes + 2<<20)
	base := liveHeap()
	fds := openFiles()
	var peak uint64
	sample := func() {
		peak = max(peak, liveHeap()-min(base, liveHeap()))
		if f := openFiles(); f > fds+fanIn+1 {
			t.Errorf("%d files open, %d before: more than the fan-in", f, fds)
		}
	}

	s := newSorter(t, opts)
	key := make([]byte, 0, 32)
	sampled := -1 // the run the buffer was last sampled before
	for i := range n {
		// Keys "obj/<k>" with k a permutation of 0..n/2-1, each twice.
		k := uint64(i) * 2654435761 % (1 << 32) % (n / 2)
		key = strconv.AppendUint(append(key[:0], "obj/"...), k, 10)
		if err := s.Add(rec{Key: string(key), N: int64(i)}); err != nil {
			t.Fatal(err)
		}
		if s.used > budget-256 && s.stats.Runs != sampled {
			sample()
			sampled = s.stats.Runs
		}
	}
	var count, sum int64
	var prev rec
	for r, err := range s.Sorted(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if count > 0 && (r.Key < prev.Key || r.Key == prev.Key && r.N < prev.N) {
			t.Fatalf("record %d: %v after %v", count, r, prev)
		}
		prev = r
		count++
		sum += r.N
		if count%every == 0 {
			sample()
		}
	}
	if count != n || sum != n*(n-1)/2 {
		t.Fatalf("got %d records summing to %d, want %d summing to %d", count, sum, n, n*(n-1)/2)
	}
	st := s.Stats()
	t.Logf("%d records, %d runs, %d merges, %.1f MB written; peak live heap %.2f MiB over baseline, bound %.2f MiB",
		n, st.Runs, st.Merges, float64(st.BytesWritten)/1e6, float64(peak)/(1<<20), float64(bound)/(1<<20))
	if st.Merges == 0 {
		t.Errorf("no merge before the last: the test should cover several passes")
	}
	if peak > bound {
		t.Errorf("live heap grew by %d bytes, bound %d", peak, bound)
	}
}

// liveHeap is the heap in use after a full GC.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// openFiles counts this process's open files (0 where /proc is missing).
func openFiles() int {
	fds, _ := os.ReadDir("/proc/self/fd")
	return len(fds)
}
