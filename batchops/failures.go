package batchops

import (
	"encoding/csv"
	"os"

	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

// failures writes `report --failures FILE`: the failed tasks are spooled
// to a private temp file as they are read (memory does not grow with
// them), and written to FILE once the whole report was read and checked,
// with version ids in every row or in none (a manifest cannot mix them:
// Batch Operations and backfill's own reader refuse it). FILE is created
// at once (a path that cannot be written is a usage error before anything
// is read) and removed again when the report cannot be read.
type failures struct {
	path      string
	out       *report.ManifestFile
	spool     *os.File
	w         *csv.Writer
	rows      int64
	versioned int64
	done      bool
}

func newFailures(path string) (*failures, error) {
	out, err := report.CreateManifest(path)
	if err != nil {
		return nil, err
	}
	spool, err := os.CreateTemp("", "backfill-batchops-failures-*.csv")
	if err != nil {
		out.Close()
		os.Remove(path)
		return nil, err
	}
	return &failures{path: path, out: out, spool: spool, w: csv.NewWriter(spool)}, nil
}

// add spools one failed task.
func (f *failures) add(r inventory.ReportRow) error {
	f.rows++
	if r.VersionID != "" {
		f.versioned++
	}
	return f.w.Write([]string{r.Bucket, s3url.EscapeKey(r.Key), r.VersionID})
}

// finish writes the spooled rows to the file; dropped says their version
// ids were left out because not every row had one.
func (f *failures) finish() (dropped bool, err error) {
	f.w.Flush()
	if err := f.w.Error(); err != nil {
		return false, err
	}
	if err := f.spool.Close(); err != nil {
		return false, err
	}
	all := f.versioned == f.rows
	err = eachRow(f.spool.Name(), func(bucket, key, version string) error {
		if !all {
			version = ""
		}
		return f.out.Write(bucket, key, version)
	})
	if cerr := f.out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	f.done = true
	return f.versioned > 0 && !all, nil
}

// discard removes the spool, and the file unless finish wrote it.
func (f *failures) discard() {
	f.spool.Close()
	os.Remove(f.spool.Name())
	if !f.done {
		f.out.Close()
		os.Remove(f.path)
	}
}
