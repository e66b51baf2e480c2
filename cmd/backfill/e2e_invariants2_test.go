package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	bolt "go.etcd.io/bbolt"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/report"
)

// A kill -9 between CreateMultipartUpload and the first part leaves the
// upload recorded (its id is committed before any part is sent): status
// shows it and cleanup aborts it, so nothing stays billed unknown.
func TestUploadRecordedBeforeItsFirstPart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.putLarge("big.mov", 23<<20)
	cmd := e.command(e.copyArgs(mpFlags...)...)
	arrived, killed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	// Killed the moment its first part reaches S3 (the part is held until
	// then): the narrowest window after CreateMultipartUpload; the
	// checkpoint's own commits come every 100 ms.
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" {
			once.Do(func() { close(arrived); <-killed })
			return &s3test.Fault{Delay: time.Minute}
		}
		return nil
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no UploadPartCopy reached the server")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	close(killed)
	e.proxy.SetHook(nil)

	ups, err := e.client.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.dst)})
	if err != nil || len(ups.Uploads) != 1 {
		t.Fatalf("after the kill: %d uploads (%v)", len(ups.Uploads), err)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if len(st.Uploads) != 1 || st.Uploads[0].UploadID != aws.ToString(ups.Uploads[0].UploadId) {
		t.Fatalf("the upload S3 holds is not recorded: status %+v, S3 %s", st.Uploads, aws.ToString(ups.Uploads[0].UploadId))
	}
	mustCode(t, e.run("cleanup"), 0)
	e.noUploads(e.dst)
}

// --reset aborts the uploads the checkpoint records before forgetting
// them; when an abort fails, it refuses to reset and names the upload.
func TestResetAbortsRecordedUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := e.killMidMultipart()

	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "AbortMultipartUpload" {
			return &s3test.Fault{Status: 500, Code: "InternalError", Message: "try later"}
		}
		return nil
	})
	r := e.run(e.copyArgs(append(mpFlags, "--reset", "--max-attempts", "1")...)...)
	mustCode(t, r, 1)
	if !strings.Contains(r.stderr, old) || !strings.Contains(r.stderr, "not reset") {
		t.Errorf("the refusal does not name the upload %s: %s", old, r.stderr)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if len(st.Uploads) != 1 || st.Uploads[0].UploadID != old {
		t.Errorf("a refused reset forgot the upload: %+v", st.Uploads)
	}

	e.proxy.SetHook(nil)
	e.proxy.Reset()
	mustCode(t, e.run(e.copyArgs(append(mpFlags, "--reset")...)...), 0)
	aborted := false
	for _, req := range e.proxy.Requests() {
		if req.Op == "AbortMultipartUpload" && req.Query.Get("uploadId") == old {
			aborted = true
		}
	}
	if !aborted {
		t.Errorf("--reset did not abort the recorded upload %s", old)
	}
	e.noUploads(e.dst)
}

// 2,000 objects S3 refuses to copy because they are archived (an archive
// tier the listing cannot see) among copyable ones: the run never stops.
// Without --include-archived they are skipped as archived (exit 0); with
// it, they are failures (exit 3); either way every copyable object is
// copied and --archived lists exactly the archived ones.
func TestArchivedObjectsNeverStopTheRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 2000 {
		objs = append(objs, obj{key: "cold/" + padded(i), body: "c"})
	}
	for i := range 40 {
		objs = append(objs, obj{key: "warm/" + padded(i), body: "w"})
	}
	e.put(e.src, objs...)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && strings.Contains(r.Header.Get("X-Amz-Copy-Source"), "/cold/") {
			return &s3test.Fault{Status: 403, Code: "InvalidObjectState", Message: "The operation is not valid for the object's storage class"}
		}
		return nil
	})
	for _, tc := range []struct {
		flag string
		code int
	}{{"", 0}, {"--include-archived", 3}} {
		rep, archived := filepath.Join(e.dir, "r.json"), filepath.Join(e.dir, "archived.csv")
		args := e.copyArgs("--no-checkpoint", "--report", rep, "--archived", archived, "--concurrency", "16")
		if tc.flag != "" {
			args = append(args, tc.flag)
		}
		mustCode(t, e.run(args...), tc.code)
		rf := readReport(t, rep)
		if tc.flag == "" && (rf.Skipped["archived"] != 2000 || rf.Skipped["exists"]+rf.Copied != 40) {
			t.Errorf("without --include-archived: %+v", rf)
		}
		if tc.flag != "" && (rf.Failed["InvalidObjectState"] != 2000 || rf.Skipped["exists"] != 40) {
			t.Errorf("with --include-archived: %+v", rf)
		}
		b, _ := os.ReadFile(archived)
		if lines := strings.Count(string(b), "\n"); lines != 2000 || !strings.Contains(string(b), e.src+",cold/0042\n") {
			t.Errorf("%s: %d lines, want the 2000 archived objects", tc.flag, lines)
		}
	}
	if n := len(e.listing(e.dst, "warm/")); n != 40 {
		t.Errorf("%d copyable objects copied, want 40", n)
	}
}

// killMidMultipart kills a copy of a large object while it holds one
// part, and returns the upload it leaves recorded in the checkpoint.
func (e *env) killMidMultipart() string {
	e.t.Helper()
	e.putLarge("big.mov", 23<<20)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "UploadPartCopy" && r.Query.Get("partNumber") == "2" {
			return &s3test.Fault{Delay: time.Minute}
		}
		return nil
	})
	cmd := e.command(e.copyArgs(mpFlags...)...)
	cmd.Start()
	deadline := time.Now().Add(60 * time.Second)
	for e.partsHeld("big.mov") < 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	ups, _ := e.client.ListMultipartUploads(e.t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(e.dst)})
	if len(ups.Uploads) != 1 {
		e.t.Fatalf("%d uploads after the kill", len(ups.Uploads))
	}
	e.proxy.SetHook(nil)
	return aws.ToString(ups.Uploads[0].UploadId)
}

// --reset (and cleanup) with another destination endpoint than the job's
// cannot abort the job's uploads (that server answers NoSuchUpload, which
// would pass for an abort): it refuses, naming the recorded endpoint and
// the uploads, and forgets nothing.
func TestResetOnAnotherEndpointKeepsTheUploads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := e.killMidMultipart()
	other := e.srv.NewProxy(t) // another address: as far as a job knows, another server
	other.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "AbortMultipartUpload" || r.Op == "ListParts" {
			return &s3test.Fault{Status: 404, Code: "NoSuchUpload", Message: "The specified upload does not exist"}
		}
		return nil
	})
	for _, args := range [][]string{
		e.copyArgs(append(mpFlags, "--reset", "--endpoint-url", other.URL())...),
		{"cleanup", "--endpoint-url", other.URL()},
	} {
		r := e.run(args...)
		if r.code != 2 || !strings.Contains(r.stderr, old) || !strings.Contains(r.stderr, strings.ToLower(e.proxy.URL())) {
			t.Errorf("%s: exit %d, want 2 naming the upload %s and the recorded endpoint %s: %s", args[0], r.code, old, e.proxy.URL(), r.stderr)
		}
	}
	if n := other.Count("AbortMultipartUpload"); n != 0 {
		t.Errorf("%d aborts sent to another endpoint", n)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--json").stdout), &st)
	if len(st.Uploads) != 1 || st.Uploads[0].UploadID != old {
		t.Errorf("a refused reset forgot the upload: %+v", st.Uploads)
	}
	mustCode(t, e.run(e.copyArgs(append(mpFlags, "--reset")...)...), 0)
	e.noUploads(e.dst)
}

func padded(i int) string { return fmt.Sprintf("%04d", i) }

// A checkpoint made against one endpoint is not taken for a job on
// another server with the same bucket names.
func TestCheckpointOfAnotherEndpointIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a.exr", body: "a"})
	cp := filepath.Join(e.dir, "cp.db")
	mustCode(t, e.run(e.copyArgs("--checkpoint", cp)...), 0)
	other := e.srv.NewProxy(t) // another address: as far as a job knows, another server
	cmd := e.command(e.copyArgs("--checkpoint", cp, "--endpoint-url", other.URL())...)
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(out), "endpoint") {
		t.Errorf("exit %d, want 2 naming the endpoint: %s", code, out)
	}
}

// An inventory job resumes the delivery it started from when the next
// delivery lands under the same prefix, says so, and takes the same
// delivery named explicitly (its manifest.json, or its date) as the same
// job.
func TestInventoryJobResumesAfterTheNextDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 6 {
		e.put(e.src, obj{key: fmt.Sprintf("shot-%d.exr", i), body: fmt.Sprint(i)})
	}
	rows := e.inventoryRows()
	invBucket := e.srv.NewBucket(t, false)
	upload := func(date string, rs map[string]invRow) {
		var data strings.Builder
		for _, r := range rs {
			data.WriteString(r.csvLine(e.src))
		}
		_, files := writeInventoryNamed(t, t.TempDir(), e.src, date, [][]byte{gz(data.String())}, "CSV", invSchema, "data-"+date)
		for k, v := range files {
			e.put(invBucket, obj{key: k, body: string(v)})
		}
	}
	upload("2026-11-20T01-00Z", rows)
	cp, rep := filepath.Join(e.dir, "cp.db"), filepath.Join(e.dir, "r.json")
	args := e.copyArgs("--inventory", "s3://"+invBucket+"/inv/", "--checkpoint", cp, "--report", rep, "--max-attempts", "1")
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && (r.Key == "shot-1.exr" || r.Key == "shot-4.exr") {
			return &s3test.Fault{Status: 500, Code: "InternalError", Message: "later"}
		}
		return nil
	})
	mustCode(t, e.run(args...), 3)
	e.proxy.SetHook(nil)

	// The next day's delivery lands, with an object the job never had.
	e.put(e.src, obj{key: "new.exr", body: "n"})
	upload("2026-11-21T01-00Z", e.inventoryRows())
	r := e.run(args...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != 2 {
		t.Errorf("the resumed run copied %d, want the 2 left: %+v", rf.Copied, rf)
	}
	if !strings.Contains(r.stdout, "2026-11-21T01-00Z") || !strings.Contains(r.stdout, "--reset") {
		t.Errorf("the summary does not say a newer delivery landed, and how to move to it:\n%s", r.stdout)
	}
	if _, ok := e.listing(e.dst, "")["new.exr"]; ok {
		t.Error("the resumed job read the newer delivery")
	}
	// The same delivery named explicitly is the same job.
	for _, named := range [][]string{
		{"--inventory", "s3://" + invBucket + "/inv/" + e.src + "/config1/2026-11-20T01-00Z/manifest.json"},
		{"--inventory", "s3://" + invBucket + "/inv/", "--inventory-date", "2026-11-20"},
	} {
		r := e.run(e.copyArgs(append(named, "--checkpoint", cp)...)...)
		mustCode(t, r, 0)
	}
}

// A checkpoint written before endpoints were part of a job (its spec has
// none) is adopted with a message, not refused: a multi-day run survives
// an upgrade of backfill.
func TestCheckpointWithoutEndpointsIsAdopted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a.exr", body: "a"}, obj{key: "b.exr", body: "b"})
	cp := filepath.Join(e.dir, "cp.db")
	mustCode(t, e.run(e.copyArgs("--checkpoint", cp)...), 0)
	db, err := bolt.Open(cp, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket([]byte("meta"))
		var spec map[string]string
		if err := json.Unmarshal(m.Get([]byte("spec")), &spec); err != nil {
			return err
		}
		if _, ok := spec["source-endpoint"]; !ok {
			return fmt.Errorf("the spec records no endpoint: %v", spec)
		}
		delete(spec, "source-endpoint")
		delete(spec, "destination-endpoint")
		b, _ := json.Marshal(spec)
		return m.Put([]byte("spec"), b)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := e.run(e.copyArgs("--checkpoint", cp)...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "adopted") {
		t.Errorf("an old checkpoint's run:\n%s", r.stdout)
	}
	var st report.Status
	json.Unmarshal([]byte(e.run("status", "--checkpoint", cp, "--json").stdout), &st)
	if st.Spec.SourceEndpoint == "" {
		t.Errorf("the adopted checkpoint records no endpoint: %v", st.Spec)
	}
}
