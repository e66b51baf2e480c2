package batchops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/inventory"
)

func TestKeyDigestIsOrderFree(t *testing.T) {
	var a, b, c keyDigest
	a.add("b", "k1", "")
	a.add("b", "k2", "")
	b.add("b", "k2", "")
	b.add("b", "k1", "")
	c.add("b", "k1", "")
	c.add("b", "k3", "")
	if a.String() != b.String() || a.String() == c.String() || len(a.String()) != 64 {
		t.Errorf("digests %s %s %s", a.String(), b.String(), c.String())
	}
	var d keyDigest
	d.add("b", "k1", "")
	if d.String() == a.String() {
		t.Error("a subset has the same digest")
	}
}

func collect(t *testing.T, objs ...inventory.Object) *collector {
	t.Helper()
	c, err := newCollector()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.remove)
	for _, o := range objs {
		c.Result(&engine.Result{Outcome: engine.WouldCopy, Entry: inventory.Entry{Source: o}})
	}
	c.Result(&engine.Result{Outcome: engine.Skipped, Entry: inventory.Entry{Source: inventory.Object{Bucket: "src", Key: "skipped"}}})
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	return c
}

// The collector keeps what a copy would copy: objects over 5 GiB apart,
// skips out; the manifest written from it has no header, keys encoded so
// they read back the same, and passes the check.
func TestCollectFinalizeCheck(t *testing.T) {
	c := collect(t,
		inventory.Object{Bucket: "src", Key: "shows/take 1+final.mov", Size: 10, StorageClass: "STANDARD_IA"},
		inventory.Object{Bucket: "src", Key: "shows/ü/a,b\"c.exr", Size: 20, StorageClass: "STANDARD_IA"},
		inventory.Object{Bucket: "src", Key: "shows/feature.mov", Size: MaxCopySize + 1},
		inventory.Object{Bucket: "src", Key: "shows/edge.mov", Size: MaxCopySize, StorageClass: "STANDARD_IA"})
	if c.rows != 3 || len(c.large) != 1 || c.lbytes != MaxCopySize+1 || c.mixedVersions() {
		t.Fatalf("collector rows %d large %d", c.rows, len(c.large))
	}
	if class, several := c.storageClass(); class != "STANDARD_IA" || several != nil {
		t.Errorf("class %q %v", class, several)
	}
	m, err := finalize(context.Background(), c.f.Name(), nil, false, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(m.path)
	body, _ := os.ReadFile(m.path)
	if !strings.Contains(string(body), "src,shows/take%201%2Bfinal.mov\n") || strings.Contains(string(body), "Bucket") {
		t.Errorf("manifest:\n%s", body)
	}
	if err := checkManifest(m, "src", "shows/", 3); err != nil {
		t.Errorf("check: %v", err)
	}
	if err := checkManifest(m, "other", "", 3); err == nil || !strings.Contains(err.Error(), `bucket "src", but the source is "other"`) {
		t.Errorf("check of another bucket: %v", err)
	}
	if err := checkManifest(m, "src", "", 4); err == nil || !strings.Contains(err.Error(), "3 rows read back, 4 written") {
		t.Errorf("check of a count: %v", err)
	}
	large := filepath.Join(t.TempDir(), "large.csv")
	if err := c.writeLarge(large); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(large); string(b) != "src,shows/feature.mov\n" {
		t.Errorf("large manifest %q", b)
	}
	if st, _ := os.Stat(large); st.Mode().Perm() != 0o600 {
		t.Errorf("large manifest mode %v", st.Mode())
	}
}

// Versions are filled by a HEAD of each object without one: the null
// version of a versioned bucket is "null", objects gone since are dropped,
// and rows that had one keep it.
func TestFillVersions(t *testing.T) {
	f := newFakeS3()
	f.objects["src/a"], f.versions["src/a"] = nil, "v-a"
	f.objects["src/old"] = nil // written before versioning: the null version
	c := collect(t,
		inventory.Object{Bucket: "src", Key: "a", Size: 1},
		inventory.Object{Bucket: "src", Key: "old", Size: 1},
		inventory.Object{Bucket: "src", Key: "gone", Size: 1},
		inventory.Object{Bucket: "src", Key: "kept", Size: 1, VersionID: "v-kept"})
	if !c.mixedVersions() {
		t.Fatal("mixed rows not seen")
	}
	m, err := finalize(context.Background(), c.f.Name(), f, true, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(m.path)
	body, _ := os.ReadFile(m.path)
	for _, want := range []string{"src,a,v-a\n", "src,old,null\n", "src,kept,v-kept\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("manifest lacks %q:\n%s", want, body)
		}
	}
	if m.rows != 3 || m.gone != 1 || !m.versions || strings.Count(f.callList(), "HeadObject") != 3 {
		t.Errorf("rows %d gone %d versions %v calls %s", m.rows, m.gone, m.versions, f.callList())
	}
	if err := checkManifest(m, "src", "", 3); err != nil {
		t.Error(err)
	}
}

func TestSeveralStorageClasses(t *testing.T) {
	c := collect(t, inventory.Object{Bucket: "s", Key: "a", StorageClass: "GLACIER_IR"}, inventory.Object{Bucket: "s", Key: "b"}, inventory.Object{Bucket: "s", Key: "c"})
	class, several := c.storageClass()
	if class != "" || strings.Join(several, ", ") != "GLACIER_IR 1, STANDARD 2" {
		t.Errorf("%q %v", class, several)
	}
}

// A small manifest is one PutObject with SSE-S3; a large one goes in
// parts, and a failed part aborts the upload.
func TestUpload(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.csv")
	os.WriteFile(small, []byte("src,a\n"), 0o600)
	f := newFakeS3()
	etag, err := upload(context.Background(), f, small, "rep", "m.csv")
	if err != nil || etag != `"put-6"` || f.callList() != "PutObject:AES256" {
		t.Errorf("small: %q %v %s", etag, err, f.callList())
	}
	big := filepath.Join(dir, "big.csv")
	fh, _ := os.Create(big)
	fh.Truncate(2*uploadPartSize + 10)
	fh.Close()
	f = newFakeS3()
	etag, err = upload(context.Background(), f, big, "rep", "m.csv")
	if err != nil || etag != `"mp-2"` || f.callList() != "CreateMultipartUpload:AES256,UploadPart 1,UploadPart 2,UploadPart 3,CompleteMultipartUpload 3" {
		t.Errorf("big: %q %v %s", etag, err, f.callList())
	}
	f = newFakeS3()
	f.failPart = 2
	if _, err = upload(context.Background(), f, big, "rep", "m.csv"); err == nil || !strings.HasSuffix(f.callList(), "UploadPart 2,AbortMultipartUpload") {
		t.Errorf("failed part: %v %s", err, f.callList())
	}
}
