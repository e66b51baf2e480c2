package main

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// Faults a days-long run meets (issue 18): connections dropped in the
// middle of an answer, credentials that expire mid-run. The full disk
// under the checkpoint is in e2e_fulldisk_test.go.

// largeObjects are objects above the 10 MiB threshold of mpFlags: copied
// in parts of 5 MiB.
var largeObjects = map[string]int{"movies/a.mov": 12 << 20, "movies/b take+1.mov": 23 << 20, "show1/edit/c.mov": 16 << 20}

// putMedia puts n small objects (mediaObjects) and the first `large` of
// largeObjects, and returns how many objects it put.
func (e *env) putMedia(n, large int) int {
	e.t.Helper()
	e.put(e.src, mediaObjects(n)...)
	for _, k := range sortedKeys(largeObjects)[:large] {
		e.putLarge(k, largeObjects[k])
	}
	return n + large
}

// TestMidResponseCuts: 2% of the answers (listings, HEADs, copies, parts,
// multipart creations and completions), and the first three of each kind,
// are cut partway through: the server did the request, the client gets
// the headers and part of the body, then the connection closes. A cut
// CopyObject answer comes after the copy was made; a cut
// CreateMultipartUpload answer leaves an upload the client never heard of;
// a cut CompleteMultipartUpload answer leaves the object complete and the
// upload gone. The run must converge: exit 0, the replica equal to the
// primary, no multipart upload left, the checkpoint's done set the
// replica's.
func TestMidResponseCuts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := e.putMedia(2500, len(largeObjects))
	var mu sync.Mutex
	seen := map[string]int{}
	e.proxy.SetCutRate(0.02)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		mu.Lock()
		defer mu.Unlock()
		if seen[r.Op]++; seen[r.Op] <= 3 {
			return &s3test.Fault{Cut: true}
		}
		return nil // the random cuts
	})
	cp := filepath.Join(e.dir, "cuts.db")
	rep := filepath.Join(e.dir, "r.json")
	args := e.copyArgs(append(mpFlags, "--concurrency", "32", "--checkpoint", cp, "--report", rep)...)
	start := time.Now()
	r := e.run(args...)
	t.Logf("run: exit %d in %v; cuts %v", r.code, time.Since(start).Round(time.Millisecond), e.proxy.Cuts())
	if r.code == 3 {
		// Every request is tried 10 times: at 2% cuts an object whose
		// attempts all failed is a 1e-17 event, so a few failures at most
		// are tolerated (a plain re-run must then finish the job); many
		// mean cut answers that are not retried.
		if rf := readReport(t, rep); sum(rf.Failed) > 3 {
			t.Fatalf("%d objects failed through 2%% cut answers: %v\n%s", sum(rf.Failed), rf.Failed, r.stderr)
		}
		r = e.run(args...)
	}
	mustCode(t, r, 0)
	for _, op := range []string{"ListObjectsV2", "CopyObject", "HeadObject", "GetObjectTagging",
		"CreateMultipartUpload", "UploadPartCopy", "CompleteMultipartUpload"} {
		if e.proxy.Cuts()[op] == 0 {
			t.Errorf("no %s answer was cut: %v", op, e.proxy.Cuts())
		}
	}
	e.proxy.SetHook(nil)
	e.proxy.SetCutRate(0)

	e.replicaEqualsPrimary()
	e.noUploads(e.dst)
	done := e.doneAreInReplica(cp)
	if len(done) != all {
		t.Errorf("the checkpoint records %d objects done; the primary has %d", len(done), all)
	}
	if st := e.status(cp); st.Done != int64(all) || st.Failed != 0 || st.InProgress != 0 || !st.Complete {
		t.Errorf("status: done %d, failed %d, uploads %d, listing complete %v", st.Done, st.Failed, st.InProgress, st.Complete)
	}
}

// expiredToken is S3's answer to a request signed with an STS session
// that has expired.
var expiredToken = &s3test.Fault{Status: 400, Code: "ExpiredToken", Message: "The provided token has expired."}

// TestExpiredCredentialsStopTheRun: credentials that expire mid-run stop
// it at once (exit 1, a message naming the cause and saying to renew
// them), after a bounded number of requests; the checkpoint stays
// consistent (status works, every object recorded done is in the replica,
// no object recorded failed for the run's cause), and the same command,
// after the renewal, copies only what was not done and ends with the
// replica equal to the primary. Three ways: S3 answers ExpiredToken (a
// session token that expired) to a run listing the buckets, and to one
// reading a manifest (where every object starts with HEADs, whose error
// answers have no body to name the code); and the SDK cannot refresh the
// credentials (a credential_process that fails, as one whose SSO session
// ended does), so no request is sent at all.
func TestExpiredCredentialsStopTheRun(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"listing", "manifest", "refresh"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t)
			const n, conc = 400, 8
			all := e.putMedia(n, 1) // one copied in parts: an upload may be in flight
			args := e.copyArgs(append(mpFlags, "--concurrency", fmt.Sprint(conc))...)
			if how == "manifest" {
				args = append(args, "--manifest", e.manifestOfAll())
			}
			e.proxy.SetLatency(2 * time.Millisecond) // copies in flight when the credentials expire
			var creds []string
			var refused func() int64 // requests refused for the expiry
			var renew func()
			if how == "refresh" {
				creds, refused, renew = e.expiringCredentialProcess(n / 3)
			} else {
				first := "" // the first request refused: any
				if how == "manifest" {
					first = "HeadObject" // an answer without a body
				}
				refused, renew = e.expireAfterCopies(n/3, first)
			}
			r := e.runWith(creds, args...)
			t.Logf("exit %d, %d requests refused after the expiry\n%s%s", r.code, refused(), r.stdout, r.stderr)
			mustCode(t, r, 1)
			if s := strings.ToLower(r.stderr); !strings.Contains(s, "credentials") || !strings.Contains(s, "renew") {
				t.Errorf("the message does not name the cause and say to renew the credentials:\n%s", r.stderr)
			}
			// In flight when they expired: at most conc requests, each
			// refused once (not retried), an abort per upload, the
			// listings of the folders being listed and the probes of both
			// buckets.
			if got, bound := refused(), int64(3*conc+20); got > bound {
				t.Errorf("%d requests refused after the credentials expired; at most %d", got, bound)
			}
			cp := filepath.Join(e.dir, "backfill.db")
			st := e.status(cp)
			done := e.doneAreInReplica(cp)
			if st.Failed != 0 || st.Done != int64(len(done)) || len(done) == 0 || len(done) >= n {
				t.Errorf("status after the stop: done %d (%d records), failed %d %+v", st.Done, len(done), st.Failed, st.FailedBy)
			}

			// Renewed: the same command resumes and copies only what was not done.
			renew()
			e.proxy.SetLatency(0)
			e.proxy.Reset()
			mustCode(t, e.runWith(creds, args...), 0)
			copied := map[string]int{}
			for _, req := range e.proxy.Requests() {
				if req.Op == "CopyObject" || req.Op == "CreateMultipartUpload" {
					copied[req.Key]++
				}
			}
			for k, c := range copied {
				if _, ok := done[k]; ok || c > 1 {
					t.Errorf("%q copied %d times by the resumed run (done before it: %v)", k, c, ok)
				}
			}
			if want := all - len(done); len(copied) > want {
				t.Errorf("the resumed run copied %d objects; %d were left", len(copied), want)
			}
			e.replicaEqualsPrimary()
			e.noUploads(e.dst)
			if st := e.status(cp); st.Done != int64(all) || st.Failed != 0 || st.InProgress != 0 {
				t.Errorf("status after the resume: done %d, failed %d, uploads %d", st.Done, st.Failed, st.InProgress)
			}
		})
	}
}

// expireAfterCopies makes every request after the first `after`
// CopyObject requests (from the first `first` request after them, when
// first is not "") answer ExpiredToken, as S3 does once the session the
// credentials belong to has expired. refused counts the requests answered
// so; renew ends it.
func (e *env) expireAfterCopies(after int64, first string) (refused func() int64, renew func()) {
	var copies, expired atomic.Int64
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if expired.Load() == 0 {
			if r.Op == "CopyObject" && copies.Add(1) <= after || copies.Load() < after || first != "" && r.Op != first {
				return nil
			}
		}
		expired.Add(1)
		return expiredToken
	})
	return expired.Load, func() { e.proxy.SetHook(nil) }
}

// expiringCredentialProcess gives a run its credentials from a
// credential_process whose credentials are always expired (so the SDK
// asks for them before every request), and which fails once the proxy
// has seen `after` CopyObject requests: the SDK can no longer refresh the
// credentials. It returns the run's environment; refused counts the
// refusals, renew ends them.
func (e *env) expiringCredentialProcess(after int64) (env []string, refused func() int64, renew func()) {
	e.t.Helper()
	dir := e.t.TempDir()
	marker, refusals := filepath.Join(dir, "expired"), filepath.Join(dir, "refusals")
	script := filepath.Join(dir, "creds.sh")
	body := fmt.Sprintf("#!/bin/sh\nif [ -e %[1]q ]; then echo x >> %[2]q; echo 'the SSO session has expired' >&2; exit 1; fi\n"+
		"echo '{\"Version\":1,\"AccessKeyId\":\"%[3]s\",\"SecretAccessKey\":\"%[4]s\",\"Expiration\":\"2000-01-01T00:00:00Z\"}'\n",
		marker, refusals, e.srv.AccessKey, e.srv.SecretKey)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		e.t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\ncredential_process = "+script+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	var copies atomic.Int64
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && copies.Add(1) == after {
			if err := os.WriteFile(marker, nil, 0o600); err != nil {
				e.t.Error(err)
			}
		}
		return nil
	})
	refused = func() int64 {
		b, _ := os.ReadFile(refusals)
		return int64(len(b) / 2)
	}
	renew = func() {
		e.proxy.SetHook(nil)
		if err := os.Remove(marker); err != nil {
			e.t.Fatal(err)
		}
	}
	return []string{"AWS_CONFIG_FILE=" + cfg, "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, refused, renew
}

// manifestOfAll writes a manifest (bucket,key, URL-encoded) naming every
// object of the primary and returns its path.
func (e *env) manifestOfAll() string {
	e.t.Helper()
	var b strings.Builder
	for _, k := range sortedKeys(e.objects(e.src)) {
		b.WriteString(e.src + "," + strings.ReplaceAll(url.QueryEscape(k), "+", "%20") + "\n")
	}
	path := filepath.Join(e.dir, "all.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// TestLostCompleteAnswerOnMinIO: the answer to a CompleteMultipartUpload
// is cut after the server completed the upload; the SDK sends the
// completion again, and MinIO (unlike S3 and versitygw) answers
// NoSuchUpload. The copy is done all the same: exit 0, the object
// copied once, no upload left.
func TestLostCompleteAnswerOnMinIO(t *testing.T) {
	t.Parallel()
	m := s3test.SharedMinIO(t)
	p := m.NewProxy(t)
	// Sources without a checksum: MinIO wants part checksums for an upload
	// created with an algorithm, and UploadPartCopy sends none.
	client := m.ClientWith(func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired })
	e := &env{t: t, proxy: p, client: client, src: m.NewBucket(t, false), dst: m.NewBucket(t, false), dir: t.TempDir()}
	e.putLarge("movies/take 3.mov", 12<<20)
	var cut atomic.Bool
	p.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CompleteMultipartUpload" && !cut.Swap(true) {
			return &s3test.Fault{Cut: true}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	cmd := exec.CommandContext(t.Context(), binary, e.copyArgs(append(mpFlags, "--report", rep)...)...)
	cmd.Env, cmd.Dir = append(m.Env(), "AWS_ENDPOINT_URL="+p.URL()), e.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if c := p.Counts(); c["CompleteMultipartUpload"] != 2 || c["CreateMultipartUpload"] != 1 {
		t.Errorf("requests %v: want the completion sent twice, one upload", c)
	}
	if rf := readReport(t, rep); rf.Copied != 1 || sum(rf.Failed) != 0 {
		t.Errorf("report %+v", rf)
	}
	e.replicaEqualsPrimary()
	e.noUploads(e.dst)
	if done := e.doneAreInReplica(filepath.Join(e.dir, "backfill.db")); len(done) != 1 {
		t.Errorf("%d objects recorded done", len(done))
	}
}

// TestCutInventoryDownloads: the files of an S3 Inventory delivery
// (manifest.json, manifest.checksum, gzipped CSV data files) are read with
// GetObject, whose body the SDK hands over as it arrives: the first two
// answers of each file are cut partway through. The downloads are taken
// up where they stopped (every data file's MD5 is checked), and the copy
// ends with the replica equal to the primary.
func TestCutInventoryDownloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 300
	e.put(e.src, mediaObjects(n)...)
	rows := e.inventoryRows()
	keys := sortedKeys(rows)
	var files [][]byte
	for i := 0; i < len(keys); i += 100 {
		var data strings.Builder
		for _, k := range keys[i:min(i+100, len(keys))] {
			data.WriteString(rows[k].csvLine(e.src))
		}
		files = append(files, gz(data.String()))
	}
	invBucket := e.srv.NewBucket(t, false)
	_, written := writeInventory(t, t.TempDir(), e.src, "2026-11-23T01-00Z", files, "CSV", invSchema)
	for k, v := range written {
		e.put(invBucket, obj{key: k, body: string(v)})
	}
	var mu sync.Mutex
	gets := map[string]int{}
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		mu.Lock()
		defer mu.Unlock()
		if r.Op == "GetObject" {
			if gets[r.Key]++; gets[r.Key] <= 2 {
				return &s3test.Fault{Cut: true}
			}
		}
		return nil
	})
	r := e.run(e.copyArgs("--inventory", "s3://"+invBucket+"/inv/")...)
	mustCode(t, r, 0)
	if cuts := e.proxy.Cuts()["GetObject"]; cuts != 2*len(written) {
		t.Errorf("%d GetObject answers cut; want 2 for each of the %d files", cuts, len(written))
	}
	e.replicaEqualsPrimary()
}
