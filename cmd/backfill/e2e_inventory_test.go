package main

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/backfill-dev/backfill/internal/s3test"
)

const invSchema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, ReplicationStatus, IntelligentTieringAccessTier"

type invRow struct {
	key, version, latest, marker, class, repl, tier string
	size                                            int64
	etag                                            string
	modified                                        time.Time
}

// csvLine writes a row as S3 Inventory does: form-encoded key, unquoted ETag.
func (r invRow) csvLine(bucket string) string {
	latest := r.latest
	if latest == "" {
		latest = "true"
	}
	marker := r.marker
	if marker == "" {
		marker = "false"
	}
	class := r.class
	if class == "" {
		class = "STANDARD"
	}
	return fmt.Sprintf("%q,%q,%q,%q,%q,%q,%q,%q,%q,%q,%q\n", bucket, url.QueryEscape(r.key), r.version, latest, marker,
		fmt.Sprint(r.size), r.modified.UTC().Format("2006-01-02T15:04:05.000Z"), strings.Trim(r.etag, `"`), class, r.repl, r.tier)
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// writeInventory lays out one delivery as S3 Inventory writes it:
// config/DATE/manifest.json + manifest.checksum, config/data/*.csv.gz.
// edit may change the manifest JSON text before its checksum is taken.
func writeInventory(t *testing.T, dir, bucket, date string, files [][]byte, format, schema string) (manifestPath string, written map[string][]byte) {
	t.Helper()
	return writeInventoryNamed(t, dir, bucket, date, files, format, schema, "part")
}

// writeInventoryNamed is writeInventory with data files named NAME-i.csv.gz.
func writeInventoryNamed(t *testing.T, dir, bucket, date string, files [][]byte, format, schema, name string) (manifestPath string, written map[string][]byte) {
	t.Helper()
	written = map[string][]byte{}
	var list []string
	for i, data := range files {
		key := fmt.Sprintf("inv/%s/config1/data/%s-%d.csv.gz", bucket, name, i)
		os.MkdirAll(filepath.Join(dir, "config1", "data"), 0o755)
		os.WriteFile(filepath.Join(dir, "config1", "data", filepath.Base(key)), data, 0o600)
		written[key] = data
		list = append(list, fmt.Sprintf(`{"key":%q,"size":%d,"MD5checksum":%q}`, key, len(data), md5hex(data)))
	}
	// Taken now, as a fresh delivery is (verify counts too-new from it).
	manifest := fmt.Sprintf(`{"sourceBucket":%q,"destinationBucket":"arn:aws:s3:::inventories","version":"2016-11-30","creationTimestamp":"%d","fileFormat":%q,"fileSchema":%q,"files":[%s]}`,
		bucket, time.Now().UnixMilli(), format, schema, strings.Join(list, ","))
	mdir := filepath.Join(dir, "config1", date)
	os.MkdirAll(mdir, 0o755)
	manifestPath = filepath.Join(mdir, "manifest.json")
	os.WriteFile(manifestPath, []byte(manifest), 0o600)
	os.WriteFile(filepath.Join(mdir, "manifest.checksum"), []byte(md5hex([]byte(manifest))+"\n"), 0o600)
	prefix := "inv/" + bucket + "/config1/" + date + "/"
	written[prefix+"manifest.json"] = []byte(manifest)
	written[prefix+"manifest.checksum"] = []byte(md5hex([]byte(manifest)) + "\n")
	return manifestPath, written
}

func (e *env) inventoryRows() map[string]invRow {
	e.t.Helper()
	rows := map[string]invRow{}
	p := s3.NewListObjectsV2Paginator(e.client, &s3.ListObjectsV2Input{Bucket: aws.String(e.src)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.t.Context())
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			rows[k] = invRow{key: k, size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag), modified: aws.ToTime(o.LastModified)}
		}
	}
	return rows
}

func TestInventoryCopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, k := range []string{"a b+c.exr", "dir/ü.mov", "replicated.exr", "pending.exr", "replica.exr", "failed-repl.exr", "cold.exr", "it-archive.exr", "other/x.exr"} {
		e.put(e.src, obj{key: k, body: k, meta: map[string]string{"k": "v"}})
	}
	rows := e.inventoryRows()
	set := func(k string, f func(*invRow)) { r := rows[k]; f(&r); rows[k] = r }
	set("replicated.exr", func(r *invRow) { r.repl = "COMPLETED" })
	set("pending.exr", func(r *invRow) { r.repl = "PENDING" })
	set("replica.exr", func(r *invRow) { r.repl = "REPLICA" })
	set("failed-repl.exr", func(r *invRow) { r.repl = "FAILED" })
	set("cold.exr", func(r *invRow) { r.class = "GLACIER" })
	set("it-archive.exr", func(r *invRow) { r.class, r.tier = "INTELLIGENT_TIERING", "ARCHIVE_ACCESS" })
	var data strings.Builder
	for _, r := range rows {
		data.WriteString(r.csvLine(e.src))
	}
	old := rows["a b+c.exr"]
	old.version, old.latest = "v-old", "false" // a non-current version: not part of the job
	data.WriteString(old.csvLine(e.src))
	data.WriteString(invRow{key: "deleted.exr", marker: "true", modified: time.Now().Add(-time.Hour)}.csvLine(e.src))
	data.WriteString(invRow{key: "gone.exr", size: 4, etag: "abc", modified: time.Now().Add(-time.Hour)}.csvLine(e.src))
	half := len(data.String()) / 2
	cut := strings.Index(data.String()[half:], "\n") + half + 1
	manifest, written := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(data.String()[:cut]), gz(data.String()[cut:])}, "CSV", invSchema)

	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", manifest, "--no-checkpoint", "--report", rep)...)
	mustCode(t, r, 0)
	rf := readReport(t, rep)
	want := map[string]int64{"replicated": 1, "replication-pending": 1, "is-replica": 1, "archived": 2, "gone": 1}
	for k, v := range want {
		if rf.Skipped[k] != v {
			t.Errorf("skipped %v, want %v", rf.Skipped, want)
			break
		}
	}
	if rf.Copied != 4 { // a b+c, dir/ü, failed-repl, other/x
		t.Errorf("copied %d, want 4: %+v", rf.Copied, rf)
	}
	// No listing of the source (its pre-flight page aside); the replica is
	// listed once (beside its pre-flight page), never HEADed per object.
	if c := e.proxy.Counts(); byBucket(e.proxy, "ListObjectsV2", e.src) > 1 || byBucket(e.proxy, "ListObjectsV2", e.dst) > 2 ||
		byBucket(e.proxy, "HeadObject", e.dst) != 0 || c["CopyObject"] != 5 { // 4 + the gone one
		t.Errorf("requests %v", c)
	}
	got := e.listing(e.dst, "")
	for _, k := range []string{"a b+c.exr", "dir/ü.mov", "failed-repl.exr", "other/x.exr"} {
		if _, ok := got[k]; !ok {
			t.Errorf("%q not copied; replica %v", k, sortedKeys(got))
		}
	}

	// The same, from S3, found as the newest delivery under a prefix; and
	// with a source prefix, only what is under it.
	invBucket := e.srv.NewBucket(t, false)
	_, older := writeInventory(t, t.TempDir(), e.src, "2026-11-20T01-00Z", [][]byte{gz(invRow{key: "never.exr", size: 1, etag: "x", modified: time.Now()}.csvLine(e.src))}, "CSV", invSchema)
	for k, v := range older {
		e.put(invBucket, obj{key: k, body: string(v)})
	}
	for k, v := range written {
		e.put(invBucket, obj{key: k, body: string(v)})
	}
	r = e.run("copy", "--from", "s3://"+e.src+"/other", "--to", "s3://"+e.dst+"/again", "--no-progress", "--no-checkpoint",
		"--inventory", "s3://"+invBucket+"/inv/", "--report", rep)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 1 {
		t.Errorf("from S3 with a prefix: %+v\n%s", rf, r.stderr)
	}
	if _, ok := e.listing(e.dst, "again/")["again/x.exr"]; !ok {
		t.Error("other/x.exr not copied to again/x.exr")
	}

	// Three machines share the inventory: every wanted key is copied by
	// exactly one of them.
	seen := map[string]int{}
	for i := 1; i <= 3; i++ {
		dst := e.srv.NewBucket(t, false)
		r = e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+dst, "--no-progress", "--no-checkpoint",
			"--inventory", manifest, "--shard", fmt.Sprintf("%d/3", i))
		mustCode(t, r, 0)
		for k := range e.listing(dst, "") {
			seen[k]++
		}
	}
	for _, k := range []string{"a b+c.exr", "dir/ü.mov", "failed-repl.exr", "other/x.exr"} {
		if seen[k] != 1 {
			t.Errorf("%q copied by %d shards, want 1 (%v)", k, seen[k], seen)
		}
	}
	if r := e.run(e.copyArgs("--inventory", manifest, "--shard", "4/3", "--no-checkpoint")...); r.code != 2 {
		t.Errorf("--shard 4/3: exit %d", r.code)
	}

	// --replication-status chooses what to copy: here COMPLETED only.
	dst := e.srv.NewBucket(t, false)
	r = e.run("copy", "--from", "s3://"+e.src, "--to", "s3://"+dst, "--no-progress", "--no-checkpoint",
		"--inventory", manifest, "--replication-status", "COMPLETED", "--report", rep)
	mustCode(t, r, 0)
	if got := e.listing(dst, ""); len(got) != 1 || got["replicated.exr"] == "" {
		t.Errorf("--replication-status COMPLETED copied %v", sortedKeys(got))
	}
	// Every other current row has a status not chosen: FAILED or none
	// (a b+c, dir/ü, other/x, cold, it-archive, gone, failed-repl).
	if rf := readReport(t, rep); rf.Skipped["replication-status"] != 7 || rf.Skipped["replication-pending"] != 1 || rf.Skipped["is-replica"] != 1 {
		t.Errorf("report %+v", rf)
	}
	if r := e.run(e.copyArgs("--inventory", manifest, "--replication-status", "DONE", "--no-checkpoint")...); r.code != 2 {
		t.Errorf("--replication-status DONE: exit %d", r.code)
	}
}

func TestBadInventoryCopiesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"}, obj{key: "b", body: "b"})
	rows := e.inventoryRows()
	good := rows["a"].csvLine(e.src) + rows["b"].csvLine(e.src)
	for name, tc := range map[string]struct {
		setup func(dir string) string // returns the manifest path
		want  string
	}{
		"manifest checksum": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "CSV", invSchema)
			b, _ := os.ReadFile(m)
			os.WriteFile(m, append(b, ' '), 0o600)
			return m
		}, "does not match manifest.checksum"},
		"data MD5": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "CSV", invSchema)
			os.WriteFile(filepath.Join(dir, "config1", "data", "part-0.csv.gz"), gz(good+good), 0o600)
			return m
		}, "part-0.csv.gz: data file does not match its MD5checksum"},
		"missing data file": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "CSV", invSchema)
			os.Remove(filepath.Join(dir, "config1", "data", "part-0.csv.gz"))
			return m
		}, "part-0.csv.gz: no such file or directory"},
		"unknown format": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "XLSX", invSchema)
			return m
		}, `unsupported inventory format "XLSX"`},
		"ORC": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "ORC", invSchema)
			return m
		}, "ORC support comes later"},
		"schema without Key": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "CSV", "Bucket, Size")
			return m
		}, "has no Key column"},
		"schema without ETag": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good)}, "CSV", strings.Replace(invSchema, "ETag, ", "", 1))
			return m
		}, "fileSchema has no ETag"},
		"wrong field count": {func(dir string) string {
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(good + "\"" + e.src + "\",\"c\"\n")}, "CSV", invSchema)
			return m
		}, "part-0.csv.gz:3: 2 fields, but fileSchema has 11"},
		"bad escape": {func(dir string) string {
			bad := strings.Replace(rows["b"].csvLine(e.src), `"b"`, `"b%zz"`, 1)
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(rows["a"].csvLine(e.src) + bad)}, "CSV", invSchema)
			return m
		}, "part-0.csv.gz:2: key \"b%zz\""},
		"truncated gzip": {func(dir string) string {
			z := gz(strings.Repeat(good, 50))
			m, _ := writeInventory(t, dir, e.src, "2026-11-23T01-00Z", [][]byte{z[:len(z)-12]}, "CSV", invSchema)
			return m
		}, "part-0.csv.gz:"},
		"another bucket": {func(dir string) string {
			m, _ := writeInventory(t, dir, "somebody-else", "2026-11-23T01-00Z", [][]byte{gz(good)}, "CSV", invSchema)
			return m
		}, `an inventory of bucket "somebody-else"`},
	} {
		t.Run(name, func(t *testing.T) {
			e.proxy.Reset()
			m := tc.setup(t.TempDir())
			r := e.run(e.copyArgs("--inventory", m, "--no-checkpoint")...)
			if name == "truncated gzip" && !regexp.MustCompile(`part-0\.csv\.gz:\d+: reading the data: unexpected EOF`).MatchString(r.stderr) {
				t.Errorf("truncated gzip: %s", r.stderr)
			}
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "nothing was copied") {
				t.Errorf("exit %d\n%s\nwant %q", r.code, r.stderr, tc.want)
			}
			if c := e.proxy.Counts(); c["CopyObject"]+c["HeadObject"] != 0 {
				t.Errorf("requests %v", c)
			}
		})
	}
	m, _ := writeInventory(t, t.TempDir(), e.src, "2026-11-23T01-00Z", [][]byte{gz("")}, "CSV", invSchema)
	r := e.run(e.copyArgs("--inventory", m, "--no-checkpoint")...)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("empty inventory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if len(e.listing(e.dst, "")) != 0 {
		t.Error("something was copied from bad inventories")
	}
}

type parquetInvRow struct {
	Bucket            string    `parquet:"bucket"`
	Key               string    `parquet:"key"`
	IsLatest          *bool     `parquet:"is_latest,optional"`
	Size              *int64    `parquet:"size,optional"`
	LastModifiedDate  time.Time `parquet:"last_modified_date,timestamp(millisecond)"`
	ETag              *string   `parquet:"e_tag,optional"`
	StorageClass      *string   `parquet:"storage_class,optional"`
	ReplicationStatus *string   `parquet:"replication_status,optional"`
	VersionID         *string   `parquet:"version_id,optional"`
	IsDeleteMarker    *bool     `parquet:"is_delete_marker,optional"`
	TieringTier       *string   `parquet:"intelligent_tiering_access_tier,optional"`
}

// parquetBytes writes rows as S3 Inventory does: Snappy-compressed.
func parquetBytes[T any](t *testing.T, rows []T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, parquet.Compression(&parquet.Snappy))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestInventoryParquet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a b+c.exr", body: "a"}, obj{key: "done.exr", body: "d"}, obj{key: "sub/x.mov", body: "x"},
		obj{key: "deep.exr", body: "i"})
	var rows []parquetInvRow
	for k, r := range e.inventoryRows() {
		pr := parquetInvRow{Bucket: e.src, Key: k, IsLatest: ptrTo(true), Size: ptrTo(r.size), LastModifiedDate: r.modified,
			ETag: ptrTo(strings.Trim(r.etag, `"`)), StorageClass: ptrTo("STANDARD"), VersionID: ptrTo("v-" + k), IsDeleteMarker: ptrTo(false)}
		switch k {
		case "done.exr":
			pr.ReplicationStatus = ptrTo("COMPLETED")
		case "deep.exr":
			pr.StorageClass, pr.TieringTier = ptrTo("INTELLIGENT_TIERING"), ptrTo("DEEP_ARCHIVE_ACCESS")
		}
		rows = append(rows, pr)
	}
	// A non-current version, and a key deleted since (its delete marker
	// is current): neither is copied.
	rows = append(rows,
		parquetInvRow{Bucket: e.src, Key: "sub/x.mov", IsLatest: ptrTo(false), Size: ptrTo(int64(9)), LastModifiedDate: time.Now().Add(-48 * time.Hour),
			ETag: ptrTo("0ld"), StorageClass: ptrTo("STANDARD"), VersionID: ptrTo("v-old"), IsDeleteMarker: ptrTo(false)},
		parquetInvRow{Bucket: e.src, Key: "deleted.exr", IsLatest: ptrTo(true), LastModifiedDate: time.Now().Add(-time.Hour),
			VersionID: ptrTo("dm"), IsDeleteMarker: ptrTo(true)})
	m, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{parquetBytes(t, rows)}, "Parquet",
		"message s3.inventory { required binary bucket (STRING); required binary key (STRING); ... }")
	rep := filepath.Join(e.dir, "r.json")
	mustCode(t, e.run(e.copyArgs("--inventory", m, "--no-checkpoint", "--report", rep)...), 0)
	if rf := readReport(t, rep); rf.Copied != 2 || rf.Skipped["replicated"] != 1 || rf.Skipped["archived"] != 1 || rf.Listed != 4 {
		t.Errorf("report %+v", rf)
	}
	if _, ok := e.listing(e.dst, "")["a b+c.exr"]; !ok {
		t.Error("a b+c.exr not copied (Parquet keys are not URL-encoded)")
	}
	if b := e.body(e.dst, "sub/x.mov"); b != "x" {
		t.Errorf("sub/x.mov in the replica: %q, want the current version", b)
	}
	if got := sortedKeys(e.listing(e.dst, "")); len(got) != 2 {
		t.Errorf("replica %v", got)
	}

	type noKey struct {
		Bucket string `parquet:"bucket"`
		Size   int64  `parquet:"size"`
	}
	e.proxy.Reset()
	m, _ = writeInventory(t, t.TempDir(), e.src, "2026-11-23T01-00Z", [][]byte{parquetBytes(t, []noKey{{Bucket: e.src, Size: 1}})}, "Parquet", "message s3.inventory {}")
	r := e.run(e.copyArgs("--inventory", m, "--no-checkpoint")...)
	if r.code != 1 || !strings.Contains(r.stderr, "part-0.csv.gz: no key column") || !strings.Contains(r.stderr, "nothing was copied") {
		t.Errorf("Parquet without key: exit %d\n%s", r.code, r.stderr)
	}
	if n := e.proxy.Count("CopyObject"); n != 0 {
		t.Errorf("%d copies", n)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestInventoryResumePerDataFile: a resumed inventory run fetches and
// reads no data file the earlier run finished, and resumes a started one
// after its watermark.
func TestInventoryResumePerDataFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 12 {
		objs = append(objs, obj{key: fmt.Sprintf("f%02d.exr", i), body: fmt.Sprint(i)})
	}
	e.put(e.src, objs...)
	rows := e.inventoryRows()
	var part0, part1 strings.Builder
	for i := range 12 {
		line := rows[fmt.Sprintf("f%02d.exr", i)].csvLine(e.src)
		if i < 6 {
			part0.WriteString(line)
		} else {
			part1.WriteString(line)
		}
	}
	invBucket := e.srv.NewBucket(t, false)
	_, written := writeInventory(t, t.TempDir(), e.src, "2026-11-23T01-00Z", [][]byte{gz(part0.String()), gz(part1.String())}, "CSV", invSchema)
	for k, v := range written {
		e.put(invBucket, obj{key: k, body: string(v)})
	}
	failing := true
	var mu sync.Mutex
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		mu.Lock()
		defer mu.Unlock()
		if failing && r.Op == "CopyObject" && r.Key == "f08.exr" {
			return &s3test.Fault{Status: 503, Code: "ServiceUnavailable", Message: "later"}
		}
		return nil
	})
	args := e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--max-attempts", "1", "--concurrency", "1")
	mustCode(t, e.run(args...), 3)
	mu.Lock()
	failing = false
	mu.Unlock()
	e.proxy.Reset()
	rep := filepath.Join(e.dir, "r.json")
	mustCode(t, e.run(append(args, "--report", rep)...), 0)
	for _, req := range e.proxy.Requests() {
		if req.Op == "GetObject" && strings.HasSuffix(req.Key, "part-0.csv.gz") {
			t.Error("the finished data file was fetched again")
		}
	}
	rf := readReport(t, rep)
	if rf.Copied != 1 || rf.Listed > 4 { // f08 copied; f09-f11 after it are skipped as done
		t.Errorf("resumed run: %+v", rf)
	}
	if len(e.listing(e.dst, "")) != 12 {
		t.Error("replica incomplete")
	}
}

// The inventory is a day old: an object rewritten since its delivery is
// copied as it is now when that version predates the --min-age window,
// and skipped as changed when it does not.
func TestInventoryObjectChangedSinceDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "same.exr", body: "same"}, obj{key: "rewritten.exr", body: "the new cut"})
	// Rewritten two hours ago (versitygw dates an object by its file).
	ago := time.Now().Add(-2 * time.Hour)
	for _, k := range []string{"same.exr", "rewritten.exr"} {
		if err := os.Chtimes(filepath.Join(e.srv.RootDir, e.src, k), ago, ago); err != nil {
			t.Fatal(err)
		}
	}
	rows := e.inventoryRows()
	stale := rows["rewritten.exr"]
	stale.etag, stale.size, stale.modified = `"0123456789abcdef0123456789abcdef"`, 5, time.Now().Add(-24*time.Hour)
	rows["rewritten.exr"] = stale
	var data strings.Builder
	for _, r := range rows {
		data.WriteString(r.csvLine(e.src))
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)

	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", manifest, "--no-checkpoint", "--report", rep, "--min-age", "3h")...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Skipped["changed"] != 1 || rf.Skipped["too-new"] != 1 || rf.Copied != 0 {
		t.Errorf("rewritten 2 hours ago, --min-age 3h: %+v", rf)
	}
	if _, ok := e.listing(e.dst, "")["rewritten.exr"]; ok {
		t.Error("a rewritten object inside the --min-age window was copied")
	}

	r = e.run(e.copyArgs("--inventory", manifest, "--no-checkpoint", "--report", rep)...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 2 || len(rf.Skipped) != 0 {
		t.Errorf("report %+v\n%s", rf, r.stderr)
	}
	if b := e.body(e.dst, "rewritten.exr"); b != "the new cut" {
		t.Errorf("replica holds %q, want the source's current version", b)
	}
}

// TestInventoryNewestCompleteDelivery: under a destination prefix, the
// newest delivery of the source bucket that has its manifest.checksum;
// several configurations are refused rather than mixed.
func TestInventoryNewestCompleteDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a.exr", body: "a"})
	var data strings.Builder
	for _, r := range e.inventoryRows() {
		data.WriteString(r.csvLine(e.src))
	}
	invBucket := e.srv.NewBucket(t, false)
	upload := func(files map[string][]byte, only string) {
		for k, v := range files {
			if strings.HasSuffix(k, only) {
				e.put(invBucket, obj{key: k, body: string(v)})
			}
		}
	}
	_, good := writeInventory(t, t.TempDir(), e.src, "2026-11-22T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	upload(good, "")
	// Newer, but still being written: no manifest.checksum yet.
	_, partial := writeInventory(t, t.TempDir(), e.src, "2026-11-23T01-00Z", [][]byte{gz("garbage")}, "CSV", invSchema)
	upload(partial, "manifest.json") // (its data file would overwrite the good one's: same name)
	// Newer still, of another bucket under the same destination prefix.
	_, other := writeInventory(t, t.TempDir(), "another-bucket", "2026-11-24T01-00Z", [][]byte{gz("garbage")}, "CSV", invSchema)
	upload(other, "")

	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--no-checkpoint", "--report", rep)...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 1 {
		t.Errorf("report %+v\n%s", rf, r.stderr)
	}
	// A job's checkpoint holds it to the delivery it started from: a
	// newer one the next day is not silently mixed in; the same command
	// resumes the job's own delivery and says a newer one landed.
	cp := filepath.Join(e.dir, "cp.db")
	r = e.run(e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--checkpoint", cp)...)
	mustCode(t, r, 0)
	_, newer := writeInventory(t, t.TempDir(), e.src, "2026-11-25T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	upload(newer, "")
	r = e.run(e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--checkpoint", cp)...)
	if r.code != 0 || !strings.Contains(r.stdout, "2026-11-25T01-00Z") || !strings.Contains(r.stdout, "2026-11-22T01-00Z") {
		t.Errorf("resume after a newer delivery: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = e.run(e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--inventory-date", "2026-11-23", "--no-checkpoint")...)
	if r.code == 0 || !strings.Contains(r.stderr, "without manifest.checksum") {
		t.Errorf("--inventory-date of an incomplete delivery: exit %d\n%s", r.code, r.stderr)
	}

	// A second configuration for the same bucket.
	for k, v := range good {
		e.put(invBucket, obj{key: strings.Replace(k, "/config1/", "/config2/", 1), body: string(v)})
	}
	r = e.run(e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--no-checkpoint")...)
	if r.code == 0 || !strings.Contains(r.stderr, "several inventory configurations") || !strings.Contains(r.stderr, "config2") {
		t.Errorf("two configurations: exit %d\n%s", r.code, r.stderr)
	}
}

// TestInventoryIncludeArchived: archived rows are skipped and counted by
// default; --include-archived attempts them, and one S3 will not copy
// without a restore is recorded as an InvalidObjectState failure.
func TestInventoryIncludeArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "cold.exr", body: "c"}, obj{key: "restored.exr", body: "r"}, obj{key: "warm.exr", body: "w"})
	rows := e.inventoryRows()
	for _, k := range []string{"cold.exr", "restored.exr"} {
		r := rows[k]
		r.class = "GLACIER"
		rows[k] = r
	}
	var data strings.Builder
	for _, r := range rows {
		data.WriteString(r.csvLine(e.src))
	}
	manifest, _ := writeInventory(t, e.dir, e.src, "2026-11-23T01-00Z", [][]byte{gz(data.String())}, "CSV", invSchema)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && r.Key == "cold.exr" { // not restored: S3 refuses it
			return &s3test.Fault{Status: 403, Code: "InvalidObjectState", Message: "The operation is not valid for the object's storage class"}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--inventory", manifest, "--no-checkpoint", "--report", rep)...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Skipped["archived"] != 2 || rf.Copied != 1 || e.proxy.Count("CopyObject") != 1 {
		t.Errorf("default: %+v, requests %v", rf, e.proxy.Counts())
	}
	fails := filepath.Join(e.dir, "failures.csv")
	r = e.run(e.copyArgs("--inventory", manifest, "--no-checkpoint", "--report", rep, "--include-archived", "--failures", fails)...)
	if r.code != 3 {
		t.Errorf("exit %d, want 3 (some objects failed)\n%s", r.code, r.stderr)
	}
	if rf := readReport(t, rep); rf.Failed["InvalidObjectState"] != 1 || rf.Copied != 1 || rf.Skipped["exists"] != 1 {
		t.Errorf("--include-archived: %+v", rf)
	}
	if b, _ := os.ReadFile(fails); !strings.Contains(string(b), "cold.exr") {
		t.Errorf("failures file: %q", b)
	}
}
