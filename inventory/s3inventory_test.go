package inventory

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"testing"
	"time"
	"unicode/utf8"
)

func testManifest(t testing.TB, schema string) *InventoryManifest {
	t.Helper()
	js := []byte(`{"sourceBucket":"media","fileFormat":"CSV","fileSchema":"` + schema + `","files":[{"key":"k","size":1,"MD5checksum":"x"}]}`)
	sum := md5.Sum(js)
	m, err := ParseInventoryManifest(js, []byte(hex.EncodeToString(sum[:])), "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func gzipped(s string) io.Reader {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return &b
}

func TestInventoryRowsByFileSchema(t *testing.T) {
	// Columns in an unusual order: read by name, never by position.
	m := testManifest(t, "Size, ETag, Key, Bucket, IsLatest, StorageClass, LastModifiedDate")
	r, err := m.NewReader(gzipped(`"12","d41d8cd98f00b204e9800998ecf8427e","a+b%2Bc%2Fd.exr","media","true","GLACIER","2026-01-02T03:04:05.000Z"`+"\n"), "part.csv.gz")
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if row.Key != "a b+c/d.exr" || row.Size != 12 || row.ETag != `"d41d8cd98f00b204e9800998ecf8427e"` || !row.Archived() ||
		row.LastModified.Year() != 2026 || row.Bucket != "media" {
		t.Errorf("row %+v", row)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("want EOF, got %v", err)
	}
}

func TestInventoryReplicationSkips(t *testing.T) {
	for status, want := range map[string]string{"COMPLETED": "replicated", "COMPLETE": "replicated", "PENDING": "replication-pending",
		"REPLICA": "is-replica", "FAILED": "", "": ""} {
		if got := (InventoryRow{ReplicationStatus: status}).ReplicationSkip(); got != want {
			t.Errorf("%q: %q, want %q", status, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, v := range []string{"2026-01-02T03:04:05.678Z", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.678+02:00"} {
		want, _ := time.Parse(time.RFC3339, v)
		if got, err := parseTime(v); err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, bad := range []string{"2026-13-02T03:04:05.678Z", "2026-01-02T03:04:0x.678Z", "yesterday"} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) accepted", bad)
		}
	}
}

// FuzzInventoryKeyRoundTrip: any key S3 Inventory writes (form-encoded,
// in a quoted CSV field) is read back exactly.
func FuzzInventoryKeyRoundTrip(f *testing.F) {
	for _, k := range []string{"a b+c.exr", "dir/ü.mov", "50%.exr", `q"uote,comma`, "line\nbreak", "a//b", "/lead", "€", "+", "%2B"} {
		f.Add(k)
	}
	m := testManifest(f, "Bucket, Key, Size, LastModifiedDate, ETag")
	f.Fuzz(func(t *testing.T, key string) {
		if key == "" || !utf8.ValidString(key) {
			return // S3 keys are non-empty UTF-8
		}
		line := fmt.Sprintf("%q,%q,%q,%q,%q\n", "media", url.QueryEscape(key), "1", "2026-01-02T03:04:05.000Z", "abc")
		r, err := m.NewReader(gzipped(line), "fuzz.csv.gz")
		if err != nil {
			t.Fatal(err)
		}
		row, err := r.Next()
		if err != nil || row.Key != key {
			t.Fatalf("key %q read back as %q (%v)", key, row.Key, err)
		}
	})
}
