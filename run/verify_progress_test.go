package run

import (
	"strings"
	"testing"
	"time"
)

// The verify progress line has an ETA only when the primary's total is
// known (an inventory), and it shrinks as the comparison goes on.
func TestVerifyETA(t *testing.T) {
	if got := etaText(500, 0, time.Minute); got != "" {
		t.Errorf("unknown total: %q", got)
	}
	if got := etaText(0, 1000, time.Minute); got != "" {
		t.Errorf("nothing done yet: %q", got)
	}
	if got, want := etaText(250, 1000, time.Minute), ", 25% of the primary's 1000, ETA 3m0s"; got != want {
		t.Errorf("a quarter done: %q, want %q", got, want)
	}
	if got, want := etaText(1200, 1000, time.Minute), ", 100% of the primary's 1000, ETA 0s"; got != want {
		t.Errorf("more than the total: %q, want %q", got, want)
	}
	r := &verifyRun{start: time.Now().Add(-10 * time.Second)}
	r.compared.Store(100)
	r.comparedPrimary.Store(100)
	r.total.Store(400)
	if line := r.progressLine(); !strings.Contains(line, "25% of the primary's 400, ETA 30s") {
		t.Errorf("progress line %q", line)
	}
}
