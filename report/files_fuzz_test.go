package report

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

// FuzzManifestFileRoundTrip: what --failures and --archived write
// (ManifestFile) is what --manifest reads back (inventory.ManifestReader,
// told the source bucket as the manifest source tells it): the same
// objects, in order, whatever the key (any bytes but empty) and whatever
// version id S3 could return (anything without a CR: encoding/csv reads
// CRLF inside a quoted field as LF).
func FuzzManifestFileRoundTrip(f *testing.F) {
	for _, s := range [][3]string{{"media", "a b+c.exr", ""}, {"media", "dir/ü/%41?#", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"},
		{"media", "/lead//trail/", "null"}, {"bucket", "key", ""}, {"Bucket", "Key", "v,1"}, {"media", "\x00\xff\n\"", "a\"b\nc"}} {
		f.Add(s[0], s[1], s[2])
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, bucket, key, version string) {
		if key == "" || strings.Contains(version, "\r") {
			return
		}
		if u, err := s3url.Parse("s3://" + bucket); err != nil || u.Bucket != bucket {
			return
		}
		path := filepath.Join(dir, "failures.csv")
		m, err := CreateManifest(path)
		if err != nil {
			t.Fatal(err)
		}
		keys := []string{key, key + "/2", "plain"}
		for _, k := range keys {
			if err := m.Write(bucket, k, version); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		r := inventory.NewManifestReader(in, path)
		r.Bucket = bucket
		for i, k := range keys {
			row, err := r.Next()
			if err != nil || row.Bucket != bucket || row.Key != k || row.VersionID != version {
				t.Fatalf("row %d: wrote %q %q %q, read %+v, %v", i+1, bucket, k, version, row, err)
			}
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("after the last row: %v", err)
		}
	})
}
