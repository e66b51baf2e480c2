package checkpoint

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestTrackerWatermark(t *testing.T) {
	tr := NewTracker()
	tr.Found("s/", 1)
	for _, k := range []string{"s/a", "s/b", "s/c", "s/d"} {
		tr.Add("s/", k)
	}
	check := func(wantWM string, wantComplete bool) {
		t.Helper()
		st := tr.State("s/")
		if st.Watermark != wantWM || st.Complete != wantComplete || st.Depth != 1 {
			t.Errorf("state = %+v, want watermark %q complete %v", st, wantWM, wantComplete)
		}
	}
	check("", false)
	tr.Settle("s/", "s/b")
	check("", false) // s/a still in flight
	tr.Settle("s/", "s/a")
	check("s/b", false)
	tr.Settle("s/", "s/d")
	check("s/b", false) // s/c in flight
	tr.Settle("s/", "s/c")
	check("s/d", false) // all settled, listing not done
	tr.Listed("s/")
	check("s/d", true)

	// A resumed shard keeps its old watermark until it passes it.
	tr.Resume("r/", 2, "r/m", 1)
	if st := tr.State("r/"); st.Watermark != "r/m" || st.Complete {
		t.Errorf("resumed state %+v", st)
	}
	tr.Add("r/", "r/n")
	if st := tr.State("r/"); st.Watermark != "r/m" {
		t.Errorf("resumed with one in flight: %+v", st)
	}
	tr.Settle("r/", "r/n")
	tr.Listed("r/")
	if st := tr.State("r/"); st.Watermark != "r/n" || !st.Complete {
		t.Errorf("resumed done: %+v", st)
	}
}

// TestTrackerMatchesModel drives the tracker with random adds (in key
// order) and settles, and checks its watermark against the definition:
// the highest added key at or below which every added key is settled.
func TestTrackerMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for round := range 200 {
		tr := NewTracker()
		var added []string
		settled := map[string]bool{}
		var inflight []string
		next := 0
		for step := 0; step < 300; step++ {
			if rng.IntN(3) > 0 && next < 200 {
				k := fmt.Sprintf("k%04d", next)
				next++
				tr.Add("s", k)
				added = append(added, k)
				inflight = append(inflight, k)
			} else if len(inflight) > 0 {
				i := rng.IntN(len(inflight))
				k := inflight[i]
				inflight = append(inflight[:i], inflight[i+1:]...)
				tr.Settle("s", k)
				settled[k] = true
			}
			want := ""
			for _, k := range added {
				if !settled[k] {
					break
				}
				want = k
			}
			if got := tr.State("s").Watermark; got != want {
				t.Fatalf("round %d step %d: watermark %q, want %q", round, step, got, want)
			}
		}
	}
}
