package batchops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

// LargeRecord is what a submit kept out of its job for being over
// MaxCopySize: the manifest that lists them (with its SHA-256, so a
// resumed submit copies the very objects it listed), the checkpoint of
// their local copy, and whether that copy finished.
type LargeRecord struct {
	Manifest   string `json:"manifest"`
	SHA256     string `json:"sha256"`
	Objects    int64  `json:"objects"`
	Bytes      int64  `json:"bytes"`
	Checkpoint string `json:"checkpoint"`
	Done       bool   `json:"done,omitempty"`
}

// runLocal is the local copy of large objects and of retry --locally
// (a seam for tests).
var runLocal = run.Run

// writeLarge writes the collected objects over MaxCopySize to
// --large-manifest (0600) and describes them; nil when there are none.
// name tells their default checkpoint apart from another submit's
// (backfill-large-NAME.db beside the state file).
func (b *submit) writeLarge(col *collector, name string) (*LargeRecord, error) {
	if len(col.large) == 0 {
		return nil, nil
	}
	path, err := filepath.Abs(b.spec.LargeManifest)
	if err != nil {
		return nil, fmt.Errorf("--large-manifest: %w", err)
	}
	if err := col.writeLarge(path); err != nil {
		return nil, fmt.Errorf("--large-manifest: %w", err)
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, fmt.Errorf("--large-manifest: %w", err)
	}
	l := &LargeRecord{Manifest: path, SHA256: sum, Objects: int64(len(col.large)), Bytes: col.lbytes, Checkpoint: b.spec.LargeCheckpoint}
	if l.Checkpoint == "" {
		l.Checkpoint = filepath.Join(filepath.Dir(b.spec.State), "backfill-large-"+name[:12]+".db")
	}
	if l.Checkpoint, err = filepath.Abs(l.Checkpoint); err != nil {
		return nil, fmt.Errorf("--large-checkpoint: %w", err)
	}
	return l, nil
}

// copyLarge copies the objects l lists with the local engine
// (--large-locally, resumable from l's checkpoint), or says where they
// are listed. Once the copy finished without a failure, l is marked done
// and, when rec holds l, the state file says so: a submit run again does
// not copy them again.
func (b *submit) copyLarge(ctx context.Context, l *LargeRecord, rec *Record) error {
	if l == nil || l.Done {
		return nil
	}
	if !b.spec.LargeLocally {
		b.out.largeListed(l.Objects, l.Bytes, l.Manifest, b.spec.Run.From.String(), b.spec.Run.To.String())
		return nil
	}
	if sum, err := fileSHA256(l.Manifest); err != nil || sum != l.SHA256 {
		return &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("the %s over 5 GiB this submit kept out of its job were listed in %s, which is gone or was written again since (%v): copy them with `backfill copy --manifest`, or remove this submit's record from %s",
			report.Plural(l.Objects, "object"), l.Manifest, err, b.spec.State)}
	}
	b.out.note("Copying the %s over 5 GiB (%s) on this machine, in parts (listed in %s; checkpoint %s):",
		report.Plural(l.Objects, "object"), report.HumanBytes(l.Bytes), l.Manifest, l.Checkpoint)
	spec := b.spec.Run
	spec.Plan, spec.Engine.DryRun = false, false
	spec.Source = inventory.Spec{Manifest: l.Manifest}
	spec.Checkpoint, spec.Reset = l.Checkpoint, false
	spec.Output = report.Options{JSON: b.spec.JSON}
	err := runLocal(ctx, &spec, run.Env{Stdout: b.env.Stdout, Stderr: b.env.Stderr, Control: b.env.Control,
		Connect: func(context.Context, *run.Spec) (*run.Sides, error) { return b.sides, nil }})
	if err != nil {
		if run.ExitCode(err) == exitcode.Failed && !run.Explained(err) {
			return fmt.Errorf("the local copy of the objects over 5 GiB: %w (the job was submitted; run the same command again to resume it)", err)
		}
		return err
	}
	l.Done = true
	if rec != nil && rec.Large == l {
		return b.st.put(*rec)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
