package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// awkwardKeys round-trip exactly through every server the suite runs on.
// The keys servers treat their own way ("a//b", "a/./b", a leading "/",
// "folder/" markers) are in each server's quirks: markers are added to this
// set where the server copies them, and TestCopyKeysEachServerTreatsItsOwnWay
// states what each server does with the others.
func awkwardKeys() []string {
	long := strings.Repeat("s", 200) + "/" + strings.Repeat("t", 200) + "/" + strings.Repeat("u", 200) + "/" +
		strings.Repeat("v", 200) + "/"
	long += strings.Repeat("w", 1024-len(long))
	return []string{
		"plain.exr", "a space.exr", "a+plus.exr", "100%.txt", "pct%25lit", "what?q=1", "#hash", "amp&eq=semi;",
		"ünï/cödé.exr", "shows/été/frame 1+2.exr", "日本語/ファイル.mov", "tilde~quote'paren(1)", "zero-bytes", long,
	}
}

// expires is the Expires header of the objects that carry one.
var expires = time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)

func TestCopyAwkwardKeysMetadataAndTags(t *testing.T) {
	t.Parallel()
	onEachServer(t, testCopyAwkwardKeysMetadataAndTags)
}

func testCopyAwkwardKeysMetadataAndTags(t *testing.T, e *env) {
	var objs []obj
	for i, k := range append(awkwardKeys(), e.server.markers...) {
		body := strings.Repeat(fmt.Sprint(i), 100+i)
		if k == "zero-bytes" || strings.HasSuffix(k, "/") {
			body = ""
		}
		objs = append(objs, obj{key: k, body: body, ctype: "image/x-exr", meta: map[string]string{"artist": "kim", "frame": fmt.Sprint(i)},
			tags: "dept=comp&status=final"})
	}
	e.put(e.src, objs...)
	// One object with every content header set.
	_, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.src), Key: aws.String("headers.mov"),
		Body: strings.NewReader("movie"), ContentType: aws.String("video/quicktime"), CacheControl: aws.String("max-age=60"),
		ContentDisposition: aws.String(`attachment; filename="a b.mov"`), ContentEncoding: aws.String("identity"),
		ContentLanguage: aws.String("fr-CA"), Metadata: map[string]string{"show": "alpha"}, Tagging: aws.String("k=v"),
		Expires: aws.Time(expires), StorageClass: types.StorageClassReducedRedundancy})
	if err != nil {
		t.Fatal(err)
	}
	n := len(objs) + 1
	rep := filepath.Join(e.dir, "report.json")
	r := e.run(e.copyArgs("--report", rep)...)
	mustCode(t, r, 0)

	src, dst := e.listing(e.src, ""), e.listing(e.dst, "")
	if !reflect.DeepEqual(sortedKeys(src), sortedKeys(dst)) || len(dst) != n {
		t.Fatalf("replica keys differ:\nsource  %q\nreplica %q", sortedKeys(src), sortedKeys(dst))
	}
	for k, etag := range src {
		if dst[k] != etag {
			t.Errorf("%q: replica ETag %s, source %s", k, dst[k], etag)
		}
		if got, want := e.body(e.dst, k), e.body(e.src, k); got != want {
			t.Errorf("%q: replica body differs", k)
		}
		sh, dh := e.head(e.src, k), e.head(e.dst, k)
		if !e.server.copyKeepsExpires {
			// MinIO's CopyObject drops Expires (COPY directive): the one
			// difference allowed, and asserted below.
			delete(sh, "Expires")
			delete(dh, "Expires")
		}
		if !reflect.DeepEqual(sh, dh) {
			t.Errorf("%q: headers differ:\nsource  %+v\nreplica %+v", k, sh, dh)
		}
		if st, dt := e.tags(e.src, k), e.tags(e.dst, k); !reflect.DeepEqual(st, dt) || len(st) == 0 {
			t.Errorf("%q: tags differ: source %v replica %v", k, st, dt)
		}
	}
	if h := e.head(e.dst, "headers.mov"); h["Cache-Control"] != "max-age=60" || h["Content-Language"] != "fr-CA" ||
		h["meta"] != "map[show:alpha]" || h["Content-Disposition"] != `attachment; filename="a b.mov"` {
		t.Errorf("headers.mov in the replica: %v", h)
	}
	e.assertExpiresAndClass("headers.mov", e.server.copyKeepsExpires)

	// One CopyObject per object, no per-object HEAD/GET, and every copy
	// source encoded so that it decodes to the exact key.
	c := e.proxy.Counts()
	if c["CopyObject"] != n || c["HeadObject"] != 0 || c["GetObject"] != 0 || c["PutObject"] != 0 {
		t.Errorf("requests: %v; want %d CopyObject and no HeadObject/GetObject/PutObject", c, n)
	}
	for _, req := range e.proxy.Requests() {
		if req.Op != "CopyObject" {
			continue
		}
		cs := req.Header.Get("X-Amz-Copy-Source")
		dec, err := url.PathUnescape(cs)
		if err != nil || dec != e.src+"/"+req.Key {
			t.Errorf("copy source %q decodes to %q, want %q", cs, dec, e.src+"/"+req.Key)
		}
		if req.Header.Get("X-Amz-Metadata-Directive") != "COPY" || req.Header.Get("X-Amz-Tagging-Directive") != "COPY" ||
			req.Header.Get("X-Amz-Copy-Source-If-Match") != src[req.Key] {
			t.Errorf("copy of %q: headers %v", req.Key, req.Header)
		}
	}
	rf := readReport(t, rep)
	if rf.Copied != int64(n) || rf.Listed != int64(n) || len(rf.Failed) != 0 || rf.Started.IsZero() || rf.Finished.Before(rf.Started) {
		t.Errorf("report: %+v", rf)
	}
	if fi, err := os.Stat(rep); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode: %v %v", fi.Mode(), err)
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("Copied %d objects", n)) {
		t.Errorf("summary: %s", r.stdout)
	}

	// A re-run of the finished job (its checkpoint says so) makes no
	// CopyObject and no per-object request: nothing but the two one-key
	// preflight listings.
	e.proxy.Reset()
	r = e.run(e.copyArgs("--report", rep)...)
	mustCode(t, r, 0)
	if c := e.proxy.Counts(); c["CopyObject"] != 0 || c["HeadObject"] != 0 || e.proxy.Total() > 2 {
		t.Errorf("re-run requests: %v", c)
	}
	if rf := readReport(t, rep); rf.Copied != 0 || rf.Listed != 0 {
		t.Errorf("re-run report: %+v", rf)
	}
	// Without the checkpoint, the listing join finds everything in place.
	e.proxy.Reset()
	r = e.run(e.copyArgs("--report", rep, "--no-checkpoint")...)
	mustCode(t, r, 0)
	if c := e.proxy.Counts(); c["CopyObject"] != 0 || c["HeadObject"] != 0 || e.proxy.Total() > 20 {
		t.Errorf("re-run without checkpoint, requests: %v", c)
	}
	if rf := readReport(t, rep); rf.Copied != 0 || rf.Skipped["exists"] != int64(n) {
		t.Errorf("re-run without checkpoint, report: %+v", rf)
	}
}

func (e *env) head(bucket, key string) map[string]string {
	e.t.Helper()
	h, err := e.client.HeadObject(e.t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("head s3://%s/%s: %v", bucket, key, err)
	}
	return map[string]string{
		"Content-Type": aws.ToString(h.ContentType), "Cache-Control": aws.ToString(h.CacheControl),
		"Content-Disposition": aws.ToString(h.ContentDisposition), "Content-Encoding": aws.ToString(h.ContentEncoding),
		"Content-Language": aws.ToString(h.ContentLanguage), "Content-Length": fmt.Sprint(aws.ToInt64(h.ContentLength)),
		"Expires": aws.ToString(h.ExpiresString), "StorageClass": string(h.StorageClass),
		"meta": fmt.Sprint(h.Metadata),
	}
}

// assertExpiresAndClass checks what the replica of key kept of its
// source's Expires (keeps: the server keeps it on this path) and storage
// class (REDUCED_REDUNDANCY, kept where the server stores classes; a
// server that ignores them reports STANDARD on both sides).
func (e *env) assertExpiresAndClass(key string, keeps bool) {
	e.t.Helper()
	sh, dh := e.head(e.src, key), e.head(e.dst, key)
	if want := expires.Format(http.TimeFormat); sh["Expires"] != want {
		e.t.Errorf("%s: source Expires %q, want %q", key, sh["Expires"], want)
	}
	if keeps && dh["Expires"] != sh["Expires"] {
		e.t.Errorf("%s: replica Expires %q, source %q", key, dh["Expires"], sh["Expires"])
	} else if !keeps && dh["Expires"] != "" {
		e.t.Errorf("%s on %s: replica Expires %q; the server is known to drop it here (README) and no longer does: update its quirks",
			key, e.server.name, dh["Expires"])
	}
	want := e.server.storageClass
	if want == "" {
		want = "STANDARD"
	}
	if sh["StorageClass"] != want || dh["StorageClass"] != want {
		e.t.Errorf("%s on %s: storage class %q in the source, %q in the replica; want %q", key, e.server.name,
			sh["StorageClass"], dh["StorageClass"], want)
	}
}

func (e *env) tags(bucket, key string) map[string]string {
	e.t.Helper()
	out, err := e.client.GetObjectTagging(e.t.Context(), &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("tags s3://%s/%s: %v", bucket, key, err)
	}
	m := map[string]string{}
	for _, tg := range out.TagSet {
		m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return m
}

func TestPrefixMappingAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "media/a/1.exr", body: "1"}, obj{key: "media/a/2.jpg", body: "2"}, obj{key: "media/b/tmp/3.exr", body: "3"},
		obj{key: "media/c/4.EXR", body: "4"}, obj{key: "media2/x.exr", body: "x"}, obj{key: "other.exr", body: "o"})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run("copy", "--from", "s3://"+e.src+"/media", "--to", "s3://"+e.dst+"/replica/m/", "--no-progress",
		"--include", "*.exr", "--include", "*.EXR", "--exclude", "*/tmp/*", "--report", rep)
	mustCode(t, r, 0)
	got := sortedKeys(e.listing(e.dst, ""))
	want := []string{"replica/m/a/1.exr", "replica/m/c/4.EXR"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replica = %q, want %q", got, want)
	}
	if rf := readReport(t, rep); rf.Copied != 2 || rf.Skipped["excluded"] != 2 {
		t.Errorf("report %+v", rf)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a/1", body: "1"}, obj{key: "a/2", body: "2"}, obj{key: "b c", body: "3"})
	e.put(e.dst, obj{key: "a/2", body: "2"})
	r := e.run(e.copyArgs("--dry-run", "--json")...)
	mustCode(t, r, 0)
	for _, op := range []string{"CopyObject", "PutObject", "UploadPartCopy", "CreateMultipartUpload", "DeleteObject", "PutObjectTagging"} {
		if n := e.proxy.Count(op); n != 0 {
			t.Errorf("dry run made %d %s requests", n, op)
		}
	}
	for _, want := range []string{`"event":"would-copy","source":"s3://` + e.src + `/a/1"`, `"event":"would-copy","source":"s3://` + e.src + `/b c"`,
		`"event":"skipped","source":"s3://` + e.src + `/a/2"`, `"event":"summary"`, `"would_copy":2`,
		`"source":"s3://` + e.src + `/a/1","destination":"s3://` + e.dst + `/a/1"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %s:\n%s", want, r.stdout)
		}
	}
	if got := e.listing(e.dst, ""); len(got) != 1 {
		t.Errorf("replica changed by a dry run: %v", got)
	}
	// Text mode lists them too.
	r = e.run(e.copyArgs("--dry-run")...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "would copy s3://"+e.src+"/a/1 -> s3://"+e.dst+"/a/1") {
		t.Errorf("text dry run:\n%s", r.stdout)
	}
}

func TestSkipReasons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Replica older than its source: overwritten.
	e.put(e.dst, obj{key: "stale", body: "old replica"})
	time.Sleep(1100 * time.Millisecond)
	e.put(e.src, obj{key: "same", body: "same"}, obj{key: "replica-newer", body: "source"}, obj{key: "plain", body: "p"},
		obj{key: "stale", body: "new source"})
	time.Sleep(1100 * time.Millisecond)
	e.put(e.dst, obj{key: "same", body: "same"}, obj{key: "replica-newer", body: "written by live replication"})
	time.Sleep(5 * time.Second)
	e.put(e.src, obj{key: "fresh", body: "f"})
	rep := filepath.Join(e.dir, "r.json")
	// The others are 5 s and more older than "fresh", which is new: 3 s
	// leaves room either side for a loaded machine and 1-second times.
	r := e.run(e.copyArgs("--min-age", "3s", "--report", rep)...)
	mustCode(t, r, 0)
	rf := readReport(t, rep)
	want := map[string]int64{"exists": 1, "newer-in-replica": 1, "too-new": 1}
	if !reflect.DeepEqual(rf.Skipped, want) || rf.Copied != 2 {
		t.Errorf("report: copied %d skipped %v; want 2 and %v", rf.Copied, rf.Skipped, want)
	}
	if b := e.body(e.dst, "replica-newer"); b != "written by live replication" {
		t.Errorf("a newer replica object was overwritten: %q", b)
	}
	if b := e.body(e.dst, "stale"); b != "new source" {
		t.Errorf("an older replica object was not replaced: %q", b)
	}
	if _, ok := e.listing(e.dst, "")["fresh"]; ok {
		t.Error("a too-new object was copied")
	}
	for _, w := range []string{"already in the replica (exists)", "newer in the replica (newer-in-replica)", "too-new"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("summary lacks %q:\n%s", w, r.stdout)
		}
	}
}

func TestSourceChangedAfterListingIsNotCopiedStale(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "k1", body: "1"}, obj{key: "k2", body: "original"}, obj{key: "k3", body: "3"})
	var changed atomic.Bool
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && r.Key == "k2" && !changed.Swap(true) {
			// The source is overwritten after the listing, before the copy.
			if _, err := e.client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(e.src), Key: aws.String("k2"),
				Body: strings.NewReader("rewritten")}); err != nil {
				t.Error(err)
			}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--report", rep)...)
	mustCode(t, r, 0)
	if !changed.Load() {
		t.Fatal("hook never saw the copy of k2")
	}
	if _, ok := e.listing(e.dst, "")["k2"]; ok {
		t.Errorf("k2 copied from a stale listing: replica has %q", e.body(e.dst, "k2"))
	}
	if rf := readReport(t, rep); rf.Skipped["changed"] != 1 || rf.Copied != 2 {
		t.Errorf("report %+v", rf)
	}
}

func TestAccessDeniedOnOneObjectIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 30 {
		objs = append(objs, obj{key: fmt.Sprintf("f/%02d", i), body: "x"})
	}
	objs = append(objs, obj{key: "f/denied file+1.exr", body: "secret"})
	e.put(e.src, objs...)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && r.Key == "f/denied file+1.exr" {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "Access Denied"}
		}
		return nil
	})
	rep, fails := filepath.Join(e.dir, "r.json"), filepath.Join(e.dir, "failed.csv")
	r := e.run(e.copyArgs("--report", rep, "--failures", fails)...)
	mustCode(t, r, 3)
	rf := readReport(t, rep)
	if rf.Copied != 30 || !reflect.DeepEqual(rf.Failed, map[string]int64{"AccessDenied": 1}) || rf.ExitCode != 3 {
		t.Errorf("report %+v", rf)
	}
	b, err := os.ReadFile(fails)
	if err != nil {
		t.Fatal(err)
	}
	if want := e.src + ",f/denied%20file%2B1.exr\n"; string(b) != want {
		t.Errorf("failures file %q, want %q", b, want)
	}
	for _, f := range []string{rep, fails} {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, fi.Mode())
		}
	}
	if !strings.Contains(r.stderr, "f/denied file+1.exr") || !strings.Contains(r.stdout, "Failed 1") {
		t.Errorf("failure not shown:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
}

func TestRunLevelFailuresStopWithExit1(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"missing source", []string{"copy", "--from", "s3://no-such-bucket-src", "--to", "s3://" + e.dst}, nil, []string{`"no-such-bucket-src" does not exist`}},
		{"missing destination", []string{"copy", "--from", "s3://" + e.src, "--to", "s3://no-such-bucket-dst"}, nil, []string{`"no-such-bucket-dst" does not exist`}},
		{"wrong secret", e.copyArgs(), []string{"AWS_SECRET_ACCESS_KEY=wrong-secret"}, []string{"wrong credentials"}},
		{"unknown key", e.copyArgs(), []string{"AWS_ACCESS_KEY_ID=AKIANOTKNOWN"}, []string{"wrong credentials"}},
		{"no credentials", e.copyArgs(), []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, []string{"no AWS credentials"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.proxy.Reset()
			cmd := e.command(tc.args...)
			cmd.Env = append(cmd.Env, tc.env...)
			out, err := cmd.CombinedOutput()
			ee, ok := err.(interface{ ExitCode() int })
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "wrong-secret") {
				t.Error("the secret key was printed")
			}
			if n := e.proxy.Count("CopyObject"); n != 0 {
				t.Errorf("%d copies made", n)
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{
		{"no-such-command"},
		{"copy", "--from", "s3://" + e.src},
		{"copy", "--from", e.src, "--to", "s3://" + e.dst},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.src},
		{"copy", "--from", "s3://" + e.src + "/a", "--to", "s3://" + e.src + "/a/b"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-such-flag"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--sse", "rot13"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--include", "[abc"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--concurrency", "0"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--storage-class", "STANDRAD"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--acl", "bucket-owner-full"},
		{"copy", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--no-checkpoint", "--retry-failed"},
	} {
		r := e.run(args...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, r.code, r.stderr)
		}
	}
	if n := e.proxy.Total(); n != 0 {
		t.Errorf("usage errors made %d requests", n)
	}
}

// S3 can answer a copy "200 OK" and put the error in the body (the copy
// failed after the status went out). That is a failed attempt, retried,
// never a copied object.
func TestCopyAnswered200WithAnErrorIsRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "1"}, obj{key: "b", body: "2"})
	var faults atomic.Int32
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && r.Key == "b" && faults.Add(1) == 1 {
			return &s3test.Fault{Status: 200, Code: "InternalError", Message: "We encountered an internal error. Please try again."}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--report", rep)...)
	mustCode(t, r, 0)
	if e.proxy.Count("CopyObject") != 3 {
		t.Errorf("CopyObject requests %d, want 3 (b's first answer was an error)", e.proxy.Count("CopyObject"))
	}
	if got := e.body(e.dst, "b"); got != "2" {
		t.Errorf("replica b = %q", got)
	}
	if rf := readReport(t, rep); rf.Copied != 2 || len(rf.Failed) != 0 {
		t.Errorf("report %+v", rf)
	}
}
