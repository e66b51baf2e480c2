package engine

import "testing"

func TestTrackerWatermark(t *testing.T) {
	tr := newTracker()
	tr.found("s/", 1)
	for _, k := range []string{"s/a", "s/b", "s/c", "s/d"} {
		tr.add("s/", k)
	}
	check := func(wantWM string, wantComplete bool) {
		t.Helper()
		st := tr.state("s/")
		if st.Watermark != wantWM || st.Complete != wantComplete || st.Depth != 1 {
			t.Errorf("state = %+v, want watermark %q complete %v", st, wantWM, wantComplete)
		}
	}
	check("", false)
	tr.settle("s/", "s/b")
	check("", false) // s/a still in flight
	tr.settle("s/", "s/a")
	check("s/b", false)
	tr.settle("s/", "s/d")
	check("s/b", false) // s/c in flight
	tr.settle("s/", "s/c")
	check("s/d", false) // all settled, listing not done
	tr.listed("s/")
	check("s/d", true)

	// A resumed shard keeps its old watermark until it passes it.
	tr.resume("r/", 2, "r/m")
	if st := tr.state("r/"); st.Watermark != "r/m" || st.Complete {
		t.Errorf("resumed state %+v", st)
	}
	tr.add("r/", "r/n")
	if st := tr.state("r/"); st.Watermark != "r/m" {
		t.Errorf("resumed with one in flight: %+v", st)
	}
	tr.settle("r/", "r/n")
	tr.listed("r/")
	if st := tr.state("r/"); st.Watermark != "r/n" || !st.Complete {
		t.Errorf("resumed done: %+v", st)
	}
}
