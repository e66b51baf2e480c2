package smoke

import (
	"strings"
	"testing"
)

func TestBackfillComplete(t *testing.T) {
	table := func(rows ...string) string {
		return "## fresh copy\n\n| tool | median wall s | complete |\n|---|---:|---|\n" + strings.Join(rows, "\n") + "\n"
	}
	rerun := "| tool | re-run wall s | complete after first run | complete after re-run |\n|---|---:|---|---|\n"
	for _, c := range []struct {
		name, out string
		ok        bool
	}{
		{"complete", table("| backfill (defaults) | 1.0 | yes |", "| aws s3 sync | 2.0 | **no**: 3 missing |"), true},
		{"scale's form", "| tool | wall s | replica complete |\n|---|---|---|\n| backfill | 1.0 | yes: 2000 with the source's size and ETag |\n", true},
		{"incomplete", table("| backfill (defaults) | 1.0 | **1 of 3 runs incomplete**, no: 3 missing |"), false},
		{"no", table("| backfill (defaults) | 1.0 | no: 3 missing, 0 differ |"), false},
		{"exited", table("| backfill (defaults) | 1.0 | yes (1 run(s) exited: exit status 3) |"), false},
		{"scale exit", "| tool | replica complete |\n|---|---|\n| backfill | yes: 2000 (exit status 1) |\n", false},
		{"re-run incomplete", rerun + "| backfill --reset | 1.0 | yes | no: 1 missing |\n", false},
		{"first run incomplete", rerun + "| backfill (defaults) | 1.0 | **no**: 3 missing | yes |\n", false},
		{"killed", "| tool | replica complete |\n|---|---|\n| backfill | exited (signal: killed); replica yes: 2000 |\n", false},
		{"killed, old form", "| tool | replica complete |\n|---|---|\n| backfill | yes: 2000 (signal: killed) |\n", false},
		{"re-run complete", rerun + "| backfill --reset | 1.0 | yes | yes |\n", true},
		{"no table", "nothing printed\n", false},
		{"no completeness column", "| tool | requests |\n|---|---|\n| backfill | 3 |\n", false},
	} {
		if _, err := backfillComplete(c.out); (err == nil) != c.ok {
			t.Errorf("%s: backfillComplete = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
