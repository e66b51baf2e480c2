package inventory

// Fuzz targets of the parsers of outside input: Batch Operations manifests,
// S3 Inventory manifest.json and data files (CSV and Parquet), completion
// reports. `go test` runs their seeds; `make fuzz` explores. Each CSV
// target reads the same bytes with encoding/csv as an oracle and checks the
// reader's rows against its records field by field. A uint16 cut, when
// set, makes the input fail with errCut after that many bytes, as a dropped
// download would.

import (
	"bytes"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"

	"github.com/backfill-dev/backfill/internal/s3url"
)

var errCut = errors.New("injected read error")

// cutAt reads data, failing with errCut after cut bytes (0: never).
func cutAt(data []byte, cut uint16) io.Reader {
	if cut == 0 || int(cut) >= len(data) {
		return bytes.NewReader(data)
	}
	return io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(errCut))
}

// records is what encoding/csv reads of r (any number of fields per
// record): the records, the line each starts on, and the error it stopped
// at (io.EOF at the end).
func records(r io.Reader) (recs [][]string, lines []int, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	for {
		rec, err := cr.Read()
		if err != nil {
			return recs, lines, err
		}
		line, _ := cr.FieldPos(0)
		recs, lines = append(recs, rec), append(lines, line)
	}
}

// checkErr fails unless err is a *ParseError naming file and, with line, a
// line at or after after.
func checkErr(t *testing.T, err error, file string, line bool, after int) *ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != file {
		t.Fatalf("error %v (%T) is not a ParseError of %s", err, err, file)
	}
	if line && (pe.Line < 1 || pe.Line < after) {
		t.Fatalf("error %q names line %d (the last row read was on line %d)", err, pe.Line, after)
	}
	return pe
}

// checkStops fails unless Next, after returning end (io.EOF or an error),
// returns the same kind again, never a row.
func checkStops[R any](t *testing.T, next func() (R, error), end error) {
	t.Helper()
	for range 3 {
		row, err := next()
		if err == nil {
			t.Fatalf("Next after %q returned the row %+v", end, row)
		}
		if (err == io.EOF) != (end == io.EOF) {
			t.Fatalf("Next after %q returned %q", end, err)
		}
	}
}

// FuzzManifestReader: a Batch Operations manifest either reads as rows or
// stops at a ParseError naming file and line, and then only errors. Each
// row is the record encoding/csv reads there: a bucket (the source's, when
// set), a path-decoded non-empty key under the prefix that re-encodes
// (s3url.EscapeKey, as --failures writes it) to itself, a version id in
// every row or none. io.EOF comes only after every record.
func FuzzManifestReader(f *testing.F) {
	for _, s := range []string{"b,k\n", "b,a%20b%2Bc\n", "b,k,v\nb,k2,v2\n", "b,\"x,y\"\n", "b,%zz\n", "b,k\nb,k,v\n", "", "\"\n",
		"b,k\r\nb,%E2%82%AC\n", "media,a\nmedia,b,v1,extra\n", "media\n", "Bucket,Key\nmedia,a\n", "media,\"abc\n",
		"\n\nmedia,a\n\"media\",\"multi\nline\"\nmedia,c\n", "media,a+b%2B/%C3%BC\n"} {
		f.Add([]byte(s), "", "", uint16(0))
	}
	f.Add([]byte("media,shows/a\nmedia,other/b\n"), "media", "shows/", uint16(0))
	f.Add([]byte("media,a\nother,b\n"), "media", "", uint16(0))
	f.Add([]byte("media,a\nmedia,b\nmedia,c\n"), "media", "", uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, bucket, prefix string, cut uint16) {
		const file = "fuzz.csv"
		m := NewManifestReader(cutAt(data, cut), file)
		m.Bucket, m.Prefix = bucket, prefix
		recs, lines, end := records(cutAt(data, cut))
		with, last := -1, 0
		for i := 0; ; i++ {
			row, err := m.Next()
			if err == io.EOF && (i != len(recs) || end != io.EOF) {
				t.Fatalf("EOF after %d rows; encoding/csv reads %d records, then %v", i, len(recs), end)
			}
			if err != nil {
				if err != io.EOF {
					checkErr(t, err, file, true, last)
				}
				checkStops(t, m.Next, err)
				return
			}
			if i >= len(recs) {
				t.Fatalf("row %+v, but encoding/csv reads only %d records", row, len(recs))
			}
			rec := recs[i]
			if row.Line != lines[i] || row.Line <= last {
				t.Fatalf("row %+v: line %d, want %d (after %d)", row, row.Line, lines[i], last)
			}
			last = row.Line
			if len(rec) != 2 && len(rec) != 3 {
				t.Fatalf("row %+v from a record of %d fields", row, len(rec))
			}
			if with == -1 {
				with = len(rec)
			} else if with != len(rec) {
				t.Fatalf("row %+v: rows with and without a version id", row)
			}
			if row.Bucket == "" || row.Bucket != rec[0] || bucket != "" && row.Bucket != bucket {
				t.Fatalf("row %+v: bucket, record %q, source %q", row, rec, bucket)
			}
			if key, err := url.PathUnescape(rec[1]); err != nil || row.Key != key || key == "" || !strings.HasPrefix(key, prefix) {
				t.Fatalf("row %+v: key, record %q, prefix %q", row, rec, prefix)
			}
			if len(rec) == 3 && row.VersionID != rec[2] || len(rec) == 2 && row.VersionID != "" {
				t.Fatalf("row %+v: version id, record %q", row, rec)
			}
			esc := s3url.EscapeKey(row.Key)
			if k1, err1 := url.PathUnescape(esc); err1 != nil || k1 != row.Key {
				t.Fatalf("key %q re-encodes as %q, which reads back as %q", row.Key, esc, k1)
			}
		}
	})
}

// inventoryManifestJSON is an S3 Inventory manifest.json of a CSV delivery
// (from the S3 documentation's example).
const inventoryManifestJSON = `{
    "sourceBucket": "example-source-bucket",
    "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
    "version": "2016-11-30",
    "creationTimestamp" : "1514944800000",
    "fileFormat": "CSV",
    "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm, ObjectAccessControlList, ObjectOwner",
    "files": [
        {
            "key": "Inventory/example-source-bucket/2016-11-06T21-32-29Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
            "size": 2147483647,
            "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"
        }
    ]
}`

// FuzzInventoryManifest: ParseInventoryManifest refuses a manifest.json
// that does not match its checksum (ErrManifestChecksum, whatever the
// checksum's case and surrounding space), and any other it refuses with a
// ParseError naming it. One it accepts is JSON of a CSV or Parquet
// delivery with a source bucket and files with keys and checksums; a CSV
// one has Bucket and Key columns, every column it reads inside the schema,
// and reads a row written in its schema's column order by name.
func FuzzInventoryManifest(f *testing.F) {
	for _, s := range []string{inventoryManifestJSON,
		`{"sourceBucket":"media","fileFormat":"CSV","fileSchema":"Size, ETag, Key, Bucket, IsLatest, StorageClass, LastModifiedDate","files":[{"key":"k","size":1,"MD5checksum":"x"}]}`,
		`{"sourceBucket":"media","fileFormat":"Parquet","fileSchema":"message s3.inventory { required binary bucket (STRING); required binary key (STRING); }","files":[{"key":"k.parquet","size":1,"MD5checksum":"x"}]}`,
		`{"sourceBucket":"media","fileFormat":"ORC","fileSchema":"struct<bucket:string,key:string>","files":[]}`,
		`{"sourceBucket":"media","fileFormat":"CSV","fileSchema":"Bucket, Size","files":[]}`,
		`{"sourceBucket":"","fileFormat":"CSV","fileSchema":"Bucket, Key","files":[]}`,
		`{"sourceBucket":"media","fileFormat":"CSV","fileSchema":"Bucket,Key,Key","files":[{"key":"k"}]}`,
		`{"sourceBucket":"media","fileFormat":"CSV","fileSchema":"Bucket, Key","files":[]} trailing`,
		"", "null", "[]", `{"fileFormat":1}`} {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte(inventoryManifestJSON), uint8(1))
	f.Add([]byte(inventoryManifestJSON), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, sum uint8) {
		const file = "manifest.json"
		h := md5.Sum(data)
		checksum := hex.EncodeToString(h[:])
		switch sum % 3 {
		case 1:
			checksum = " " + strings.ToUpper(checksum) + "\n"
		case 2:
			h[0]++
			checksum = hex.EncodeToString(h[:])
		}
		m, err := ParseInventoryManifest(data, []byte(checksum), file)
		if sum%3 == 2 {
			if checkErr(t, err, file, false, 0); !errors.Is(err, ErrManifestChecksum) {
				t.Fatalf("a wrong checksum: %v", err)
			}
			return
		}
		if err != nil {
			if checkErr(t, err, file, false, 0); errors.Is(err, ErrManifestChecksum) {
				t.Fatalf("the right checksum %q refused: %v", checksum, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted a manifest that is not JSON: %q", data)
		}
		if m.SourceBucket == "" || m.FileFormat != "CSV" && m.FileFormat != "Parquet" {
			t.Fatalf("accepted %+v", m)
		}
		for i, df := range m.Files {
			if df.Key == "" || df.MD5checksum == "" {
				t.Fatalf("accepted files[%d] = %+v", i, df)
			}
		}
		if m.FileFormat != "CSV" {
			return
		}
		x := m.idx
		for _, at := range []int{x.bucket, x.key, x.version, x.latest, x.marker, x.size, x.modified, x.etag, x.class, x.repl, x.tier} {
			if at < -1 || at >= m.ncols {
				t.Fatalf("schema %q: column at %d of %d (%+v)", m.FileSchema, at, m.ncols, x)
			}
		}
		if x.bucket < 0 || x.key < 0 {
			t.Fatalf("schema %q accepted without Bucket or Key", m.FileSchema)
		}
		for _, c := range m.MissingColumns() {
			if !slices.Contains(Needed, c) {
				t.Fatalf("MissingColumns names %q", c)
			}
		}
		// A row in the schema's own column order reads back by name.
		value := map[string]string{"Bucket": "media", "Key": "a+b%2Bc", "VersionId": "v1", "IsLatest": "false", "IsDeleteMarker": "true",
			"Size": "12", "LastModifiedDate": "2026-01-02T03:04:05.000Z", "ETag": "abc", "StorageClass": "GLACIER"}
		var fields []string
		for _, c := range strings.Split(m.FileSchema, ",") {
			fields = append(fields, value[strings.TrimSpace(c)])
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write(fields)
		w.Flush()
		r, err := m.NewReader(gzipped(b.String()), "part.csv.gz")
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Next()
		if err != nil || row.Bucket != "media" || row.Key != "a b+c" ||
			x.size >= 0 && row.Size != 12 || x.etag >= 0 && row.ETag != `"abc"` || x.latest >= 0 && row.IsLatest ||
			x.modified >= 0 && row.LastModified.Year() != 2026 || x.version >= 0 && row.VersionID != "v1" {
			t.Fatalf("schema %q: the row %q reads as %+v, %v", m.FileSchema, b.String(), row, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("after the one row: %v", err)
		}
	})
}

// inventorySchema is the CSV schema of S3's documentation example.
const inventorySchema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, ReplicationStatus, IntelligentTieringAccessTier"

// FuzzInventoryRow: a CSV inventory data file (gzipped by the target, or
// raw bytes when raw is set) of a manifest with any schema either reads as
// rows or stops at a ParseError naming file and line, and then only
// errors. Each row is what its record says by the schema: the bucket, the
// key form-decoded (never empty), the size a non-negative number, the date
// exactly what time.Parse reads as RFC 3339, the ETag quoted. io.EOF comes
// only after every record.
func FuzzInventoryRow(f *testing.F) {
	for _, s := range []string{
		`"media","a+b%2Bc.exr","","true","false","12","2026-01-02T03:04:05.000Z","abc","STANDARD","",""` + "\n",
		`"media","%zz","","true","false","1","","","","",""` + "\n",
		`"media","k","v","false","true","","","","GLACIER","REPLICA","ARCHIVE_ACCESS"` + "\n",
		`"media","k","v","false","true","","2026-01-02T03:04:05+02:00","""abc""","GLACIER","REPLICA","ARCHIVE_ACCESS"` + "\n",
		`"media","k","","","","-1","","","","",""` + "\n",
		`"media","k","","","","","2026-13-02T03:04:05.000Z","","","",""` + "\n",
		`"media","k"` + "\n", "\"\n", "",
	} {
		f.Add(inventorySchema, []byte(s), false, uint16(0))
	}
	f.Add("Size, ETag, Key, Bucket, IsLatest, StorageClass, LastModifiedDate",
		[]byte(`"12","d41d8cd98f00b204e9800998ecf8427e","a+b%2Bc%2Fd.exr","media","true","GLACIER","2026-01-02T03:04:05.000Z"`+"\n"), false, uint16(0))
	f.Add("Bucket, Key", []byte("media,a\nmedia,b\nmedia,c\n"), false, uint16(30))
	f.Add("Bucket, Key", []byte("not gzip"), true, uint16(0))
	gz, _ := io.ReadAll(gzipped("media,a\nmedia,b\n"))
	f.Add("Bucket, Key", gz, true, uint16(0))
	f.Add("Bucket, Key", append(slices.Clone(gz), gz...), true, uint16(0))
	f.Fuzz(func(t *testing.T, schema string, data []byte, raw bool, cut uint16) {
		const file = "fuzz.csv.gz"
		js, _ := json.Marshal(map[string]any{"sourceBucket": "media", "fileFormat": "CSV", "fileSchema": schema,
			"files": []map[string]any{{"key": "k", "size": 1, "MD5checksum": "x"}}})
		sum := md5.Sum(js)
		m, err := ParseInventoryManifest(js, []byte(hex.EncodeToString(sum[:])), "manifest.json")
		if err != nil {
			return // a schema without Bucket or Key: FuzzInventoryManifest's
		}
		if !raw {
			data, _ = io.ReadAll(gzipped(string(data)))
		}
		r, err := m.NewReader(cutAt(data, cut), file)
		if err != nil {
			checkErr(t, err, file, false, 0)
			return
		}
		var recs [][]string
		var lines []int
		end := error(io.EOF)
		if gr, err := gzip.NewReader(cutAt(data, cut)); err == nil {
			recs, lines, end = records(gr)
		}
		x, last := m.idx, 0
		col := func(rec []string, i int) string {
			if i < 0 {
				return ""
			}
			return rec[i]
		}
		for i := range 10_000 {
			row, err := r.Next()
			if err == io.EOF && (i != len(recs) || end != io.EOF) {
				t.Fatalf("EOF after %d rows; encoding/csv reads %d records, then %v", i, len(recs), end)
			}
			if err != nil {
				if err != io.EOF {
					checkErr(t, err, file, true, last)
				}
				checkStops(t, r.Next, err)
				return
			}
			if i >= len(recs) {
				t.Fatalf("row %+v, but encoding/csv reads only %d records", row, len(recs))
			}
			rec := recs[i]
			if row.Line != lines[i] || row.Line <= last {
				t.Fatalf("row %+v: line %d, want %d (after %d)", row, row.Line, lines[i], last)
			}
			last = row.Line
			if len(rec) != m.ncols {
				t.Fatalf("row %+v from a record of %d fields; the schema has %d", row, len(rec), m.ncols)
			}
			key := rec[x.key]
			if strings.ContainsAny(key, "%+") {
				if key, err = url.QueryUnescape(key); err != nil {
					t.Fatalf("row %+v from a key that does not decode: %q", row, rec[x.key])
				}
			}
			if row.Key == "" || row.Key != key {
				t.Fatalf("row %+v: key, record %q", row, rec)
			}
			if row.Bucket != rec[x.bucket] || row.VersionID != col(rec, x.version) || row.StorageClass != col(rec, x.class) ||
				row.ReplicationStatus != col(rec, x.repl) || row.IntelligentTieringAccessTier != col(rec, x.tier) ||
				row.IsDeleteMarker != (col(rec, x.marker) == "true") {
				t.Fatalf("row %+v: record %q", row, rec)
			}
			if v := col(rec, x.latest); row.IsLatest != (v == "" || v == "true") {
				t.Fatalf("row %+v: IsLatest from %q", row, v)
			}
			if v := col(rec, x.size); v == "" && row.Size != 0 || v != "" {
				if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || row.Size != n {
					t.Fatalf("row %+v: Size from %q", row, v)
				}
			}
			if v := col(rec, x.modified); v != "" {
				want, err := time.Parse(time.RFC3339, v)
				if err != nil || !row.LastModified.Equal(want) {
					t.Fatalf("row %+v: LastModifiedDate %q reads as %v; time.Parse: %v, %v", row, v, row.LastModified, want, err)
				}
			} else if !row.LastModified.IsZero() {
				t.Fatalf("row %+v: a date from nothing", row)
			}
			if v := col(rec, x.etag); v == "" && row.ETag != "" || v != "" && row.ETag != `"`+strings.Trim(v, `"`)+`"` {
				t.Fatalf("row %+v: ETag from %q", row, v)
			}
		}
	})
}

// parquetFile writes rows as a Parquet file.
func parquetFile[T any](t testing.TB, rows ...T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzParquetReader: any bytes either open as a Parquet inventory file or
// are refused with a ParseError naming the file; an open one reads rows
// numbered from 1, each with a key, or stops at a ParseError naming file
// and row, and then only errors. Never a panic, whatever the damage.
func FuzzParquetReader(f *testing.F) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.UTC)
	f.Add(parquetFile(f,
		s3ParquetRow{Bucket: "media", Key: "a b+c.exr", IsLatest: ptr(true), Size: ptr(int64(12)), LastModifiedDate: when, ETag: ptr("abc"), StorageClass: ptr("GLACIER")},
		s3ParquetRow{Bucket: "media", Key: "old", VersionID: ptr("v1"), IsLatest: ptr(false), IsDeleteMarker: ptr(false), LastModifiedDate: when},
		s3ParquetRow{Bucket: "media", Key: ""}))
	type micros struct {
		Bucket string    `parquet:"bucket"`
		Key    string    `parquet:"key"`
		Date   time.Time `parquet:"last_modified_date,timestamp(microsecond)"`
	}
	f.Add(parquetFile(f, micros{"m", "k", when}))
	type text struct {
		Bucket string `parquet:"bucket"`
		Key    string `parquet:"key"`
		Date   string `parquet:"last_modified_date"`
	}
	f.Add(parquetFile(f, text{"m", "k", "yesterday"}))
	type wrongType struct {
		Bucket int64   `parquet:"bucket"`
		Key    float64 `parquet:"key"`
		Size   string  `parquet:"size"`
	}
	f.Add(parquetFile(f, wrongType{1, 2, "3"}))
	type noKey struct {
		Bucket string `parquet:"bucket"`
		Size   int64  `parquet:"size"`
	}
	f.Add(parquetFile(f, noKey{"media", 1}))
	f.Add([]byte("PAR1 this is not really parquet PAR1"))
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.parquet"
		r, err := NewParquetReader(bytes.NewReader(data), int64(len(data)), file)
		if err != nil {
			checkErr(t, err, file, false, 0)
			return
		}
		defer r.Close()
		_ = r.MissingColumns()
		for i := range 10_000 {
			row, err := r.Next()
			if err != nil {
				if err != io.EOF {
					checkErr(t, err, file, true, i)
				}
				checkStops(t, r.Next, err)
				return
			}
			if row.Line != i+1 || row.Key == "" {
				t.Fatalf("row %d: %+v", i+1, row)
			}
		}
	})
}

// FuzzParquetRows: any row written as S3 writes Parquet inventories (the
// date as TIMESTAMP in milli-, micro- or nanoseconds, or a plain INT64)
// reads back exactly, its date included, or is refused for its empty key.
func FuzzParquetRows(f *testing.F) {
	f.Add("media", "a b+c.exr", "", "abc", "GLACIER", int64(12), int64(1772600767008), uint8(0), true, false)
	f.Add("media", "old", "v1", "", "", int64(0), int64(1772600767008123), uint8(1), false, true)
	f.Add("media", "ünï/cödé", "null", "d41d8cd98f00b204e9800998ecf8427e-2", "STANDARD_IA", int64(5<<40), int64(-1), uint8(2), true, false)
	f.Add("media", "", "", "", "", int64(0), int64(0), uint8(3), true, false)
	f.Fuzz(func(t *testing.T, bucket, key, version, etag, class string, size, date int64, unit uint8, latest, marker bool) {
		const file = "fuzz.parquet"
		var data []byte
		var want time.Time
		switch unit % 4 {
		case 0:
			type row struct {
				pqCommon
				Date int64 `parquet:"last_modified_date,timestamp(millisecond)"`
			}
			data, want = parquetFile(t, row{pqRow(bucket, key, version, etag, class, size, latest, marker), date}), time.UnixMilli(date)
		case 1:
			type row struct {
				pqCommon
				Date int64 `parquet:"last_modified_date,timestamp(microsecond)"`
			}
			data, want = parquetFile(t, row{pqRow(bucket, key, version, etag, class, size, latest, marker), date}), time.UnixMicro(date)
		case 2:
			type row struct {
				pqCommon
				Date int64 `parquet:"last_modified_date,timestamp(nanosecond)"`
			}
			data, want = parquetFile(t, row{pqRow(bucket, key, version, etag, class, size, latest, marker), date}), time.Unix(0, date)
		case 3:
			type row struct {
				pqCommon
				Date int64 `parquet:"last_modified_date"`
			}
			data, want = parquetFile(t, row{pqRow(bucket, key, version, etag, class, size, latest, marker), date}), time.UnixMilli(date)
		}
		r, err := NewParquetReader(bytes.NewReader(data), int64(len(data)), file)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, err := r.Next()
		if key == "" {
			if pe := checkErr(t, err, file, true, 0); pe.Line != 1 {
				t.Fatalf("an empty key: %v", err)
			}
			return
		}
		wantETag := ""
		if etag != "" {
			wantETag = `"` + etag + `"`
		}
		if err != nil || got.Line != 1 || got.Bucket != bucket || got.Key != key || got.VersionID != version || got.ETag != wantETag ||
			got.StorageClass != class || got.Size != size || got.IsLatest != latest || got.IsDeleteMarker != marker {
			t.Fatalf("wrote %q %q %q %q %q %d %v %v, read %+v, %v", bucket, key, version, etag, class, size, latest, marker, got, err)
		}
		if !got.LastModified.Equal(want) {
			t.Fatalf("last_modified_date %d (unit %d) reads as %v, want %v", date, unit%4, got.LastModified, want.UTC())
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("after the one row: %v", err)
		}
	})
}

// pqCommon are the Parquet inventory columns but the date.
type pqCommon struct {
	Bucket         string  `parquet:"bucket"`
	Key            string  `parquet:"key"`
	VersionID      *string `parquet:"version_id,optional"`
	IsLatest       *bool   `parquet:"is_latest,optional"`
	IsDeleteMarker *bool   `parquet:"is_delete_marker,optional"`
	Size           *int64  `parquet:"size,optional"`
	ETag           *string `parquet:"e_tag,optional"`
	StorageClass   *string `parquet:"storage_class,optional"`
}

func pqRow(bucket, key, version, etag, class string, size int64, latest, marker bool) pqCommon {
	return pqCommon{Bucket: bucket, Key: key, VersionID: &version, IsLatest: &latest, IsDeleteMarker: &marker, Size: &size, ETag: &etag, StorageClass: &class}
}

// reportManifestJSON is a completion report's manifest.json (from the S3
// documentation's example).
const reportManifestJSON = `{
    "Format": "Report_CSV_20180820",
    "ReportCreationDate": "2019-04-05T17:48:39.725Z",
    "Results": [{
        "TaskExecutionStatus": "succeeded",
        "Bucket": "my-job-reports",
        "MD5Checksum": "83b1c4cbe93fc893f54053697e10fd6e",
        "Key": "job-f8fb9d89-a3aa-461d-bddc-ea6a1b131955/results/6217b0fab0de85c408b4be96aeaca9b195a7daa5.csv"
    },
    {
        "TaskExecutionStatus": "failed",
        "Bucket": "my-job-reports",
        "MD5Checksum": "22ee037f3515975f7719699e5c416eaa",
        "Key": "job-f8fb9d89-a3aa-461d-bddc-ea6a1b131955/results/b2ddad417e94331e9f37b44f1faf8c7ed5873f2e.csv"
    }],
    "ReportSchema": "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
}`

// FuzzReportManifest: a completion report's manifest.json is accepted only
// when it is JSON of the one report format whose results each have a key,
// a checksum and a status of succeeded or failed; anything else is a
// ParseError naming the file.
func FuzzReportManifest(f *testing.F) {
	for _, s := range []string{reportManifestJSON, "hello", "", "null", `{"Format":"S3InventoryReport_CSV_20161130","Results":[]}`,
		`{"Format":"Report_CSV_20180820","Results":[{"TaskExecutionStatus":"failed","Bucket":"b","Key":"k"}]}`,
		`{"Format":"Report_CSV_20180820","Results":[{"TaskExecutionStatus":"maybe","Bucket":"b","Key":"k","MD5Checksum":"x"}]}`,
		`{"Format":"Report_CSV_20180820","Results":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "manifest.json"
		m, err := ParseReportManifest(bytes.NewReader(data), file)
		if err != nil {
			checkErr(t, err, file, false, 0)
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted a manifest that is not JSON: %q", data)
		}
		if m.Format != ReportFormat {
			t.Fatalf("accepted the format %q", m.Format)
		}
		for i, res := range m.Results {
			if res.Key == "" || res.MD5Checksum == "" || res.TaskExecutionStatus != "succeeded" && res.TaskExecutionStatus != "failed" {
				t.Fatalf("accepted Results[%d] = %+v", i, res)
			}
		}
	})
}

// FuzzReportReader: a completion report's results file either reads as
// rows or stops at a ParseError naming file and line, and then only
// errors. Each row is what its record says: a bucket, a path-decoded
// non-empty key, a task status of succeeded or failed (any case), the HTTP
// status from whichever of fields 5 and 6 is a number and the error code
// from the other, the rest joined as the message. io.EOF comes only after
// every record.
func FuzzReportReader(f *testing.F) {
	for _, s := range []string{
		"media,a%20b.exr,,failed,403,AccessDenied,\"Access Denied, really\"\nmedia,c.exr,v1,failed,InternalError,500,oops\nmedia,d.exr,,succeeded,200,,Successful\n",
		"media,a,,failed,403\n", "media,a,,failed,Denied,Nope,msg\n", "media,a,,maybe,403,AccessDenied,msg\n", "media,a%zz,,failed,403,AccessDenied,msg\n",
		"media,a,,FAILED,404,NoSuchKey,The specified key does not exist.,extra,fields\n", "\"\n", "", ",,,,,\n",
	} {
		f.Add([]byte(s), uint16(0))
	}
	f.Add([]byte("media,a,,failed,403,AccessDenied,x\nmedia,b,,failed,403,AccessDenied,x\n"), uint16(40))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		const file = "results.csv"
		r := NewReportReader(cutAt(data, cut), file)
		recs, lines, end := records(cutAt(data, cut))
		last := 0
		for i := 0; ; i++ {
			row, err := r.Next()
			if err == io.EOF && (i != len(recs) || end != io.EOF) {
				t.Fatalf("EOF after %d rows; encoding/csv reads %d records, then %v", i, len(recs), end)
			}
			if err != nil {
				if err != io.EOF {
					checkErr(t, err, file, true, last)
				}
				checkStops(t, r.Next, err)
				return
			}
			if i >= len(recs) {
				t.Fatalf("row %+v, but encoding/csv reads only %d records", row, len(recs))
			}
			rec := recs[i]
			if row.Line != lines[i] || row.Line <= last {
				t.Fatalf("row %+v: line %d, want %d (after %d)", row, row.Line, lines[i], last)
			}
			last = row.Line
			if len(rec) < 6 {
				t.Fatalf("row %+v from a record of %d fields", row, len(rec))
			}
			key, err := url.PathUnescape(rec[1])
			if row.Bucket == "" || row.Bucket != rec[0] || err != nil || key == "" || row.Key != key || row.VersionID != rec[2] ||
				row.TaskStatus != strings.ToLower(rec[3]) || row.TaskStatus != "succeeded" && row.TaskStatus != "failed" ||
				row.Message != strings.Join(rec[6:], ",") {
				t.Fatalf("row %+v: record %q", row, rec)
			}
			code := rec[5]
			n, err := strconv.Atoi(rec[4])
			if err != nil {
				code = rec[4]
				n, err = strconv.Atoi(rec[5])
			}
			if err != nil || row.HTTPStatus != n || row.ErrorCode != code {
				t.Fatalf("row %+v: HTTP status and error code from %q", row, rec[4:6])
			}
		}
	})
}
