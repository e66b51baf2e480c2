package main

import (
	"io"
	"os"

	"github.com/backfill-dev/backfill/bench/internal/serverdir"
)

// serverParent is the folder versitygw's working folder is made in, for
// -server-dir (see package serverdir for why tmpfs is the default), and a
// few words on what it is.
func serverParent(cfg config) (parent, where string, err error) {
	// The primaries of the scenarios selected and one replica at a time.
	var objects, replica int
	if cfg.scenarios["fresh"] || cfg.scenarios["rerun"] || cfg.scenarios["resume"] {
		objects, replica = cfg.objects, cfg.objects
	}
	if cfg.scenarios["slowdown"] {
		objects, replica = objects+cfg.ceilingObjects, max(replica, cfg.ceilingObjects)
	}
	need := uint64(objects+replica) * uint64(cfg.minSize+cfg.maxSize) / 2
	return serverdir.Parent(cfg.serverDir, need, prefixed{os.Stderr})
}

// prefixed writes notes to stderr as "peers: ...".
type prefixed struct{ w io.Writer }

func (p prefixed) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte("peers: "), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
