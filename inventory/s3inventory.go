package inventory

import (
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

	// klauspost/compress's gzip (already in the build through parquet-go)
	// inflates about twice as fast as compress/gzip, the largest cost of
	// reading a CSV inventory.
	"github.com/klauspost/compress/gzip"
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
	idx     columnIndex
}

// columnIndex holds the position of each column backfill reads (-1:
// absent), looked up once per manifest, not once per row.
type columnIndex struct {
	bucket, key, version, latest, marker, size, modified, etag, class, repl, tier, enc int
}

// Needed are the optional inventory fields backfill cannot copy safely
// without: the size (multipart, limits), the ETag (the copy's if-match,
// the replica's comparison) and the date (--min-age, "newer in replica").
var Needed = []string{"Size", "ETag", "LastModifiedDate"}

// Has reports whether the inventory's fileSchema lists column (a CSV
// inventory; Parquet files carry their own columns).
func (m *InventoryManifest) Has(column string) bool {
	_, ok := m.columns[column]
	return ok
}

// MissingColumns names the Needed fields the fileSchema lacks (CSV).
func (m *InventoryManifest) MissingColumns() []string {
	var miss []string
	for i, at := range []int{m.idx.size, m.idx.etag, m.idx.modified} {
		if at < 0 {
			miss = append(miss, Needed[i])
		}
	}
	return miss
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
	case "Parquet":
		// fileSchema is a Parquet message type; the columns are checked in
		// each data file's own schema when it is read.
		if m.SourceBucket == "" {
			return nil, &ParseError{File: file, Err: errors.New("no sourceBucket")}
		}
		return &m, checkFiles(&m, file)
	case "ORC":
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w ORC: backfill reads CSV and Parquet inventories (ORC support comes later)", ErrFormat)}
	default:
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w %q in fileFormat: backfill reads CSV and Parquet inventories", ErrFormat, m.FileFormat)}
	}
	m.columns = map[string]int{}
	for i, c := range strings.Split(m.FileSchema, ",") {
		m.columns[strings.TrimSpace(c)] = i
		m.ncols = i + 1
	}
	at := func(name string) int {
		if i, ok := m.columns[name]; ok {
			return i
		}
		return -1
	}
	m.idx = columnIndex{bucket: at("Bucket"), key: at("Key"), version: at("VersionId"), latest: at("IsLatest"),
		marker: at("IsDeleteMarker"), size: at("Size"), modified: at("LastModifiedDate"), etag: at("ETag"),
		class: at("StorageClass"), repl: at("ReplicationStatus"), tier: at("IntelligentTieringAccessTier"),
		enc: at("EncryptionStatus")}
	for _, need := range []string{"Bucket", "Key"} {
		if _, ok := m.columns[need]; !ok {
			return nil, &ParseError{File: file, Err: fmt.Errorf("fileSchema %q has no %s column", m.FileSchema, need)}
		}
	}
	if m.SourceBucket == "" {
		return nil, &ParseError{File: file, Err: errors.New("no sourceBucket")}
	}
	return &m, checkFiles(&m, file)
}

func checkFiles(m *InventoryManifest, file string) error {
	for i, f := range m.Files {
		if f.Key == "" || f.MD5checksum == "" {
			return &ParseError{File: file, Err: fmt.Errorf("files[%d] has no key or MD5checksum", i)}
		}
	}
	return nil
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
	EncryptionStatus             string // SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE; "" when not listed
}

// CheckData verifies a data file's bytes (the compressed file as stored)
// against its MD5checksum.
func CheckData(f InventoryFile, r io.Reader, file string) error {
	h := md5.New()
	if _, err := io.Copy(h, r); err != nil {
		return &ParseError{File: file, Err: err}
	}
	return CheckSum(f, h.Sum(nil), file)
}

// CheckSum verifies a data file's MD5 (taken as it was downloaded, say)
// against its MD5checksum.
func CheckSum(f InventoryFile, sum []byte, file string) error {
	if got := hex.EncodeToString(sum); !strings.EqualFold(got, f.MD5checksum) {
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
	line int   // of the last row read
	err  error // the first error, returned again by every later Next
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

// Next returns the next row, io.EOF at the end, or a *ParseError; after
// an error, it returns that error again (never a row past a bad one).
func (ir *InventoryReader) Next() (InventoryRow, error) {
	if ir.err != nil {
		return InventoryRow{}, ir.err
	}
	row, err := ir.next()
	if err != nil && err != io.EOF {
		ir.err = err
	}
	return row, err
}

func (ir *InventoryReader) next() (InventoryRow, error) {
	rec, err := ir.r.Read()
	if err == io.EOF {
		return InventoryRow{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return InventoryRow{}, &ParseError{File: ir.file, Line: pe.Line, Err: pe.Err}
		}
		// A damaged or cut file (gzip's unexpected EOF, say): the line
		// after the last one read is where it broke.
		return InventoryRow{}, &ParseError{File: ir.file, Line: ir.line + 1, Err: fmt.Errorf("reading the data: %w", err)}
	}
	line, _ := ir.r.FieldPos(0)
	ir.line = line
	fail := func(format string, a ...any) (InventoryRow, error) {
		return InventoryRow{}, &ParseError{File: ir.file, Line: line, Err: fmt.Errorf(format, a...)}
	}
	if len(rec) != ir.m.ncols {
		return fail("%d fields, but fileSchema has %d", len(rec), ir.m.ncols)
	}
	x := &ir.m.idx
	col := func(i int) (string, bool) {
		if i < 0 {
			return "", false
		}
		return rec[i], true
	}
	row := InventoryRow{Line: line, IsLatest: true}
	row.Bucket, _ = col(x.bucket)
	key, _ := col(x.key)
	// CSV inventories form-encode keys (a space is "+", a "+" is "%2B").
	if strings.ContainsAny(key, "%+") {
		if row.Key, err = url.QueryUnescape(key); err != nil {
			return fail("key %q is not URL-encoded correctly", key)
		}
	} else {
		row.Key = key // csv builds each record's strings anew (ReuseRecord reuses only the slice)
	}
	if row.Key == "" {
		return fail("a row without a key")
	}
	row.VersionID, _ = col(x.version)
	if v, ok := col(x.latest); ok && v != "" {
		row.IsLatest = v == "true"
	}
	if v, ok := col(x.marker); ok {
		row.IsDeleteMarker = v == "true"
	}
	if v, ok := col(x.size); ok && v != "" {
		if row.Size, err = strconv.ParseInt(v, 10, 64); err != nil || row.Size < 0 {
			return fail("Size %q is not a size", v)
		}
	}
	if v, ok := col(x.modified); ok && v != "" {
		if row.LastModified, err = parseTime(v); err != nil {
			return fail("LastModifiedDate %q is not a time", v)
		}
	}
	if v, ok := col(x.etag); ok && v != "" {
		row.ETag = `"` + strings.Trim(v, `"`) + `"`
	}
	row.StorageClass, _ = col(x.class)
	row.ReplicationStatus, _ = col(x.repl)
	row.IntelligentTieringAccessTier, _ = col(x.tier)
	row.EncryptionStatus, _ = col(x.enc)
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

// parseTime reads an inventory timestamp. The usual form,
// 2006-01-02T15:04:05.000Z, is read by hand (time.Parse is most of the
// cost of a row); anything else goes to time.Parse (RFC 3339).
func parseTime(v string) (time.Time, error) {
	if len(v) == 24 && v[4] == '-' && v[7] == '-' && v[10] == 'T' && v[13] == ':' && v[16] == ':' && v[19] == '.' && v[23] == 'Z' {
		num := func(s string) (int, bool) {
			n := 0
			for i := 0; i < len(s); i++ {
				c := s[i]
				if c < '0' || c > '9' {
					return 0, false
				}
				n = n*10 + int(c-'0')
			}
			return n, true
		}
		y, ok1 := num(v[0:4])
		mo, ok2 := num(v[5:7])
		d, ok3 := num(v[8:10])
		h, ok4 := num(v[11:13])
		mi, ok5 := num(v[14:16])
		s, ok6 := num(v[17:19])
		ms, ok7 := num(v[20:23])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 61 {
			return time.Date(y, time.Month(mo), d, h, mi, s, ms*1e6, time.UTC), nil
		}
	}
	return time.Parse(time.RFC3339, v)
}
