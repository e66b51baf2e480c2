package run

import (
	"fmt"

	"github.com/backfill-dev/backfill/report"
)

// verifyFiles are the files a verify writes, created (emptied, 0600) at
// the start so that a run that fails never leaves the last night's.
type verifyFiles struct {
	out      VerifyOutput
	diff     *report.DiffFile
	manifest *report.ManifestFile
}

func createVerifyFiles(o VerifyOutput) (*verifyFiles, error) {
	f := &verifyFiles{out: o}
	var err error
	if o.Report != "" {
		if err = report.CheckWritable(o.Report); err != nil {
			return nil, fmt.Errorf("--report: %w", err)
		}
	}
	if o.Diff != "" {
		if f.diff, err = report.CreateDiff(o.Diff); err != nil {
			return nil, fmt.Errorf("--diff: %w", err)
		}
	}
	if o.MissingManifest != "" {
		if f.manifest, err = report.CreateManifest(o.MissingManifest); err != nil {
			f.close()
			return nil, fmt.Errorf("--missing-manifest: %w", err)
		}
	}
	return f, nil
}

func (f *verifyFiles) close() error {
	var first error
	if f.diff != nil {
		first = f.diff.Close()
		f.diff = nil
	}
	if f.manifest != nil {
		if err := f.manifest.Close(); err != nil && first == nil {
			first = err
		}
		f.manifest = nil
	}
	return first
}

// writeOutputs writes the diff and manifest files from the recorded
// differences (in key order), the report, the metrics file and the
// summary.
func (r *verifyRun) writeOutputs(f *verifyFiles, runErr error) error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if r.cp != nil {
		keep(eachDiff(r.cp, func(rel string, d diffRecord) error {
			r.example(rel, d)
			return r.writeDiff(f, rel, d)
		}))
	}
	keep(f.close())
	if path := r.spec.Output.Report; path != "" {
		keep(report.WriteJSONFile(path, r.rep))
	}
	if path := r.spec.Output.MetricsFile; path != "" {
		keep(report.WriteVerifyMetrics(path, r.rep))
	}
	switch {
	case r.spec.Output.JSON:
		r.rep.Event = "summary"
		keep(report.JSONLine(r.env.Stdout, r.rep))
	case runErr == nil || r.rep.Checked > 0:
		report.PrintVerify(r.env.Stdout, r.rep)
	}
	return first
}

// writeDiff writes one recorded difference to the --diff file and, when
// it must be copied, to the --missing-manifest.
func (r *verifyRun) writeDiff(f *verifyFiles, rel string, d diffRecord) error {
	key, version := r.spec.From.Key(rel), ""
	if d.Src != nil {
		key, version = d.Src.Key, d.Src.VersionID
	} else if d.Dst != nil {
		key = d.Dst.Key
	}
	if f.diff != nil {
		if err := f.diff.Write(d.Class, key, version, d.Src, d.Dst, d.Reason); err != nil {
			return err
		}
	}
	if f.manifest != nil && r.fixable(d) {
		return f.manifest.Write(r.spec.From.Bucket, d.Src.Key, "")
	}
	return nil
}

// newer: the replica's copy is newer than the primary's.
func newer(d diffRecord) bool {
	return d.Src != nil && d.Dst != nil && d.Dst.LastModified.After(d.Src.LastModified)
}

// maxExamples is how many differences the summary names.
const maxExamples = 10

// example keeps the first differences (by key) for the summary to name.
func (r *verifyRun) example(rel string, d diffRecord) {
	if len(r.rep.Examples) >= maxExamples || !d.Class.Difference(r.spec.Strict) {
		return
	}
	key := r.spec.From.Key(rel)
	if d.Src != nil {
		key = d.Src.Key
	}
	r.rep.Examples = append(r.rep.Examples, report.Example{Class: d.Class, Key: key, Reason: d.Reason})
}
