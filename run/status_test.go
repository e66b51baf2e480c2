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

// An endpoint without a scheme is a usage error naming its flag, before
// anything is opened or asked (copy and plan: Validate; cleanup: Cleanup).
func TestEndpointWithoutSchemeIsAUsageError(t *testing.T) {
	for _, flag := range []string{"--endpoint-url", "--source-endpoint-url", "--dest-endpoint-url"} {
		tr := newTestRun(t, 1)
		switch flag {
		case "--endpoint-url":
			tr.spec.AWS.Endpoint = "localhost:9000"
		case "--source-endpoint-url":
			tr.spec.SrcSide.Endpoint = "localhost:9000"
		default:
			tr.spec.DstSide.Endpoint = "localhost:9000"
		}
		err := tr.run(context.Background(), nil)
		if ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), flag+` "localhost:9000" needs a scheme`) || tr.connected {
			t.Errorf("%s: %v (exit %d, connected %v)", flag, err, ExitCode(err), tr.connected)
		}
	}
	dir := t.TempDir()
	spec := CleanupSpec{Checkpoint: filepath.Join(dir, "job.db")}
	spec.AWS.Endpoint = "ftp://host"
	if err := Cleanup(context.Background(), spec, nil, nil); ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), "--endpoint-url") {
		t.Errorf("cleanup: %v", err)
	}
	tr := newTestRun(t, 1)
	tr.spec.AWS.Endpoint = "https://s3.example.com:9000"
	if err := tr.run(context.Background(), nil); err != nil {
		t.Errorf("a URL with a scheme: %v", err)
	}
}
