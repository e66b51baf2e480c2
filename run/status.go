package run

import (
	"fmt"
	"sort"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/report"
)

// StatusSpec is what `backfill status` reads and writes.
type StatusSpec struct {
	Checkpoint string
	// Examples is how many keys are shown per failure code.
	Examples int
	// Failures, when set, receives the failed objects as a Batch
	// Operations CSV manifest (mode 0600).
	Failures string
}

// Status reads a checkpoint without changing it.
func Status(s StatusSpec) (*report.Status, error) {
	cp, err := openExisting(s.Checkpoint, true)
	if err != nil {
		return nil, err
	}
	defer cp.Close()
	info, err := cp.Info()
	if err != nil {
		return nil, err
	}
	rep := &report.Status{Checkpoint: info.Path, Spec: specView(info.Spec), Created: info.Created, LastRun: info.LastRun, Cutoff: info.Cutoff,
		Done: info.Done, Failed: info.Failed, Shards: info.Shards, ShardsDone: info.Complete,
		Complete: info.Shards > 0 && info.Shards == info.Complete, Totals: report.TotalsOf(info.Counters),
		FailedBy: []report.FailureGroup{}, Uploads: []report.Upload{}}
	if err := failureGroups(cp, s, rep); err != nil {
		return nil, err
	}
	err = cp.Uploads(func(u checkpoint.Upload) error {
		rep.InProgress++
		rep.Uploads = append(rep.Uploads, report.Upload{Key: u.Key, VersionID: u.VersionID, UploadID: u.UploadID,
			PartsDone: len(u.Parts), Parts: int((u.Size + u.PartSize - 1) / max(u.PartSize, 1)), Size: u.Size, Started: u.Started})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// failureGroups counts the failed objects by code, with the first keys of
// each, and writes them to the failures manifest when asked.
func failureGroups(cp *checkpoint.Store, s StatusSpec, rep *report.Status) error {
	var mf *report.ManifestFile
	if s.Failures != "" {
		f, err := report.CreateManifest(s.Failures)
		if err != nil {
			return fmt.Errorf("--failures: %w", err)
		}
		mf = f
	}
	source, _ := s3url.Parse(rep.Spec.Source)
	groups := map[string]*report.FailureGroup{}
	err := cp.Each(checkpoint.Failed, func(key, version string, r checkpoint.Record) error {
		g := groups[r.Code]
		if g == nil {
			g = &report.FailureGroup{Code: r.Code, Keys: []string{}}
			groups[r.Code] = g
		}
		g.Count++
		if len(g.Keys) < s.Examples {
			g.Keys = append(g.Keys, key)
		}
		if mf != nil {
			return mf.Write(source.Bucket, source.Key(key), version)
		}
		return nil
	})
	if mf != nil {
		if cerr := mf.Close(); err == nil {
			err = cerr
		}
	}
	for _, g := range groups {
		rep.FailedBy = append(rep.FailedBy, *g)
	}
	sort.Slice(rep.FailedBy, func(i, j int) bool { return rep.FailedBy[i].Count > rep.FailedBy[j].Count })
	return err
}
