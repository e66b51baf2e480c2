package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	t.Parallel()
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "4d8311d0a1b2c3d4e5f60718293a4b5c6d7e8f90"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tc := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.3", nil, "v1.2.3"},
		{"", nil, "(devel)"},
		{"(devel)", []debug.BuildSetting{rev}, "(devel) (revision 4d8311d0a1b2)"},
		{"(devel)", []debug.BuildSetting{rev, dirty}, "(devel) (revision 4d8311d0a1b2, modified)"},
		{"v0.0.0-20260101120000-4d8311d0a1b2+dirty", []debug.BuildSetting{rev, dirty}, "v0.0.0-20260101120000-4d8311d0a1b2+dirty"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/backfill-dev/backfill", Version: tc.main}, Settings: tc.settings}
		if got := versionOf(info); got != tc.want {
			t.Errorf("versionOf(%q, %v) = %q, want %q", tc.main, tc.settings, got, tc.want)
		}
	}
}
