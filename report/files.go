package report

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/backfill-dev/backfill/internal/s3url"
)

// CreatePrivate creates (or truncates) a file readable by its owner only.
// An existing file is made 0600 too: it would keep its mode otherwise.
func CreatePrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CheckWritable makes sure a file can be created at path, without leaving
// one there: a file written at the end of a long run (a plan's report)
// fails at its start instead. "" is fine.
func CheckWritable(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a folder", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".backfill-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot create %s: %w", path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// WriteJSONFile writes v, indented, to a new private file at path.
func WriteJSONFile(path string, v any) error {
	f, err := CreatePrivate(path)
	if err != nil {
		return err
	}
	if err := JSON(f, v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ManifestFile writes an S3 Batch Operations CSV manifest: one row
// bucket,key[,versionId] per object, no header, keys URL-encoded so that
// they read the same however S3 decodes them (s3url.EscapeKey). The file
// is created mode 0600. Not safe for concurrent use.
type ManifestFile struct {
	name string
	f    *os.File
	w    *csv.Writer
}

// CreateManifest creates (or truncates) the manifest file at path.
func CreateManifest(path string) (*ManifestFile, error) {
	f, err := CreatePrivate(path)
	if err != nil {
		return nil, err
	}
	return &ManifestFile{name: path, f: f, w: csv.NewWriter(f)}, nil
}

// Write adds one object; version "" writes a two-column row.
func (m *ManifestFile) Write(bucket, key, version string) error {
	row := []string{bucket, s3url.EscapeKey(key)}
	if version != "" {
		row = append(row, version)
	}
	return m.w.Write(row)
}

// Reset empties the file, to write it again from the start.
func (m *ManifestFile) Reset() error {
	if err := m.f.Truncate(0); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	if _, err := m.f.Seek(0, 0); err != nil {
		return fmt.Errorf("%s: %w", m.name, err)
	}
	m.w = csv.NewWriter(m.f)
	return nil
}

// Remove closes the file and removes it: a run that never began leaves no
// empty manifest behind.
func (m *ManifestFile) Remove() error {
	m.f.Close()
	if err := os.Remove(m.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", m.name, err)
	}
	return nil
}

// Close flushes and closes the file, reporting the first write error.
func (m *ManifestFile) Close() error {
	m.w.Flush()
	err := m.w.Error()
	if cerr := m.f.Close(); err == nil {
		err = cerr
	}
	return err
}
