package inventory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// ParseError is bad input in a manifest: the file, the line, and what is
// wrong there.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ManifestRow is one row of an S3 Batch Operations CSV manifest.
type ManifestRow struct {
	Line      int
	Bucket    string
	Key       string // decoded
	VersionID string
}

// ManifestReader reads an S3 Batch Operations CSV manifest
// (S3BatchOperations_CSV_20180820): rows of bucket,key[,versionId], keys
// URL-encoded, no header row, either every row with a version id or none.
//
// Keys are decoded with path semantics ("%20" is a space, "+" stays a
// plus), as AWS's own manifest example writes them; backfill's --failures
// files encode both so that either reading gives the same key.
type ManifestReader struct {
	// Bucket, when set, is the only bucket rows may name.
	Bucket string
	// Prefix, when set, is the prefix every key must start with.
	Prefix string

	file     string
	r        *csv.Reader
	line     int
	versions int   // 0 unknown, 1 without, 2 with
	err      error // the first error, returned again by every later Next
}

// NewManifestReader reads the manifest in r; file names it in errors.
func NewManifestReader(r io.Reader, file string) *ManifestReader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, with a better message
	cr.ReuseRecord = true
	return &ManifestReader{file: file, r: cr}
}

// Next returns the next row, io.EOF at the end, or a *ParseError; after
// an error, it returns that error again (never a row past a bad one).
func (m *ManifestReader) Next() (ManifestRow, error) {
	if m.err != nil {
		return ManifestRow{}, m.err
	}
	row, err := m.next()
	if err != nil && err != io.EOF {
		m.err = err
	}
	return row, err
}

func (m *ManifestReader) next() (ManifestRow, error) {
	rec, err := m.r.Read()
	if err == io.EOF {
		return ManifestRow{}, io.EOF // an empty manifest is nothing to do
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return ManifestRow{}, &ParseError{File: m.file, Line: pe.Line, Err: pe.Err}
		}
		return ManifestRow{}, &ParseError{File: m.file, Line: m.line + 1, Err: err}
	}
	line, _ := m.r.FieldPos(0) // only valid after a successful Read
	m.line = line
	fail := func(format string, a ...any) (ManifestRow, error) {
		return ManifestRow{}, &ParseError{File: m.file, Line: line, Err: fmt.Errorf(format, a...)}
	}
	if len(rec) != 2 && len(rec) != 3 {
		return fail("%d fields; a manifest row is bucket,key or bucket,key,versionId", len(rec))
	}
	with := 1
	if len(rec) == 3 {
		with = 2
	}
	if m.versions == 0 {
		m.versions = with
	} else if m.versions != with {
		return fail("some rows have a version id and some do not; a manifest must be one or the other")
	}
	row := ManifestRow{Line: line, Bucket: rec[0]}
	if len(rec) == 3 {
		row.VersionID = rec[2]
	}
	switch {
	case row.Bucket == "":
		return fail("no bucket")
	case strings.EqualFold(row.Bucket, "bucket") && line == 1 && row.Bucket != m.Bucket: // a source named "bucket" is not a header
		return fail("a header row; Batch Operations manifests have none")
	case m.Bucket != "" && row.Bucket != m.Bucket:
		return fail("bucket %q, but the source is %q", row.Bucket, m.Bucket)
	}
	key, err := url.PathUnescape(rec[1])
	if err != nil {
		return fail("key %q is not URL-encoded correctly: %v", rec[1], err)
	}
	if key == "" {
		return fail("no key")
	}
	if !strings.HasPrefix(key, m.Prefix) {
		return fail("key %q is not under the source prefix %q", key, m.Prefix)
	}
	row.Key = key
	return row, nil
}
