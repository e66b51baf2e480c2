package inventory

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func readAll(t *testing.T, m *ManifestReader) ([]ManifestRow, error) {
	t.Helper()
	var rows []ManifestRow
	for {
		r, err := m.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
}

func TestManifestReader(t *testing.T) {
	in := "media,a%20b%2Bc.exr\nmedia,dir/%C3%BC+x\nmedia,\"quoted,comma\"\n"
	rows, err := readAll(t, NewManifestReader(strings.NewReader(in), "m.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a b+c.exr", "dir/ü+x", "quoted,comma"}
	for i, r := range rows {
		if r.Key != want[i] || r.Bucket != "media" || r.Line != i+1 {
			t.Errorf("row %d = %+v, want key %q", i, r, want[i])
		}
	}
	if rows, err := readAll(t, NewManifestReader(strings.NewReader(""), "m.csv")); err != nil || len(rows) != 0 {
		t.Errorf("empty manifest: %v %v", rows, err)
	}
	rows, err = readAll(t, NewManifestReader(strings.NewReader("media,k,v1\nmedia,k,v2\n"), "m.csv"))
	if err != nil || len(rows) != 2 || rows[1].VersionID != "v2" {
		t.Errorf("versions: %+v %v", rows, err)
	}
}

func TestManifestReaderBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		in, bucket, prefix string
		line               int
		msg                string
	}{
		"wrong field count":   {"media,a\nmedia,b,v1,extra\n", "", "", 2, "4 fields"},
		"one field":           {"media\n", "", "", 1, "1 fields"},
		"bad escape":          {"media,a\nmedia,bad%zzkey\n", "", "", 2, "not URL-encoded"},
		"other bucket":        {"media,a\nother,b\n", "media", "", 2, `bucket "other"`},
		"mixed versions":      {"media,a,v1\nmedia,b\n", "", "", 2, "version id"},
		"header row":          {"Bucket,Key\nmedia,a\n", "", "", 1, "header"},
		"outside the prefix":  {"media,shows/a\nmedia,other/b\n", "media", "shows/", 2, "not under"},
		"unterminated quotes": {"media,\"abc\n", "", "", 1, "quote"},
	} {
		m := NewManifestReader(strings.NewReader(tc.in), "failures.csv")
		m.Bucket, m.Prefix = tc.bucket, tc.prefix
		_, err := readAll(t, m)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tc.line || pe.File != "failures.csv" || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v; want a ParseError at line %d mentioning %q", name, err, tc.line, tc.msg)
		}
	}
}
