package batchops

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/run"
)

// resumeWith is a submit whose state file holds rec (key "k"), connected
// to f.
func resumeWith(t *testing.T, f *fakeControl, rec Record, mod func(*SubmitSpec)) (*submit, *bytes.Buffer) {
	t.Helper()
	s := validSubmit(t)
	s.State = filepath.Join(t.TempDir(), "state.json")
	if mod != nil {
		mod(s)
	}
	st, err := loadState(s.State)
	if err != nil {
		t.Fatal(err)
	}
	rec.Key = "k"
	if err := st.put(rec); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	return &submit{spec: s, out: newPrinter(&out, false), st: st, key: "k", ctl: &control{api: f, account: "123456789012", region: "us-east-1"}}, &out
}

var pendingToken = strings.Repeat("ab", 32)

// --dry-run never sends CreateJob for a submit whose CreateJob got no
// answer, nor confirms a Suspended job with --yes: it only reports.
func TestDryRunResumeOnlyReports(t *testing.T) {
	f := newFakeControl()
	b, out := resumeWith(t, f, Record{Token: pendingToken, Account: "123456789012", Job: JobSpec{Operation: Copy}}, func(s *SubmitSpec) { s.DryRun = true })
	done, err := b.resume(context.Background())
	if !done || err != nil || f.callList() != "ListJobs" || len(f.jobs) != 0 {
		t.Errorf("pending record, --dry-run: done %v %v, calls %s, jobs %d", done, err, f.callList(), len(f.jobs))
	}
	if !strings.Contains(out.String(), "--dry-run: nothing was sent") {
		t.Errorf("output:\n%s", out)
	}
	if st, _ := loadState(b.spec.State); st.last("k").JobID != "" {
		t.Error("--dry-run changed the state file")
	}

	f = newFakeControl()
	f.add("job-1", types.JobStatusSuspended, "")
	b, out = resumeWith(t, f, Record{Token: pendingToken, JobID: "job-1"}, func(s *SubmitSpec) { s.DryRun, s.Confirm = true, true })
	if done, err := b.resume(context.Background()); !done || err != nil || strings.Contains(f.callList(), "UpdateJobStatus") {
		t.Errorf("Suspended job, --dry-run --yes: %v %v, calls %s", done, err, f.callList())
	}
	if !strings.Contains(out.String(), "--dry-run: the job was not confirmed") {
		t.Errorf("output:\n%s", out)
	}
	// without --dry-run the same record's job is confirmed
	b, _ = resumeWith(t, f, Record{Token: pendingToken, JobID: "job-1"}, func(s *SubmitSpec) { s.Confirm = true })
	if _, err := b.resume(context.Background()); err != nil || !strings.Contains(f.callList(), "UpdateJobStatus Ready") {
		t.Errorf("Suspended job, --yes: %v, calls %s", err, f.callList())
	}
}

// A submit run again finishes the local copy of the objects over 5 GiB
// its first run kept out of the job, when that copy did not finish
// (CreateJob without an answer, a crash): from the manifest it recorded,
// with its checkpoint, once.
func TestResumeCopiesLargeObjects(t *testing.T) {
	dir := t.TempDir()
	large := filepath.Join(dir, "large.csv")
	os.WriteFile(large, []byte("src,film.mov\n"), 0o600)
	sum, _ := fileSHA256(large)
	l := &LargeRecord{Manifest: large, SHA256: sum, Objects: 1, Bytes: 6 << 30, Checkpoint: filepath.Join(dir, "large.db")}
	var ran []run.Spec
	old := runLocal
	runLocal = func(_ context.Context, s *run.Spec, _ run.Env) error { ran = append(ran, *s); return nil }
	t.Cleanup(func() { runLocal = old })

	f := newFakeControl()
	f.add("job-1", types.JobStatusActive, "")
	b, _ := resumeWith(t, f, Record{Token: pendingToken, JobID: "job-1", Large: l}, func(s *SubmitSpec) { s.LargeLocally = true })
	if done, err := b.resume(context.Background()); !done || err != nil {
		t.Fatalf("resume: %v %v", done, err)
	}
	if len(ran) != 1 || ran[0].Source.Manifest != large || ran[0].Checkpoint != l.Checkpoint || ran[0].Engine.DryRun {
		t.Fatalf("local copies %+v", ran)
	}
	st, _ := loadState(b.spec.State)
	if r := st.last("k"); r.Large == nil || !r.Large.Done {
		t.Errorf("the state file does not say the copy finished: %+v", r.Large)
	}
	b.st = st
	if _, err := b.resume(context.Background()); err != nil || len(ran) != 1 {
		t.Errorf("a third run copied again: %v %d", err, len(ran))
	}

	// A large manifest written again since (another submit) is refused.
	l2 := *l
	l2.SHA256, l2.Done = strings.Repeat("0", 64), false
	b, _ = resumeWith(t, f, Record{Token: pendingToken, JobID: "job-1", Large: &l2}, func(s *SubmitSpec) { s.LargeLocally = true })
	if _, err := b.resume(context.Background()); err == nil || !strings.Contains(err.Error(), "written again since") || len(ran) != 1 {
		t.Errorf("a changed large manifest: %v", err)
	}
}

// newRec is a copy job's record about to be created, of key "k".
func newRec(attempt int) *Record {
	tok := jobToken("k", "d", attempt)
	j := JobSpec{Operation: Copy, From: "s3://src/", To: "s3://dst/", RoleARN: "arn:aws:iam::123456789012:role/b", ReportTo: "s3://rep/r", ReportScope: ScopeFailed}
	return &Record{Key: "k", Token: tok, Digest: "d", Attempt: attempt, Account: "123456789012", Job: j, Description: description(tok, j),
		Manifest: &ManifestRef{Format: formatCSV, ARN: "arn:aws:s3:::rep/m.csv", ETag: `"e"`}}
}

// Two submits of one command at once make one job: the one that creates
// second reads the state file again under its lock and takes the first's
// job.
func TestCreateSeesAnotherSubmit(t *testing.T) {
	f := newFakeControl()
	b, _ := resumeWith(t, f, Record{Token: strings.Repeat("c", 64)}, nil)
	b.prior = strings.Repeat("c", 64) // the record resume saw
	meanwhile, _ := loadState(b.spec.State)
	meanwhile.put(Record{Key: "k", Token: strings.Repeat("d", 64), JobID: "job-9"})
	rec := newRec(0)
	if err := b.make(context.Background(), rec); err != nil || rec.JobID != "job-9" || strings.Contains(f.callList(), "CreateJob") {
		t.Errorf("%v: job %s, calls %s", err, rec.JobID, f.callList())
	}
}

// A state file lost after a job ended would make the same submit reuse
// attempt 0's token, and S3 answer with the old job: the token's job is
// looked for first, and an ended one moves the submit to the next attempt.
func TestCreateAfterALostStateFile(t *testing.T) {
	f := newFakeControl()
	old := newRec(0)
	f.add("job-old", types.JobStatusCancelled, old.Description)
	b, out := resumeWith(t, f, Record{Token: strings.Repeat("c", 64)}, nil)
	b.prior = strings.Repeat("c", 64)
	rec := newRec(0)
	if err := b.make(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if rec.JobID == "job-old" || rec.Attempt != 1 || rec.Token != jobToken("k", "d", 1) || strings.Count(f.callList(), "CreateJob") != 1 {
		t.Errorf("job %s attempt %d, calls %s\n%s", rec.JobID, rec.Attempt, f.callList(), out)
	}
	// a job of the token that has not ended is this submit's
	f = newFakeControl()
	f.add("job-live", types.JobStatusActive, old.Description)
	b, _ = resumeWith(t, f, Record{Token: strings.Repeat("c", 64)}, nil)
	b.prior = strings.Repeat("c", 64)
	rec = newRec(0)
	if err := b.make(context.Background(), rec); err != nil || rec.JobID != "job-live" || strings.Contains(f.callList(), "CreateJob") {
		t.Errorf("%v: job %s, calls %s", err, rec.JobID, f.callList())
	}
}
