package run

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/verify"
)

// A verify's own records in its checkpoint (aux tables): every object
// that is not the same on both sides (its class, why, and both sides'
// sizes and ETags), the tally so far, and whether the verify finished.
const (
	diffTable  = "verify-diff"
	stateTable = "verify-state"
	tallyKey   = "tally"
	doneKey    = "finished"
)

// diffRecord is one recorded difference (or extra, or unverified object).
type diffRecord struct {
	Class  verify.Class `json:"class"`
	How    verify.How   `json:"how"`
	Reason string       `json:"reason"`
	Src    *verify.Obj  `json:"src,omitempty"`
	Dst    *verify.Obj  `json:"dst,omitempty"`
}

func diffKey(rel, version string) string { return string(checkpoint.ObjectKey(rel, version)) }

func putDiff(b *checkpoint.Batch, p verify.Pair, v verify.Verdict) {
	version := ""
	if p.Src != nil {
		version = p.Src.VersionID
	}
	if v.Class == verify.Same || v.Class == verify.TooNew {
		b.DeleteAux(diffTable, diffKey(p.Rel, version))
		return
	}
	js, _ := json.Marshal(diffRecord{Class: v.Class, How: v.How, Reason: v.Reason, Src: slim(p.Src), Dst: slim(p.Dst)})
	b.PutAux(diffTable, diffKey(p.Rel, version), js)
}

// slim keeps what the diff needs of an object (not its headers).
func slim(o *verify.Obj) *verify.Obj {
	if o == nil {
		return nil
	}
	c := *o
	c.Headers = nil
	return &c
}

// eachDiff calls fn for every recorded difference, in key order.
func eachDiff(cp *checkpoint.Store, fn func(rel string, d diffRecord) error) error {
	return cp.EachAux(diffTable, func(k string, v []byte) error {
		var d diffRecord
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("checkpoint %s: a damaged difference record %q: %w", cp.Path(), k, err)
		}
		rel, _ := checkpoint.SplitObjectKey([]byte(k))
		return fn(rel, d)
	})
}

func saveTally(b *checkpoint.Batch, t *report.Tally) {
	js, _ := json.Marshal(t)
	b.PutAux(stateTable, tallyKey, js)
}

func loadTally(cp *checkpoint.Store) (*report.Tally, error) {
	t := report.NewTally()
	js, ok, err := cp.Aux(stateTable, tallyKey)
	if err != nil || !ok {
		return t, err
	}
	if err := json.Unmarshal(js, t); err != nil {
		return nil, fmt.Errorf("checkpoint %s: a damaged tally: %w", cp.Path(), err)
	}
	for _, c := range verify.Classes {
		if t.Classes[c] == nil {
			t.Classes[c] = &report.ClassTally{}
		}
	}
	return t, nil
}

// openVerifyCheckpoint opens the user's checkpoint, or a private one in a
// temporary folder (removed by the returned cleanup) when none was named:
// a verify keeps no file unless asked, but its differences and its
// repair are recorded on disk, not in memory.
func openVerifyCheckpoint(path string) (*checkpoint.Store, func(), error) {
	if path != "" {
		cp, err := OpenCheckpoint(path, false)
		if err != nil {
			return nil, nil, err
		}
		return cp, func() { cp.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "backfill-verify-*")
	if err != nil {
		return nil, nil, err
	}
	cp, err := OpenCheckpoint(dir+"/verify.db", false)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return cp, func() { cp.Close(); os.RemoveAll(dir) }, nil
}
