package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/backfill-dev/backfill/report"
)

// verifyReport reads a verify's --report file.
func verifyReport(t *testing.T, path string) report.VerifyReport {
	t.Helper()
	var rep report.VerifyReport
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(b, &rep); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return rep
}

func classCount(r report.VerifyReport, class string) int64 {
	for c, v := range r.Classes {
		if string(c) == class {
			return v.Count
		}
	}
	return 0
}

// Each class verify finds on a listing, made for real on versitygw: the
// replica is backfilled, then one object is deleted in it, one written
// there again with other content (newer), one rewritten in the primary
// (the replica's copy older), one with another size, one only in the
// replica, one written now (too new); --fix repairs all but the newer one,
// and a second verify says so.
func TestVerifyClassesAndFix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, k := range []string{"a/same.exr", "a/deleted.exr", "a/newer.exr", "b/changed.exr", "b/resized.exr", "c/deep/x.exr"} {
		e.put(e.src, obj{key: k, body: "body of " + k, meta: map[string]string{"show": "alpha"}})
		e.age(e.src, k, 3*time.Hour)
	}
	mustCode(t, e.run(e.copyArgs("--no-checkpoint")...), 0)
	for _, k := range []string{"a/same.exr", "a/deleted.exr", "a/newer.exr", "b/changed.exr", "b/resized.exr", "c/deep/x.exr"} {
		e.age(e.dst, k, 2*time.Hour) // backfilled two hours ago
	}
	// Rewritten in the primary an hour ago, after the backfill, before
	// --min-age: the replica's copies are older.
	e.put(e.src, obj{key: "b/changed.exr", body: "BODY OF b/changed.exx"}) // same size, new content
	e.put(e.src, obj{key: "b/resized.exr", body: "a longer body than before"})
	e.age(e.src, "b/changed.exr", time.Hour)
	e.age(e.src, "b/resized.exr", time.Hour)
	e.put(e.src, obj{key: "fresh.exr", body: "just written"})
	if _, err := e.client.DeleteObject(t.Context(), delIn(e.dst, "a/deleted.exr")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the replica's write is newer by a whole second
	e.put(e.dst, obj{key: "a/newer.exr", body: "written in the replica"}, obj{key: "only/here.exr", body: "x"})
	e.proxy.Reset()

	rep, diff := filepath.Join(e.dir, "v.json"), filepath.Join(e.dir, "diff.csv")
	// By default, listing requests only. A listing cannot see
	// encryption: other ETags of one size prove nothing (unverified).
	r := e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--report", rep, "--diff", diff)
	mustCode(t, r, 3)
	vr := verifyReport(t, rep)
	want := map[string]int64{"same": 2, "missing": 1, "replica-newer": 1, "unverified": 1, "size-differs": 1, "extra": 1, "too-new": 1}
	for class, n := range want {
		if got := classCount(vr, class); got != n {
			t.Errorf("%s: %d, want %d\n%s", class, got, n, r.stdout)
		}
	}
	if c := e.proxy.Counts(); c["HeadObject"] != 0 || c["CopyObject"] != 0 {
		t.Errorf("a plain verify made %v", c)
	}
	if vr.UndecidedLeft != 1 || !strings.Contains(r.stdout, "--head-undecided N reads up to N") {
		t.Errorf("undecided left %d\n%s", vr.UndecidedLeft, r.stdout)
	}
	rows := readCSV(t, diff)
	if len(rows) != 6 || rows[0][0] != "class" { // a header and one row per difference, unverified and extra
		t.Errorf("diff %v", rows)
	}
	// With --head-undecided that one pair (and no other) is read with a
	// HEAD per side: both plaintext, so their ETags are MD5s and prove it
	// differs. Nothing of --deep's (tags, metadata) is read or compared.
	e.proxy.Reset()
	r = e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--head-undecided", "10", "--report", rep)
	mustCode(t, r, 3)
	vr = verifyReport(t, rep)
	if classCount(vr, "content-differs") != 1 || classCount(vr, "unverified") != 0 || vr.UndecidedRead != 1 || vr.UndecidedLeft != 0 {
		t.Errorf("--head-undecided: %+v, %d read\n%s", vr.Tally, vr.UndecidedRead, r.stdout)
	}
	if c := e.proxy.Counts(); c["HeadObject"] != 2 || c["CopyObject"] != 0 || c["GetObjectTagging"] != 0 {
		t.Errorf("--head-undecided with one undecided pair made %v", c)
	}
	if !strings.Contains(r.stdout, "1 pair of one size with other single-part ETags read with a HEAD per side") {
		t.Errorf("the summary does not say the pair was read:\n%s", r.stdout)
	}

	mustCode(t, e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--deep", "--report", rep), 3)
	if vr = verifyReport(t, rep); classCount(vr, "content-differs") != 1 || classCount(vr, "unverified") != 0 {
		t.Errorf("--deep: %+v", vr.Tally)
	}
	e.proxy.Reset()
	r = e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--deep", "--fix", "--report", rep)
	mustCode(t, r, 3) // the replica-newer object stays
	vr = verifyReport(t, rep)
	if vr.Fix == nil || vr.Fix.Fixed != 3 || vr.Fix.LeftNewer != 1 || e.proxy.Count("CopyObject") != 3 {
		t.Errorf("fix %+v, %d copies\n%s", vr.Fix, e.proxy.Count("CopyObject"), r.stdout)
	}
	for _, k := range []string{"a/deleted.exr", "b/changed.exr", "b/resized.exr"} {
		if e.body(e.dst, k) != e.body(e.src, k) {
			t.Errorf("%s not repaired", k)
		}
	}
	if e.body(e.dst, "a/newer.exr") != "written in the replica" {
		t.Error("--fix overwrote the replica's newer object")
	}
	r = e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--report", rep)
	mustCode(t, r, 3)
	if vr = verifyReport(t, rep); vr.Differences != 1 || classCount(vr, "replica-newer") != 1 {
		t.Errorf("after --fix: %+v", vr.Tally)
	}
	mustCode(t, e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--fix", "--overwrite-newer"), 0)
	mustCode(t, e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m"), 0)
	if !strings.Contains(e.body(e.dst, "a/newer.exr"), "body of") {
		t.Error("--overwrite-newer did not replace the replica's object")
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func delIn(bucket, key string) *s3.DeleteObjectInput {
	return &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
}

// --fix --dry-run copies nothing and says what it would; the missing
// manifest names exactly what must be copied, as Batch Operations reads it.
func TestVerifyDryRunAndMissingManifest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a b.exr", body: "a"}, obj{key: "c+d.exr", body: "c"}, obj{key: "same.exr", body: "s"})
	e.put(e.dst, obj{key: "same.exr", body: "s"}, obj{key: "extra.exr", body: "x"})
	manifest, rep := filepath.Join(e.dir, "m.csv"), filepath.Join(e.dir, "v.json")
	e.proxy.Reset()
	r := e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "0s", "--fix", "--dry-run",
		"--missing-manifest", manifest, "--report", rep)
	mustCode(t, r, 3)
	if n := e.proxy.Count("CopyObject") + e.proxy.Count("UploadPartCopy"); n != 0 {
		t.Errorf("--dry-run copied %d", n)
	}
	if vr := verifyReport(t, rep); vr.Fix == nil || !vr.Fix.DryRun || vr.Fix.Attempted != 2 || !strings.Contains(r.stdout, "would copy 2 objects") {
		t.Errorf("dry run: %+v\n%s", vr.Fix, r.stdout)
	}
	b, _ := os.ReadFile(manifest)
	if want := e.src + ",a%20b.exr\n" + e.src + ",c%2Bd.exr\n"; string(b) != want {
		t.Errorf("missing manifest %q, want %q", b, want)
	}
	if st, _ := os.Stat(manifest); st.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode %v", st.Mode().Perm())
	}
}

// --deep compares tag sets, not only their counts: a replica object whose
// one tag has another value is metadata-differs (a GetObjectTagging per
// side, for the pairs whose HEADs show the same number of tags), and
// --fix copies the tags over.
func TestVerifyDeepComparesTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "tagged.exr", body: "frames", tags: "show=alpha"}, obj{key: "plain.exr", body: "frames too"})
	e.age(e.src, "tagged.exr", 3*time.Hour)
	e.age(e.src, "plain.exr", 3*time.Hour)
	e.put(e.dst, obj{key: "tagged.exr", body: "frames", tags: "show=beta"}, obj{key: "plain.exr", body: "frames too"})
	e.age(e.dst, "tagged.exr", 2*time.Hour) // backfilled two hours ago
	e.age(e.dst, "plain.exr", 2*time.Hour)
	e.proxy.Reset()
	rep := filepath.Join(e.dir, "v.json")
	verify := func(extra ...string) result {
		return e.run(append([]string{"verify", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-progress", "--report", rep}, extra...)...)
	}
	r := verify()
	mustCode(t, r, 0) // a listing sees neither tags nor their count
	r = verify("--deep")
	mustCode(t, r, 3)
	if vr := verifyReport(t, rep); classCount(vr, "metadata-differs") != 1 || classCount(vr, "same") != 1 || !strings.Contains(r.stdout, "tags differ") {
		t.Errorf("--deep: %+v\n%s", vr.Tally, r.stdout)
	}
	if n := e.proxy.Count("GetObjectTagging"); n != 2 {
		t.Errorf("%d GetObjectTagging, want one per side of the tagged pair", n)
	}
	mustCode(t, verify("--deep", "--fix"), 0)
	mustCode(t, verify("--deep"), 0)
}

// Past --head-undecided, pairs of one size with other ETags stay
// unverified, and the summary says the budget was spent: three rewritten
// pairs, a budget of two, four HEADs.
func TestVerifyHeadUndecidedBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keys := []string{"a/1.exr", "a/2.exr", "a/3.exr"}
	for _, k := range keys {
		e.put(e.src, obj{key: k, body: "body of " + k})
		e.age(e.src, k, 3*time.Hour)
	}
	mustCode(t, e.run(e.copyArgs("--no-checkpoint")...), 0)
	for _, k := range keys {
		e.age(e.dst, k, 2*time.Hour)
		e.put(e.src, obj{key: k, body: "BODY OF " + k}) // same size, new content
		e.age(e.src, k, time.Hour)
	}
	e.proxy.Reset()
	rep, prom := filepath.Join(e.dir, "v.json"), filepath.Join(e.dir, "v.prom")
	r := e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress", "--min-age", "30m", "--head-undecided", "2", "--report", rep, "--metrics-file", prom)
	mustCode(t, r, 3)
	vr := verifyReport(t, rep)
	if classCount(vr, "content-differs") != 2 || classCount(vr, "unverified") != 1 || vr.UndecidedRead != 2 || vr.UndecidedLeft != 1 {
		t.Errorf("%+v: read %d, left %d\n%s", vr.Tally, vr.UndecidedRead, vr.UndecidedLeft, r.stdout)
	}
	if n := e.proxy.Count("HeadObject"); n != 4 {
		t.Errorf("%d HEADs for a budget of 2 pairs", n)
	}
	if !strings.Contains(r.stdout, "budget of 2 was spent") {
		t.Errorf("the summary does not name the spent budget:\n%s", r.stdout)
	}
	b, _ := os.ReadFile(prom)
	for _, want := range []string{"backfill_verify_undecided_read_objects 2", "backfill_verify_undecided_left_objects 1"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	mustCode(t, e.run("verify", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--head-undecided", "-1"), 2)
}
