package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// Failures planted with an access denial on some keys (as a bucket policy
// gives) come back in report, by error code, with a retry manifest; retry
// submits them as a new job with the old one's settings, which completes
// once the denial is lifted.
func TestBatchopsReportAndRetry(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(10)
	b.setDeny(keys[2], keys[7])
	r := b.bo(b.submitArgs("--to", "s3://"+b.dst+"/backup/", "--yes", "--report-scope", "all")...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	w := b.waitJob(id, 3)
	if !strings.Contains(w.stdout, "8 succeeded, 2 failed") {
		t.Errorf("wait:\n%s", w.stdout)
	}
	failures := filepath.Join(b.dir, "failures.csv")
	rep := b.bo(b.acct("report", "--failures", failures, id)...)
	mustCode(t, rep, 3)
	for _, want := range []string{"8 succeeded, 2 failed", "AccessDenied", keys[2]} {
		if !strings.Contains(rep.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.stdout)
		}
	}
	body, err := os.ReadFile(failures)
	if err != nil || strings.Count(string(body), "\n") != 2 || !strings.Contains(string(body), "take%202%2Bfinal.mov") {
		t.Errorf("failures file %q %v", body, err)
	}
	if st, _ := os.Stat(failures); st == nil || st.Mode().Perm() != 0o600 {
		t.Errorf("failures file mode %v", st)
	}

	b.setDeny() // the policy is fixed
	rt := b.bo(b.acct("retry", "--yes", id)...)
	mustCode(t, rt, 0)
	id2 := jobID(t, rt)
	if id2 == id || !strings.Contains(rt.stdout, "2 objects") {
		t.Fatalf("retry:\n%s", rt.stdout)
	}
	d := b.describe(id2)
	if p := d.Operation.S3PutObjectCopy.TargetKeyPrefix; p == nil || *p != "backup" {
		t.Errorf("retry job's target prefix %v", p)
	}
	b.waitJob(id2, 0)
	b.exact(keys, "backup/")
	// Retrying again finds the retry's job: no third job.
	mustCode(t, b.bo(b.acct("retry", id)...), 0)
	if n := len(b.jobs()); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}

// retry --locally copies a job's failed tasks with the local engine.
func TestBatchopsRetryLocally(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(6)
	b.setDeny(keys[0])
	r := b.bo(b.submitArgs("--yes")...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	b.waitJob(id, 3)
	b.setDeny()
	rt := b.bo(b.acct("retry", "--locally", id)...)
	mustCode(t, rt, 0)
	if !strings.Contains(rt.stdout, "copied 1") && !strings.Contains(rt.stdout, "1 copied") {
		t.Logf("retry --locally:\n%s", rt.stdout)
	}
	b.exact(keys, "")
	if n := len(b.jobs()); n != 1 {
		t.Errorf("%d jobs, want 1 (--locally makes none)", n)
	}
}

// dropCreate is a proxy in front of the emulator that lets CreateJob
// through but loses its answer (the connection closes), as a timeout does.
type dropCreate struct {
	rp    *httputil.ReverseProxy
	drop  atomic.Bool
	calls atomic.Int32
}

func newDropCreate(t *testing.T, target string) (*dropCreate, string) {
	u, _ := url.Parse(target)
	d := &dropCreate{rp: &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host
	}}}
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return d, srv.URL
}

func (d *dropCreate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v20180820/jobs" || !d.drop.Load() {
		d.rp.ServeHTTP(w, r)
		return
	}
	d.calls.Add(1)
	d.rp.ServeHTTP(httptest.NewRecorder(), r) // the job is made; its answer is lost
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// A submit whose CreateJob answer was lost (a timeout) made a job; the
// same command run again finds it (ListJobs, by the token in its
// description) and makes no second one, though the source changed.
func TestBatchopsSubmitAgainAfterTimeout(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	b.media(5)
	d, url := newDropCreate(t, b.emu.URL())
	d.drop.Store(true)
	environ := b.srv.Env(url)
	args := append([]string{"batchops"}, b.submitArgs("--max-attempts", "2")...)
	r := b.runWith(environ, args...)
	if r.code != 1 || !strings.Contains(r.stderr, "may or may not have made a job") {
		t.Fatalf("first submit: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if d.calls.Load() == 0 || len(b.jobs()) != 1 {
		t.Fatalf("CreateJob calls %d, jobs %d", d.calls.Load(), len(b.jobs()))
	}
	st, err := os.Stat(filepath.Join(b.dir, "backfill-batchops.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v", st, err)
	}
	b.put(b.src, obj{key: "new since.mov", body: "x"}) // a new listing would differ
	d.drop.Store(false)
	r = b.runWith(environ, args...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	if !strings.Contains(r.stdout, "its answer was lost") || id != *b.jobs()[0].JobId {
		t.Errorf("second submit:\n%s", r.stdout)
	}
	r = b.runWith(environ, append(args, "--yes")...) // the job waits: --yes confirms it
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "nothing new was submitted") || !strings.Contains(r.stdout, "confirmed") {
		t.Errorf("third submit:\n%s", r.stdout)
	}
	if n := len(b.jobs()); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
	b.waitJob(id, 0)
}

// Every bad input gets a clear error naming what and where, a non-zero
// exit, and no job (nor a manifest uploaded).
func TestBatchopsBadInputMakesNoJob(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	b.media(3)
	other := filepath.Join(b.dir, "other.csv")
	os.WriteFile(other, []byte(b.src+",shows/alpha/take%200%2Bfinal.mov\nsomeone-elses-bucket,x.mov\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"manifest row outside the source bucket", b.submitArgs("--manifest", other), 1, []string{"other.csv:2", `bucket "someone-elses-bucket"`, "nothing was submitted"}},
		{"no role ARN", withoutFlag(b.submitArgs(), "--role-arn"), 2, []string{"--role-arn ARN is required"}},
		{"bad role ARN", b.submitArgs("--role-arn", "batch-role"), 2, []string{`--role-arn "batch-role": not an IAM role ARN`}},
		{"report location that does not exist", b.submitArgs("--report-to", "s3://no-such-report-bucket/reports"), 1, []string{"--report-to s3://no-such-report-bucket/reports", `bucket "no-such-report-bucket" does not exist`, "nothing was submitted"}},
		{"no report location", withoutFlag(b.submitArgs(), "--report-to"), 2, []string{"--report-to s3://BUCKET/PREFIX is required"}},
		{"destination prefix a copy job cannot make", b.submitArgs("--from", "s3://"+b.src+"/shows", "--to", "s3://"+b.dst+"/films"), 2, []string{"TargetKeyPrefix/KEY", "s3://" + b.dst + "/shows/"}},
		{"replicate without a replication configuration", b.submitArgs("--operation", "replicate"), 1, []string{"has no replication configuration", "nothing was submitted"}},
		{"generate with a manifest", b.submitArgs("--generate", "--manifest", other), 2, []string{"--generate is a source of its own"}},
		{"bad account id", b.submitArgs("--account-id", "12345"), 2, []string{`--account-id "12345"`}},
		{"bad storage class", b.submitArgs("--storage-class", "REDUCED_REDUNDANCY"), 2, []string{`--storage-class "REDUCED_REDUNDANCY"`}},
		{"checkpoint without --failed", b.submitArgs("--checkpoint", "cp.db"), 2, []string{"--checkpoint FILE and --failed go together"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.bo(tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	for _, cmd := range []string{"status", "wait", "confirm", "report", "retry"} {
		r := b.bo(b.acct(cmd, "00000000-0000-0000-0000-000000000000")...)
		if r.code != 1 || !strings.Contains(r.stderr, "job 00000000-0000-0000-0000-000000000000 does not exist in account "+b.emu.AccountID()+", region us-east-1") {
			t.Errorf("%s of a job that does not exist: exit %d\n%s", cmd, r.code, r.stderr)
		}
	}
	if n := len(b.jobs()); n != 0 {
		t.Errorf("%d jobs made from bad input", n)
	}
	if got := b.listing(b.rep, ""); len(got) != 0 {
		t.Errorf("uploaded from bad input: %v", sortedKeys(got))
	}
}

// withoutFlag drops a flag and its value.
func withoutFlag(args []string, flag string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == flag {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// A cancelled job makes wait and status exit 1; confirm refuses it.
func TestBatchopsWaitCancelledJob(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	b.media(2)
	r := b.bo(b.submitArgs()...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	_, err := b.ctl.UpdateJobStatus(t.Context(), &s3control.UpdateJobStatusInput{AccountId: aws.String(b.emu.AccountID()), JobId: aws.String(id),
		RequestedJobStatus: types.RequestedJobStatusCancelled, StatusUpdateReason: aws.String("not tonight")})
	if err != nil {
		t.Fatal(err)
	}
	w := b.bo(b.acct("wait", "--poll", "20ms", id)...)
	if w.code != 1 || !strings.Contains(w.stdout, "Cancelled") || !strings.Contains(w.stdout, "not tonight") {
		t.Errorf("wait of a cancelled job: exit %d\n%s%s", w.code, w.stdout, w.stderr)
	}
	mustCode(t, b.bo(b.acct("status", id)...), 1)
	c := b.bo(b.acct("confirm", id)...)
	if c.code != 1 || !strings.Contains(c.stderr, "not waiting for a confirmation") {
		t.Errorf("confirm of a cancelled job: exit %d\n%s", c.code, c.stderr)
	}
	if _, err := os.Stat(filepath.Join(b.dir, "backfill-batchops.json")); err != nil {
		t.Error(err)
	}
}
