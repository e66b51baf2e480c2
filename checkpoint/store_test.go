package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var spec = Spec{"source": "s3://a/", "dest": "s3://b/", "include": ""}

func TestRecordsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.db")
	s := open(t, path)
	cut := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.Begin(spec, cut, false); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	b := NewBatch()
	lm := time.Date(2025, 5, 5, 5, 5, 5, 0, time.UTC)
	b.Put("a b/ü+%.exr", "", Record{State: Done, ETag: `"abc"`, Size: 1 << 40, LastModified: lm, StorageClass: "STANDARD_IA"})
	b.Put("gone", "", Record{State: Failed, Code: "X"})
	b.Delete("gone", "")
	b.PutUpload(Upload{Key: "movie.mov", UploadID: "u1", Size: 6 << 30, PartSize: 1 << 30, Parts: []Part{{1, `"p1"`}}})
	b.Put("", "", Record{State: Done, ETag: "empty-key"})
	b.Put("k", "v1", Record{State: Failed, ETag: `"x"`, Size: 3, Code: "AccessDenied", Message: strings.Repeat("m", 2000), Attempts: 2})
	b.PutShard(Shard{Prefix: "show/", Depth: 1, Watermark: "show/shot1/f.0001.exr"})
	b.PutShard(Shard{Prefix: "", Depth: 0, Complete: true})
	b.Count(1, 1<<40, "", "")
	b.Count(0, 0, "exists", "")
	b.Count(0, 0, "", "AccessDenied")
	if err := s.Apply(b); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Error("Apply did not empty the batch")
	}
	r, ok, err := s.Lookup("a b/ü+%.exr", "")
	if err != nil || !ok || r.State != Done || r.ETag != `"abc"` || r.Size != 1<<40 || !r.LastModified.Equal(lm) || r.StorageClass != "STANDARD_IA" {
		t.Errorf("Lookup = %+v %v %v", r, ok, err)
	}
	r, ok, _ = s.Lookup("k", "v1")
	if !ok || r.State != Failed || r.Code != "AccessDenied" || len(r.Message) != maxMessage || r.Attempts != 2 {
		t.Errorf("failed record = %+v", r)
	}
	if r, ok, _ := s.Lookup("", ""); !ok || r.ETag != "empty-key" {
		t.Errorf("empty key: %+v %v", r, ok)
	}
	if _, ok, _ := s.Lookup("k", ""); ok {
		t.Error("a versioned record found without its version")
	}
	shards, err := s.Shards()
	if err != nil || len(shards) != 2 {
		t.Fatalf("Shards = %v, %v", shards, err)
	}
	if _, ok, _ := s.Lookup("gone", ""); ok {
		t.Error("a deleted record is still there")
	}
	var ups []Upload
	s.Uploads(func(u Upload) error { ups = append(ups, u); return nil })
	if len(ups) != 1 || ups[0].UploadID != "u1" || len(ups[0].Parts) != 1 {
		t.Errorf("uploads %+v", ups)
	}
	b.DeleteUpload("movie.mov", "")
	s.Apply(b)
	if in, _ := s.Info(); in.Uploads != 0 {
		t.Errorf("upload not deleted: %d", in.Uploads)
	}
	c, _ := s.Counters()
	if c.Copied != 1 || c.Skipped["exists"] != 1 || c.Failed["AccessDenied"] != 1 {
		t.Errorf("counters %+v", c)
	}
	var failed []string
	s.Each(Failed, func(k, v string, r Record) error { failed = append(failed, k+"@"+v); return nil })
	if fmt.Sprint(failed) != "[k@v1]" {
		t.Errorf("failed = %v", failed)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
}

func TestEachPagesThroughMany(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "cp.db"))
	b := NewBatch()
	for i := range 2500 {
		st := Done
		if i%10 == 0 {
			st = Failed
		}
		b.Put(fmt.Sprintf("k%05d", i), "", Record{State: st})
	}
	if err := s.Apply(b); err != nil {
		t.Fatal(err)
	}
	n, f := 0, 0
	s.Each(0, func(string, string, Record) error { n++; return nil })
	s.Each(Failed, func(string, string, Record) error { f++; return nil })
	if n != 2500 || f != 250 {
		t.Errorf("Each visited %d (failed %d)", n, f)
	}
	in, err := s.Info()
	if err != nil || in.Done != 2250 || in.Failed != 250 {
		t.Errorf("Info = %+v, %v", in, err)
	}
}

func TestSpecMismatchAndReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.db")
	s := open(t, path)
	cut := time.Now().Truncate(time.Second)
	if err := s.Begin(spec, cut, false); err != nil {
		t.Fatal(err)
	}
	b := NewBatch()
	b.Put("a", "", Record{State: Done})
	s.Apply(b)
	other := Spec{"source": "s3://a/", "dest": "s3://c/", "include": "*.exr"}
	err := s.Begin(other, cut, false)
	var se *SpecError
	if !errors.As(err, &se) || !errors.Is(err, ErrSpecMismatch) || len(se.Diffs) != 2 ||
		!strings.Contains(err.Error(), `dest was "s3://b/", now "s3://c/"`) || !strings.Contains(err.Error(), "include") {
		t.Fatalf("err = %v", err)
	}
	if err := s.Begin(spec, cut.Add(time.Hour), false); err != nil {
		t.Errorf("same spec refused: %v", err)
	}
	if in, _ := s.Info(); !in.Cutoff.Equal(cut.Add(time.Hour)) {
		t.Errorf("last cutoff %v", in.Cutoff)
	}
	if err := s.Begin(other, cut.Add(time.Hour), true); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, ok, _ := s.Lookup("a", ""); ok {
		t.Error("reset kept old records")
	}
}

func TestNotACheckpoint(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a database\n", 500)), 0o644)
	garbage := filepath.Join(dir, "garbage.db")
	g := make([]byte, 64<<10)
	for i := range g {
		g[i] = byte(i * 7)
	}
	os.WriteFile(garbage, g, 0o600)
	// A valid checkpoint with its second half overwritten.
	corrupt := filepath.Join(dir, "corrupt.db")
	s, err := Open(corrupt, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch()
	for i := range 5000 {
		b.Put(fmt.Sprintf("key-%06d", i), "", Record{State: Done, ETag: "etag"})
	}
	s.Apply(b)
	s.Close()
	data, _ := os.ReadFile(corrupt)
	for i := 4096; i < len(data); i++ {
		data[i] = 0xAB
	}
	os.WriteFile(corrupt, data, 0o600)

	for _, p := range []string{text, garbage, corrupt, dir} {
		s, err := Open(p, Options{})
		if err == nil {
			// bbolt may open a file whose damage is beyond its meta pages;
			// reading it must then fail cleanly, not panic.
			_, err = s.Info()
			s.Close()
		}
		if !errors.Is(err, ErrNotCheckpoint) {
			t.Errorf("%s: err = %v, want ErrNotCheckpoint", filepath.Base(p), err)
		}
	}
	// A bbolt file that belongs to some other program.
	other := filepath.Join(dir, "other.db")
	db, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err })
	db.Close()
	if _, err := Open(other, Options{}); !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), "something else") {
		t.Errorf("other program's bbolt file: %v", err)
	}
	if _, err := Open(other, Options{ReadOnly: true}); !errors.Is(err, ErrNotCheckpoint) {
		t.Errorf("other program's bbolt file, read-only: %v", err)
	}
}

// TestLockedFromAnotherProcess runs a helper process that holds the
// checkpoint, then opens it here: ErrLocked quickly, naming the holder.
func TestLockedFromAnotherProcess(t *testing.T) {
	if os.Getenv("CHECKPOINT_HOLD") != "" {
		s, err := Open(os.Getenv("CHECKPOINT_HOLD"), Options{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("HOLDING")
		time.Sleep(time.Minute)
		s.Close()
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "cp.db")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestLockedFromAnotherProcess$")
	cmd.Env = append(os.Environ(), "CHECKPOINT_HOLD="+path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "HOLDING" {
		t.Fatalf("helper said %q, %v", buf, err)
	}
	start := time.Now()
	_, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) || !strings.Contains(err.Error(), path) {
		t.Errorf("message does not name the holder and file: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}
