package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/inventory"
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

// fetchManifest returns a local path for the manifest: the file itself,
// or a private temp copy of an s3:// one (read with the source's client).
func fetchManifest(ctx context.Context, arg string, c *awsconf.Client) (path string, cleanup func(), err error) {
	rest, ok := strings.CutPrefix(arg, "s3://")
	if !ok {
		if _, err := os.Stat(arg); err != nil {
			return "", nil, fmt.Errorf("--manifest: %w", err)
		}
		return arg, func() {}, nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" || key == "" {
		return "", nil, usageErrorf("--manifest %q: want s3://BUCKET/KEY or a file", arg)
	}
	path, err = downloadTemp(ctx, c, bucket, key, "backfill-manifest-*.csv")
	if err != nil {
		return "", nil, fmt.Errorf("--manifest: %w", err)
	}
	return path, func() { os.Remove(path) }, nil
}

// rows calls fn for every row of the manifest, in order.
func (m *manifestSource) rows(fn func(inventory.ManifestRow) error) error {
	f, err := os.Open(m.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := inventory.NewManifestReader(f, m.name)
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
	err := m.rows(func(inventory.ManifestRow) error { n++; return nil })
	return n, err
}

func (m *manifestSource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	return m.stream(ctx, out, func(emit func(inventory.Entry) error) error {
		return m.rows(func(row inventory.ManifestRow) error {
			return emit(inventory.Entry{Rel: row.Key[len(m.prefix):],
				Source: inventory.Object{Bucket: row.Bucket, Key: row.Key, VersionID: row.VersionID}})
		})
	})
}
