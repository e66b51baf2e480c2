package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/internal/exitcode"
)

// status and cleanup read what a copy recorded: on a checkpoint that does
// not exist they say so, naming it, exit 1, and create nothing.
func TestStatusAndCleanupOnAMissingCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nothing-ran.db")
	_, statusErr := Status(StatusSpec{Checkpoint: path})
	cleanupErr := Cleanup(context.Background(), CleanupSpec{Checkpoint: path},
		func(UploadLine) { t.Error("cleanup showed an upload") }, func(string) {})
	for name, err := range map[string]error{"status": statusErr, "cleanup": cleanupErr} {
		if err == nil || !strings.Contains(err.Error(), "no checkpoint at "+path) || ExitCode(err) != exitcode.Failed {
			t.Errorf("%s: %v (exit %d), want exit 1 saying there is no checkpoint at %s", name, err, ExitCode(err), path)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("created %v", ents)
	}
}
