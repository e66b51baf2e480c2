package inventory

import (
	"compress/gzip"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors of S3 Inventory input.
var (
	// ErrManifestChecksum: manifest.json does not match manifest.checksum.
	ErrManifestChecksum = errors.New("manifest.json does not match manifest.checksum")
	// ErrDataChecksum: a data file does not match its MD5checksum.
	ErrDataChecksum = errors.New("data file does not match its MD5checksum in manifest.json")
	// ErrFormat: a file format backfill does not read.
	ErrFormat = errors.New("unsupported inventory format")
)

// InventoryManifest is an S3 Inventory delivery's manifest.json.
type InventoryManifest struct {
	SourceBucket      string          `json:"sourceBucket"`
	DestinationBucket string          `json:"destinationBucket"`
	Version           string          `json:"version"`
	CreationTimestamp string          `json:"creationTimestamp"`
	FileFormat        string          `json:"fileFormat"`
	FileSchema        string          `json:"fileSchema"`
	Files             []InventoryFile `json:"files"`

	columns map[string]int // fileSchema column name -> index
	ncols   int
}

// InventoryFile is one data file of a delivery.
type InventoryFile struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5checksum string `json:"MD5checksum"`
}

// ParseInventoryManifest parses manifest.json (data), verifies it against
// manifest.checksum (checksum, the hex MD5 of data) and checks what backfill
// needs of it: a CSV format and a schema with Bucket and Key. file names
// the manifest in errors.
func ParseInventoryManifest(data, checksum []byte, file string) (*InventoryManifest, error) {
	sum := md5.Sum(data)
	if want := strings.TrimSpace(string(checksum)); !strings.EqualFold(hex.EncodeToString(sum[:]), want) {
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w (MD5 %x, manifest.checksum says %q)", ErrManifestChecksum, sum, want)}
	}
	var m InventoryManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not an S3 Inventory manifest: %w", err)}
	}
	switch m.FileFormat {
	case "CSV":
	case "ORC", "Parquet":
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w %s: backfill reads CSV inventories (Parquet and ORC are not supported yet)", ErrFormat, m.FileFormat)}
	default:
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w %q in fileFormat: backfill reads CSV inventories", ErrFormat, m.FileFormat)}
	}
	m.columns = map[string]int{}
	for i, c := range strings.Split(m.FileSchema, ",") {
		m.columns[strings.TrimSpace(c)] = i
		m.ncols = i + 1
	}
	for _, need := range []string{"Bucket", "Key"} {
		if _, ok := m.columns[need]; !ok {
			return nil, &ParseError{File: file, Err: fmt.Errorf("fileSchema %q has no %s column", m.FileSchema, need)}
		}
	}
	if m.SourceBucket == "" {
		return nil, &ParseError{File: file, Err: errors.New("no sourceBucket")}
	}
	for i, f := range m.Files {
		if f.Key == "" || f.MD5checksum == "" {
			return nil, &ParseError{File: file, Err: fmt.Errorf("files[%d] has no key or MD5checksum", i)}
		}
	}
	return &m, nil
}

// InventoryRow is one row of an inventory data file.
type InventoryRow struct {
	Line                         int
	Bucket, Key                  string
	VersionID                    string
	IsLatest                     bool // true when the inventory has no versions
	IsDeleteMarker               bool
	Size                         int64
	LastModified                 time.Time
	ETag                         string // as S3 returns ETags elsewhere: quoted
	StorageClass                 string
	ReplicationStatus            string
	IntelligentTieringAccessTier string
}

// CheckData verifies a data file's bytes (the compressed file as stored)
// against its MD5checksum.
func CheckData(f InventoryFile, r io.Reader, file string) error {
	h := md5.New()
	if _, err := io.Copy(h, r); err != nil {
		return &ParseError{File: file, Err: err}
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, f.MD5checksum) {
		return &ParseError{File: file, Err: fmt.Errorf("%w (MD5 %s, manifest says %s)", ErrDataChecksum, got, f.MD5checksum)}
	}
	return nil
}

// InventoryReader reads the rows of one gzipped CSV data file.
type InventoryReader struct {
	m    *InventoryManifest
	file string
	gz   *gzip.Reader
	r    *csv.Reader
}

// NewReader reads the gzipped CSV data file in r; file names it in errors.
func (m *InventoryManifest) NewReader(r io.Reader, file string) (*InventoryReader, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not gzip: %w", err)}
	}
	cr := csv.NewReader(gz)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &InventoryReader{m: m, file: file, gz: gz, r: cr}, nil
}

// Next returns the next row, io.EOF at the end, or a *ParseError.
func (ir *InventoryReader) Next() (InventoryRow, error) {
	rec, err := ir.r.Read()
	if err == io.EOF {
		return InventoryRow{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return InventoryRow{}, &ParseError{File: ir.file, Line: pe.Line, Err: pe.Err}
		}
		return InventoryRow{}, &ParseError{File: ir.file, Err: fmt.Errorf("reading the data: %w", err)}
	}
	line, _ := ir.r.FieldPos(0)
	fail := func(format string, a ...any) (InventoryRow, error) {
		return InventoryRow{}, &ParseError{File: ir.file, Line: line, Err: fmt.Errorf(format, a...)}
	}
	if len(rec) != ir.m.ncols {
		return fail("%d fields, but fileSchema has %d", len(rec), ir.m.ncols)
	}
	col := func(name string) (string, bool) {
		i, ok := ir.m.columns[name]
		if !ok {
			return "", false
		}
		return rec[i], true
	}
	row := InventoryRow{Line: line, IsLatest: true}
	row.Bucket, _ = col("Bucket")
	key, _ := col("Key")
	// CSV inventories form-encode keys (a space is "+", a "+" is "%2B").
	if row.Key, err = url.QueryUnescape(key); err != nil || row.Key == "" {
		return fail("key %q is not URL-encoded correctly", key)
	}
	row.VersionID, _ = col("VersionId")
	if v, ok := col("IsLatest"); ok && v != "" {
		row.IsLatest = v == "true"
	}
	if v, ok := col("IsDeleteMarker"); ok {
		row.IsDeleteMarker = v == "true"
	}
	if v, ok := col("Size"); ok && v != "" {
		if row.Size, err = strconv.ParseInt(v, 10, 64); err != nil || row.Size < 0 {
			return fail("Size %q is not a size", v)
		}
	}
	if v, ok := col("LastModifiedDate"); ok && v != "" {
		if row.LastModified, err = time.Parse(time.RFC3339, v); err != nil {
			return fail("LastModifiedDate %q is not a time", v)
		}
	}
	if v, ok := col("ETag"); ok && v != "" {
		row.ETag = `"` + strings.Trim(v, `"`) + `"`
	}
	row.StorageClass, _ = col("StorageClass")
	row.ReplicationStatus, _ = col("ReplicationStatus")
	row.IntelligentTieringAccessTier, _ = col("IntelligentTieringAccessTier")
	return row, nil
}

// Archived reports a row whose storage class needs a restore before a copy.
func (r InventoryRow) Archived() bool {
	switch r.StorageClass {
	case "GLACIER", "DEEP_ARCHIVE":
		return true
	case "INTELLIGENT_TIERING":
		return slices.Contains([]string{"ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS", "ARCHIVE", "DEEP_ARCHIVE"}, r.IntelligentTieringAccessTier)
	}
	return false
}

// ReplicationSkip is the skip reason a row's replication status gives by
// default: replicated, replication-pending, is-replica, or "" (FAILED and
// empty are copied).
func (r InventoryRow) ReplicationSkip() string {
	switch r.ReplicationStatus {
	case "COMPLETED", "COMPLETE":
		return "replicated"
	case "PENDING":
		return "replication-pending"
	case "REPLICA":
		return "is-replica"
	}
	return ""
}
