package gctune

import (
	"runtime/debug"
	"testing"
)

// TestLimitFollowsTheConcurrency: the soft limit grows with the requests
// in flight, stays under 1 GiB up to 4,096 of them, and a GOMEMLIMIT in
// the environment is left alone.
func TestLimitFollowsTheConcurrency(t *testing.T) {
	if Limit(1024) <= Limit(256) || Limit(4096) >= 1<<30 || Limit(0) != Limit(1) {
		t.Errorf("limits %d %d %d", Limit(256), Limit(1024), Limit(4096))
	}
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	t.Setenv("GOMEMLIMIT", "")
	Follow(1024)
	if got := debug.SetMemoryLimit(-1); got != Limit(1024) {
		t.Errorf("limit %d after Follow(1024), want %d", got, Limit(1024))
	}
	t.Setenv("GOMEMLIMIT", "3GiB")
	Follow(2048)
	if got := debug.SetMemoryLimit(-1); got != Limit(1024) {
		t.Errorf("GOMEMLIMIT set, yet the limit moved to %d", got)
	}
}
