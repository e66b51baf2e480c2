package extsort

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
)

// randomRecs returns n recs with keys of 1 to maxLen letters from a
// three-letter alphabet (so many are equal), N their index.
func randomRecs(seed uint64, n, maxLen int) []rec {
	r := rand.New(rand.NewPCG(seed, 0))
	recs := make([]rec, n)
	for i := range recs {
		b := make([]byte, 1+r.IntN(maxLen))
		for j := range b {
			b[j] = "abc"[r.IntN(3)]
		}
		recs[i] = rec{Key: string(b), N: int64(i)}
	}
	return recs
}

func want(recs []rec) []rec {
	w := slices.Clone(recs)
	sort.SliceStable(w, func(i, j int) bool { return w[i].Key < w[j].Key })
	return w
}

func TestSortMatchesSliceStable(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, maxLen  int
		opts       Options
		runs       bool // expect runs on disk
		wantMerges bool // expect merges before the last
	}{
		{"in memory", 5000, 6, Options{}, false, false},
		{"one merge pass", 5000, 6, Options{MemoryBytes: 8 << 10}, true, false},
		{"fan-in 2", 5000, 6, Options{MemoryBytes: 2 << 10, FanIn: 2}, true, true},
		{"fan-in 3, tiny buffers", 3000, 40, Options{MemoryBytes: 1 << 10, FanIn: 3, BufferBytes: 16}, true, true},
		{"all duplicates", 3000, 1, Options{MemoryBytes: 1 << 10, FanIn: 4}, true, true},
		{"empty", 0, 1, Options{MemoryBytes: 1 << 10}, false, false},
		{"one record", 1, 5, Options{MemoryBytes: 1 << 10}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := randomRecs(uint64(tc.n), tc.n, tc.maxLen)
			got, s := sortAll(t, recs, tc.opts)
			if w := want(recs); !slices.Equal(got, w) {
				t.Fatalf("got %d records, want %d; first difference at %d", len(got), len(w), firstDiff(got, w))
			}
			st := s.Stats()
			if st.Records != int64(tc.n) || (st.Runs > 0) != tc.runs || (st.Merges > 0) != tc.wantMerges {
				t.Errorf("stats %+v: want runs %v, merges %v", st, tc.runs, tc.wantMerges)
			}
		})
	}
}

func firstDiff(a, b []rec) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// fixed returns n recs with 10-byte keys in descending order: each
// encodes in 19 bytes.
func fixed(n int, keyLen int) []rec {
	recs := make([]rec, n)
	for i := range recs {
		k := []byte(strings.Repeat("x", keyLen-6))
		k = append(k, byte('a'+(n-i)/26/26/26%26), byte('a'+(n-i)/26/26%26), byte('a'+(n-i)/26%26), byte('a'+(n-i)%26), '-', '0')
		recs[i] = rec{Key: string(k), N: int64(i)}
	}
	return recs
}

func TestBudgetEdges(t *testing.T) {
	const overhead = 13 // 19 encoded + 13 = 32 bytes per 10-byte-key record
	for _, tc := range []struct {
		name   string
		recs   []rec
		budget int64
		runs   int
	}{
		{"exactly at budget stays in memory", fixed(100, 10), 100 * 32, 0},
		{"one byte short spills once", fixed(100, 10), 100*32 - 1, 1},
		{"one record past budget spills once", fixed(101, 10), 100 * 32, 1},
		{"records larger than the budget, one run each", fixed(20, 1000), 100, 19},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, s := sortAll(t, tc.recs, Options{MemoryBytes: tc.budget, RecordOverhead: overhead, FanIn: 4})
			if w := want(tc.recs); !slices.Equal(got, w) {
				t.Fatalf("wrong order; first difference at %d", firstDiff(got, w))
			}
			if st := s.Stats(); st.Runs != tc.runs {
				t.Errorf("runs = %d, want %d", st.Runs, tc.runs)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{{MemoryBytes: -1}, {FanIn: 1}, {FanIn: -2}, {BufferBytes: -1}, {RecordOverhead: -1}} {
		if _, err := New(byKey, Codec[rec](recCodec{}), o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	if _, err := New[rec](nil, recCodec{}, Options{}); err == nil {
		t.Error("New without cmp accepted")
	}
	s, err := New(byKey, Codec[rec](recCodec{}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.opts.MemoryBytes != DefaultMemoryBytes || s.opts.FanIn != DefaultFanIn ||
		s.opts.BufferBytes != DefaultBufferBytes || s.opts.RecordOverhead != 24+recordSlack {
		t.Errorf("defaults: %+v", s.opts)
	}
}

func TestTempFilesPrivateAndRemoved(t *testing.T) {
	parent := t.TempDir()
	s := newSorter(t, Options{Dir: parent, MemoryBytes: 1 << 10})
	for _, r := range randomRecs(1, 1000, 8) {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	dirs, runs := tempDirs(t, parent), runFiles(t, parent)
	if len(dirs) != 1 || len(runs) == 0 {
		t.Fatalf("temp dirs %v, runs %d", dirs, len(runs))
	}
	if fi, err := os.Stat(dirs[0]); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("temp dir: %v, %v; want 0700", fi.Mode(), err)
	}
	for _, p := range runs {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want 0600", p, fi.Mode(), err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := tempDirs(t, parent); len(d) != 0 {
		t.Errorf("after Close: %v", d)
	}
	if err := s.Add(rec{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
}

// spilled returns a Sorter holding n random recs in runs of about 1 KiB.
func spilled(t *testing.T, parent string, n int) *Sorter[rec] {
	t.Helper()
	s := newSorter(t, Options{Dir: parent, MemoryBytes: 1 << 10, FanIn: 3})
	for _, r := range randomRecs(2, n, 8) {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestEarlyStopCleansUp(t *testing.T) {
	parent := t.TempDir()
	s := spilled(t, parent, 5000)
	n := 0
	for _, err := range s.Sorted(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			// The runs merged away before the last merge are gone.
			if r := runFiles(t, parent); len(r) > 3 {
				t.Errorf("%d run files at the final merge, fan-in 3", len(r))
			}
		}
		if n++; n == 10 {
			break
		}
	}
	if d := tempDirs(t, parent); len(d) != 0 {
		t.Errorf("after an early stop: %v", d)
	}
}

func TestStops(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   int // records read before stop; 0: before the merges
		stop func(s *Sorter[rec], cancel context.CancelFunc)
		want error
	}{
		{"ctx cancelled before", 0, func(_ *Sorter[rec], cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"ctx cancelled", 100, func(_ *Sorter[rec], cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"Close while iterating", 100, func(s *Sorter[rec], _ context.CancelFunc) { s.Close() }, ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			s := spilled(t, parent, 5000)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.at == 0 {
				tc.stop(s, cancel)
			}
			n, last := 0, error(nil)
			for _, err := range s.Sorted(ctx) {
				if err != nil {
					last = err
					continue // an error ends the sequence by itself
				}
				if n++; n == tc.at {
					tc.stop(s, cancel)
				}
			}
			if !errors.Is(last, tc.want) || n > tc.at+checkEvery {
				t.Errorf("after %d records: %v, want %v", n, last, tc.want)
			}
			if d := tempDirs(t, parent); len(d) != 0 {
				t.Errorf("left %v", d)
			}
		})
	}
}

func TestSortsOnce(t *testing.T) {
	s := spilled(t, t.TempDir(), 100)
	seq := s.Sorted(context.Background())
	for range seq {
	}
	if err := s.Add(rec{}); !errors.Is(err, ErrSorted) {
		t.Errorf("Add after Sorted: %v", err)
	}
	for _, err := range seq {
		if !errors.Is(err, ErrSorted) {
			t.Errorf("second range: %v", err)
		}
	}
	for _, err := range s.Sorted(context.Background()) {
		if !errors.Is(err, ErrSorted) {
			t.Errorf("second Sorted: %v", err)
		}
	}
}

func TestSpillErrorSticks(t *testing.T) {
	s := newSorter(t, Options{Dir: t.TempDir() + "/missing", MemoryBytes: 1 << 10})
	var first error
	for _, r := range randomRecs(3, 1000, 8) {
		if first = s.Add(r); first != nil {
			break
		}
	}
	if !errors.Is(first, os.ErrNotExist) {
		t.Fatalf("Add into a missing dir: %v", first)
	}
	if err := s.Add(rec{}); err != first {
		t.Errorf("next Add: %v, want %v", err, first)
	}
	for _, err := range s.Sorted(context.Background()) {
		if err != first {
			t.Errorf("Sorted: %v, want %v", err, first)
		}
	}
}
