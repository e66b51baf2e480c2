package batchops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	st, err := loadState(path)
	if err != nil || len(st.Submits) != 0 {
		t.Fatalf("a missing file is an empty state: %v", err)
	}
	rec := Record{Key: "k", Token: strings.Repeat("a", 64), Job: JobSpec{Operation: Copy}, Created: time.Now().UTC()}
	if err := st.put(rec); err != nil {
		t.Fatal(err)
	}
	rec.JobID = "job-1"
	if err := st.put(rec); err != nil {
		t.Fatal(err)
	}
	if err := st.put(Record{Key: "k", Token: strings.Repeat("b", 64), JobID: "job-2"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v %v", fi, err)
	}
	st, err = loadState(path)
	if err != nil || len(st.Submits) != 2 || st.last("k").JobID != "job-2" || st.byJob("job-1") == nil || st.attempts("k") != 2 || st.last("other") != nil {
		t.Fatalf("reloaded %+v %v", st.Submits, err)
	}
	if err := st.drop(strings.Repeat("b", 64)); err != nil || st.last("k").JobID != "job-1" {
		t.Errorf("drop: %v %+v", err, st.Submits)
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := loadState(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a bad file: %v", err)
	}
}

// The submit key is the command's identity (not the clock's); the token
// adds the rows' digest and the attempt; the description carries the
// token so ListJobs can find the job.
func TestIdentity(t *testing.T) {
	s := validSubmit(t)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	c := &control{account: "123456789012", region: "us-east-1"}
	k := submitKey(s, c)
	if k2 := submitKey(s, &control{account: "123456789012", region: "eu-west-1"}); k2 == k {
		t.Error("the region is not part of the key")
	}
	s.Run.Include = []string{"*.mov"}
	if submitKey(s, c) == k {
		t.Error("the filters are not part of the key")
	}
	s.Run.Include = nil
	s.Job.Generate = &Generator{CreatedBefore: time.Now()}
	g1 := submitKey(s, c)
	s.Job.Generate = &Generator{CreatedBefore: time.Now().Add(time.Hour)}
	if submitKey(s, c) != g1 {
		t.Error("the generator's clock changes the key")
	}
	tok := jobToken(k, "digest", 0)
	if len(tok) != 64 || tok == jobToken(k, "digest", 1) || tok == jobToken(k, "other", 0) {
		t.Errorf("tokens %s", tok)
	}
	d := description(tok, JobSpec{Operation: Copy, From: "s3://a/" + strings.Repeat("x", 300), To: "s3://b/"})
	if !strings.HasPrefix(d, tag(tok)+" copy s3://a/") || len(d) > 256 {
		t.Errorf("description %q", d)
	}
}
