package inventory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// parquetRow is what backfill reads of a Parquet inventory row: columns
// are matched by their snake_case names, whatever their order in the file;
// every one but bucket and key may be absent.
type parquetRow struct {
	Bucket            string  `parquet:"bucket"`
	Key               string  `parquet:"key"`
	VersionID         *string `parquet:"version_id,optional"`
	IsLatest          *bool   `parquet:"is_latest,optional"`
	IsDeleteMarker    *bool   `parquet:"is_delete_marker,optional"`
	Size              *int64  `parquet:"size,optional"`
	LastModifiedDate  *int64  `parquet:"last_modified_date,optional"` // TIMESTAMP_MILLIS
	ETag              *string `parquet:"e_tag,optional"`
	StorageClass      *string `parquet:"storage_class,optional"`
	ReplicationStatus *string `parquet:"replication_status,optional"`
	TieringTier       *string `parquet:"intelligent_tiering_access_tier,optional"`
	EncryptionStatus  *string `parquet:"encryption_status,optional"`
}

// ParquetReader reads the rows of one Parquet inventory data file.
type ParquetReader struct {
	file string
	r    *parquet.GenericReader[parquetRow]
	buf  []parquetRow
	i, n int
	row  int
	unit time.Duration // of last_modified_date
	// schema is the file's own.
	schema *parquet.Schema
	err    error // the first error, returned again by every later Next
}

// NewParquetReader reads the Parquet data file in ra (size bytes); file
// names it in errors. A file without a bucket or key column is refused.
func NewParquetReader(ra io.ReaderAt, size int64, file string) (pr *ParquetReader, err error) {
	defer func() {
		if r := recover(); r != nil { // a damaged file must be an error, not a crash
			pr, err = nil, &ParseError{File: file, Err: fmt.Errorf("not a readable Parquet file: %v", r)}
		}
	}()
	if err := checkFooter(ra, size); err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a Parquet file: %w", err)}
	}
	// Neither the page index nor bloom filters serve a sequential read;
	// skipped, their lengths (as the file states them) are never allocated.
	pf, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a Parquet file: %w", err)}
	}
	for _, col := range []string{"bucket", "key"} {
		if _, ok := pf.Schema().Lookup(col); !ok {
			return nil, &ParseError{File: file, Err: fmt.Errorf("no %s column (columns: %s)", col, pf.Schema())}
		}
	}
	unit, err := timestampUnit(pf)
	if err != nil {
		return nil, &ParseError{File: file, Err: err}
	}
	// The file opened above, not ra: opened again, it would be with the
	// default options, and its footer read twice.
	return &ParquetReader{file: file, r: parquet.NewGenericReader[parquetRow](pf), buf: make([]parquetRow, 1024), unit: unit, schema: pf.Schema()}, nil
}

// checkFooter checks the end of a Parquet file: the footer's length and
// the magic "PAR1". parquet-go allocates the length the file states before
// reading the footer, so a damaged length (up to 4 GiB) in a file of a few
// bytes would be allocated (FuzzParquetReader); it must fit in the file.
func checkFooter(ra io.ReaderAt, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%d bytes, shorter than any Parquet file", size)
	}
	var tail [8]byte
	if n, err := ra.ReadAt(tail[:], size-8); n < len(tail) {
		return err
	}
	if string(tail[4:]) != magic {
		return fmt.Errorf("no %q at its end", magic)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("a footer of %d bytes in a file of %d", n, size)
	}
	return nil
}

// timestampUnit is the unit of the last_modified_date column as its schema
// says (S3 writes TIMESTAMP(MILLIS); an INT64 without annotation is read
// as milliseconds too). An INT96 or other physical type is refused.
func timestampUnit(pf *parquet.File) (time.Duration, error) {
	col, ok := pf.Schema().Lookup("last_modified_date")
	if !ok {
		return time.Millisecond, nil
	}
	t := col.Node.Type()
	if t.Kind() != parquet.Int64 {
		return 0, fmt.Errorf("column last_modified_date is %s, want an INT64 timestamp", t)
	}
	if lt := t.LogicalType(); lt != nil {
		if ts, ok := lt.Value.(*format.TimestampType); ok && ts.Unit.Value != nil {
			return ts.Unit.Value.Duration(), nil
		}
	}
	if ct := t.ConvertedType(); ct != nil && *ct == deprecated.TimestampMicros {
		return time.Microsecond, nil
	}
	return time.Millisecond, nil
}

// Has reports whether the file has column (snake_case).
func (pr *ParquetReader) Has(column string) bool {
	_, ok := pr.schema.Lookup(column)
	return ok
}

// MissingColumns names the Needed fields the file lacks (snake_case).
func (pr *ParquetReader) MissingColumns() []string {
	var miss []string
	for _, col := range []string{"size", "e_tag", "last_modified_date"} {
		if _, ok := pr.schema.Lookup(col); !ok {
			miss = append(miss, col)
		}
	}
	return miss
}

// Next returns the next row, io.EOF at the end, or a *ParseError; after
// an error, it returns that error again (never a row past a bad one, nor
// one from a reader a damaged page left in an unknown state).
func (pr *ParquetReader) Next() (InventoryRow, error) {
	if pr.err != nil {
		return InventoryRow{}, pr.err
	}
	row, err := pr.next()
	if err != nil && err != io.EOF {
		pr.err = err
	}
	return row, err
}

func (pr *ParquetReader) next() (row InventoryRow, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ParseError{File: pr.file, Line: pr.row + 1, Err: fmt.Errorf("damaged Parquet data: %v", r)} // the row being read
		}
	}()
	for pr.i == pr.n {
		n, err := pr.r.Read(pr.buf)
		pr.i, pr.n = 0, n
		if n == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				return InventoryRow{}, io.EOF
			}
			return InventoryRow{}, &ParseError{File: pr.file, Line: pr.row + 1, Err: err}
		}
	}
	p := pr.buf[pr.i]
	pr.i++
	pr.row++
	row = InventoryRow{Line: pr.row, Bucket: p.Bucket, Key: p.Key, IsLatest: true}
	if row.Key == "" {
		return InventoryRow{}, &ParseError{File: pr.file, Line: pr.row, Err: errors.New("a row without a key")}
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	row.VersionID = str(p.VersionID)
	if p.IsLatest != nil {
		row.IsLatest = *p.IsLatest
	}
	if p.IsDeleteMarker != nil {
		row.IsDeleteMarker = *p.IsDeleteMarker
	}
	if p.Size != nil {
		row.Size = *p.Size
	}
	if p.LastModifiedDate != nil {
		row.LastModified = unixTime(*p.LastModifiedDate, pr.unit)
	}
	if e := str(p.ETag); e != "" {
		row.ETag = `"` + e + `"`
	}
	row.StorageClass, row.ReplicationStatus, row.IntelligentTieringAccessTier = str(p.StorageClass), str(p.ReplicationStatus), str(p.TieringTier)
	row.EncryptionStatus = str(p.EncryptionStatus)
	return row, nil
}

// Close releases the reader.
func (pr *ParquetReader) Close() error { return pr.r.Close() }

// unixTime is the time v units after the Unix epoch, in UTC. Seconds and
// the rest are taken apart first: v*unit in nanoseconds overflows int64
// past the year 2262 (FuzzParquetRows: a date in milliseconds of the year
// 58141 read as one in 2024).
func unixTime(v int64, unit time.Duration) time.Time {
	perSec := int64(time.Second / unit)
	return time.Unix(v/perSec, v%perSec*int64(unit)).UTC()
}
