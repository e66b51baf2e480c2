package inventory

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// manifestSource streams the objects an S3 Batch Operations CSV manifest
// names (a --failures file of an earlier run is one). The whole manifest
// is read and checked before anything is copied, so bad input copies
// nothing; then it is read again, each object looked at in the source
// (refresher), and handed to the engine, which checks the replica with a
// HEAD before copying.
type manifestSource struct {
	path string // the manifest as a local file
	name string // as the user gave it, for messages
	refresher
}

// openManifest fetches the manifest (if it is in S3) and checks every row.
func openManifest(ctx context.Context, spec Spec, deps Deps) (*Source, error) {
	path, cleanup, err := fetchManifest(ctx, spec.Manifest, deps.Source)
	if err != nil {
		return nil, err
	}
	m := &manifestSource{path: path, name: spec.Manifest, refresher: spec.refresher(deps)}
	n, err := m.check()
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("manifest: %w (nothing was copied)", err)
	}
	src := &Source{stream: m, cleanup: cleanup, ReplicaLookup: lookupText(LookupHead, "")}
	if n == 0 {
		src.Empty = fmt.Sprintf("The manifest %s is empty: nothing to do.", spec.Manifest)
	}
	return src, nil
}

// fetchManifest returns a local path for the manifest: the file itself,
// or a private temp copy of an s3:// one (read with the source's client).
func fetchManifest(ctx context.Context, arg string, c getObjectAPI) (path string, cleanup func(), err error) {
	rest, ok := strings.CutPrefix(arg, "s3://")
	if !ok {
		if _, err := os.Stat(arg); err != nil {
			return "", nil, fmt.Errorf("--manifest: %w", err)
		}
		return arg, func() {}, nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	path, err = downloadTemp(ctx, c, bucket, key, "backfill-manifest-*.csv")
	if err != nil {
		return "", nil, fmt.Errorf("--manifest: %w", err)
	}
	return path, func() { os.Remove(path) }, nil
}

// rows calls fn for every row of the manifest, in order.
func (m *manifestSource) rows(fn func(ManifestRow) error) error {
	f, err := os.Open(m.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := NewManifestReader(f, m.name)
	r.Bucket, r.Prefix = m.bucket, m.prefix
	for {
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

// check reads the whole manifest and reports its first bad row.
func (m *manifestSource) check() (int, error) {
	n := 0
	err := m.rows(func(ManifestRow) error { n++; return nil })
	return n, err
}

func (m *manifestSource) Stream(ctx context.Context, out chan<- Entry) error {
	return m.stream(ctx, out, func(emit func(Entry) error) error {
		return m.rows(func(row ManifestRow) error {
			return emit(Entry{Rel: row.Key[len(m.prefix):], Named: true,
				Source: Object{Bucket: row.Bucket, Key: row.Key, VersionID: row.VersionID}})
		})
	})
}
