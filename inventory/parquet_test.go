package inventory

import (
	"bytes"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// s3ParquetRow is written as S3 Inventory writes Parquet (a subset of its
// columns, in its own order, with TIMESTAMP_MILLIS dates).
type s3ParquetRow struct {
	Bucket           string    `parquet:"bucket"`
	Key              string    `parquet:"key"`
	VersionID        *string   `parquet:"version_id,optional"`
	IsLatest         *bool     `parquet:"is_latest,optional"`
	IsDeleteMarker   *bool     `parquet:"is_delete_marker,optional"`
	Size             *int64    `parquet:"size,optional"`
	LastModifiedDate time.Time `parquet:"last_modified_date,timestamp(millisecond)"`
	ETag             *string   `parquet:"e_tag,optional"`
	StorageClass     *string   `parquet:"storage_class,optional"`
}

func ptr[T any](v T) *T { return &v }

func TestParquetReader(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[s3ParquetRow](&buf)
	when := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
	rows := []s3ParquetRow{
		{Bucket: "media", Key: "a b+c.exr", IsLatest: ptr(true), Size: ptr(int64(12)), LastModifiedDate: when, ETag: ptr("abc"), StorageClass: ptr("GLACIER")},
		{Bucket: "media", Key: "old", VersionID: ptr("v1"), IsLatest: ptr(false), IsDeleteMarker: ptr(false), LastModifiedDate: when},
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := NewParquetReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "part.parquet")
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if a.Key != "a b+c.exr" || a.Size != 12 || a.ETag != `"abc"` || !a.Archived() || !a.LastModified.Equal(when) || !a.IsLatest {
		t.Errorf("row %+v", a)
	}
	b, _ := r.Next()
	if b.IsLatest || b.VersionID != "v1" {
		t.Errorf("row %+v", b)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("want EOF, got %v", err)
	}
}

func TestParquetMissingColumnAndDamage(t *testing.T) {
	type noKey struct {
		Bucket string `parquet:"bucket"`
		Size   int64  `parquet:"size"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[noKey](&buf)
	w.Write([]noKey{{Bucket: "media", Size: 1}})
	w.Close()
	_, err := NewParquetReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "part.parquet")
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "no key column") {
		t.Errorf("missing key column: %v", err)
	}
	junk := []byte("PAR1 this is not really parquet PAR1")
	if _, err := NewParquetReader(bytes.NewReader(junk), int64(len(junk)), "junk.parquet"); !errors.As(err, &pe) {
		t.Errorf("junk: %v", err)
	}
}

// TestParquetTimestampUnits: dates are read in the unit the schema says.
func TestParquetTimestampUnits(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 123456e3, time.UTC)
	read := func(t *testing.T, write func(*bytes.Buffer) error) (InventoryRow, error) {
		t.Helper()
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatal(err)
		}
		r, err := NewParquetReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "part.parquet")
		if err != nil {
			return InventoryRow{}, err
		}
		return r.Next()
	}
	type micros struct {
		Bucket string    `parquet:"bucket"`
		Key    string    `parquet:"key"`
		Date   time.Time `parquet:"last_modified_date,timestamp(microsecond)"`
	}
	type nanos struct {
		Bucket string    `parquet:"bucket"`
		Key    string    `parquet:"key"`
		Date   time.Time `parquet:"last_modified_date,timestamp(nanosecond)"`
	}
	type text struct {
		Bucket string `parquet:"bucket"`
		Key    string `parquet:"key"`
		Date   string `parquet:"last_modified_date"`
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"micros": func(b *bytes.Buffer) error {
			w := parquet.NewGenericWriter[micros](b)
			if _, err := w.Write([]micros{{"m", "k", when}}); err != nil {
				return err
			}
			return w.Close()
		},
		"nanos": func(b *bytes.Buffer) error {
			w := parquet.NewGenericWriter[nanos](b)
			if _, err := w.Write([]nanos{{"m", "k", when}}); err != nil {
				return err
			}
			return w.Close()
		},
	} {
		row, err := read(t, write)
		if err != nil || !row.LastModified.Equal(when) {
			t.Errorf("%s: %v %v, want %v", name, row.LastModified, err, when)
		}
	}
	_, err := read(t, func(b *bytes.Buffer) error {
		w := parquet.NewGenericWriter[text](b)
		if _, err := w.Write([]text{{"m", "k", "yesterday"}}); err != nil {
			return err
		}
		return w.Close()
	})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "last_modified_date") {
		t.Errorf("a text date column: %v", err)
	}
}

// TestParquetFooterLengthChecked: a footer length larger than the file is
// refused before anything is allocated for it (FuzzParquetReader: the
// 36 bytes below stated a footer of 544 MB, which parquet-go allocated,
// taking seconds and half a gigabyte per damaged file).
func TestParquetFooterLengthChecked(t *testing.T) {
	junk := []byte("PAR1 this is not really parquet PAR1")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := NewParquetReader(bytes.NewReader(junk), int64(len(junk)), "junk.parquet")
	runtime.ReadMemStats(&after)
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "footer of") {
		t.Errorf("err = %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes to refuse a file of %d", n, len(junk))
	}
}

// TestParquetDatesFarAway: a date far from now reads as itself, never as
// an overflowed one (FuzzParquetRows: milliseconds of the year 58141 read
// as a date in 2024).
func TestParquetDatesFarAway(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		unit time.Duration
		want time.Time
	}{
		{1772600767008123, time.Millisecond, time.UnixMilli(1772600767008123)},
		{-1, time.Millisecond, time.UnixMilli(-1)},
		{math.MaxInt64, time.Microsecond, time.UnixMicro(math.MaxInt64)},
		{math.MinInt64, time.Nanosecond, time.Unix(0, math.MinInt64)},
	} {
		if got := unixTime(tc.v, tc.unit); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("unixTime(%d, %v) = %v, want %v", tc.v, tc.unit, got, tc.want.UTC())
		}
	}
}
