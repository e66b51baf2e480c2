package inventory

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadersStopAtFirstError: after an error, every reader returns it
// again, never the rows after it (encoding/csv itself reads on past a bad
// line; FuzzManifestReader, FuzzInventoryRow, FuzzReportReader and
// FuzzParquetReader check it).
func TestReadersStopAtFirstError(t *testing.T) {
	m := testManifest(t, "Bucket, Key, Size")
	inv, err := m.NewReader(gzipped("media,a,-1\nmedia,b,2\n"), "part.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	for name, next := range map[string]func() (any, error){
		"manifest":  wrap(NewManifestReader(strings.NewReader("media,a\"b\nmedia,c\n"), "m.csv").Next),
		"inventory": wrap(inv.Next),
		"report":    wrap(NewReportReader(strings.NewReader("media,a,,maybe,403,AccessDenied,x\nmedia,b,,failed,403,AccessDenied,x\n"), "r.csv").Next),
	} {
		_, first := next()
		var pe *ParseError
		if !errors.As(first, &pe) || pe.Line != 1 {
			t.Fatalf("%s: first error %v", name, first)
		}
		for range 2 {
			if row, err := next(); err != first {
				t.Errorf("%s: after %v, Next = %+v, %v", name, first, row, err)
			}
		}
	}
}

func wrap[R any](next func() (R, error)) func() (any, error) {
	return func() (any, error) { return next() }
}

// TestReportReaderReadErrorNamesLine: a results file whose read fails (a
// cut download) names the line where it broke (FuzzReportReader: it named
// none).
func TestReportReaderReadErrorNamesLine(t *testing.T) {
	boom := errors.New("connection reset")
	r := NewReportReader(io.MultiReader(strings.NewReader("media,a,,failed,403,AccessDenied,x\n"), iotest.ErrReader(boom)), "r.csv")
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !errors.Is(err, boom) {
		t.Errorf("err = %v; want a ParseError at line 2 wrapping the read error", err)
	}
}

// TestReportManifestOneDocument: data after the manifest's JSON object is
// damage, refused (FuzzReportManifest: `{...}00` was accepted).
func TestReportManifestOneDocument(t *testing.T) {
	ok := `{"Format":"Report_CSV_20180820","Results":[]}`
	if _, err := ParseReportManifest(strings.NewReader(ok+"\n\n"), "manifest.json"); err != nil {
		t.Errorf("trailing space: %v", err)
	}
	for _, bad := range []string{ok + "00", ok + ok, ok + "}"} {
		var pe *ParseError
		if _, err := ParseReportManifest(strings.NewReader(bad), "manifest.json"); !errors.As(err, &pe) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestManifestSourceNamedBucket: the first row of a manifest of a source
// bucket named "bucket" is a row, not a header (found in review of the
// header rule while writing FuzzManifestReader).
func TestManifestSourceNamedBucket(t *testing.T) {
	for _, b := range []string{"bucket", "Bucket"} {
		m := NewManifestReader(strings.NewReader(b+",key\n"+b+",k2\n"), "failures.csv")
		m.Bucket = b
		rows, err := readAll(t, m)
		if err != nil || len(rows) != 2 || rows[0].Key != "key" {
			t.Errorf("source %q: %+v, %v", b, rows, err)
		}
	}
	m := NewManifestReader(strings.NewReader("Bucket,Key\nmedia,a\n"), "m.csv")
	m.Bucket = "media"
	if _, err := readAll(t, m); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("a header row of another source: %v", err)
	}
}
