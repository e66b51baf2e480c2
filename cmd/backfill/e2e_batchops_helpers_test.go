package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/internal/s3test/bops"
)

// bopsEnv is one batchops test's world: the shared versitygw, a strict
// S3 Batch Operations emulator in front of it (which serves S3 too), a
// counting proxy in front of the emulator (what the binary talks to), and
// a "policy" proxy between the emulator and versitygw that denies the
// jobs' copies of chosen keys, as a bucket policy would (versitygw's own
// bucket policies cannot deny its root account, which the emulator uses).
type bopsEnv struct {
	*env
	emu    *bops.Server
	front  *s3test.Proxy // in front of the emulator: the binary's endpoint
	ctl    *s3control.Client
	rep    string // report (and manifest) bucket
	role   string
	denyMu sync.Mutex
	deny   map[string]bool // source keys the jobs may not read
}

func newBopsEnv(t *testing.T) *bopsEnv {
	t.Helper()
	e := newEnv(t)
	b := &bopsEnv{env: e, deny: map[string]bool{}}
	policy, err := s3test.NewProxy(e.srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { policy.Close() })
	policy.SetHook(b.denied)
	b.emu = bops.StartTest(t, e.srv, bops.Options{Step: 2 * time.Millisecond, S3: bops.S3Endpoint{URL: policy.URL()}})
	if b.front, err = s3test.NewProxy(b.emu.URL()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.front.Close() })
	b.ctl = b.emu.Client()
	b.rep = e.srv.NewBucket(t, false)
	b.role = "arn:aws:iam::" + b.emu.AccountID() + ":role/batch"
	return b
}

// denied answers 403 AccessDenied to a job's CopyObject of a denied key.
func (b *bopsEnv) denied(r *s3test.Request) *s3test.Fault {
	src := r.Header.Get("X-Amz-Copy-Source")
	if r.Op != "CopyObject" || src == "" {
		return nil
	}
	path, err := url.PathUnescape(strings.SplitN(src, "?", 2)[0])
	if err != nil {
		return nil
	}
	b.denyMu.Lock()
	defer b.denyMu.Unlock()
	for key := range b.deny {
		if strings.HasSuffix(path, "/"+key) {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "Access Denied by the bucket policy"}
		}
	}
	return nil
}

func (b *bopsEnv) setDeny(keys ...string) {
	b.denyMu.Lock()
	defer b.denyMu.Unlock()
	b.deny = map[string]bool{}
	for _, k := range keys {
		b.deny[k] = true
	}
}

// bo runs `backfill batchops ARGS...` against the emulator.
func (b *bopsEnv) bo(args ...string) result {
	b.t.Helper()
	return b.runWith(b.srv.Env(b.front.URL()), append([]string{"batchops"}, args...)...)
}

func (b *bopsEnv) runWith(environ []string, args ...string) result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(environ, "AWS_REGION=us-east-1")
	cmd.Dir = b.dir
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		b.t.Fatalf("run backfill: %v", err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}

// submitArgs are a copy job's flags from e.src to e.dst.
func (b *bopsEnv) submitArgs(extra ...string) []string {
	return append([]string{"submit", "--from", "s3://" + b.src, "--to", "s3://" + b.dst, "--role-arn", b.role,
		"--report-to", "s3://" + b.rep + "/reports", "--account-id", b.emu.AccountID(), "--no-progress"}, extra...)
}

// acct is a job command with the account flag (flags before the job id).
func (b *bopsEnv) acct(cmd string, args ...string) []string {
	return append([]string{cmd, "--account-id", b.emu.AccountID()}, args...)
}

var jobIDRe = regexp.MustCompile(`(?:Created job|Job) ([0-9a-f-]{8,})`)

// jobID is the job id a submit printed.
func jobID(t *testing.T, r result) string {
	t.Helper()
	m := jobIDRe.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no job id in the output (exit %d):\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return m[1]
}

// jobs lists the emulator's jobs.
func (b *bopsEnv) jobs() []types.JobListDescriptor {
	b.t.Helper()
	out, err := b.ctl.ListJobs(b.t.Context(), &s3control.ListJobsInput{AccountId: aws.String(b.emu.AccountID())})
	if err != nil {
		b.t.Fatal(err)
	}
	return out.Jobs
}

func (b *bopsEnv) describe(id string) *types.JobDescriptor {
	b.t.Helper()
	out, err := b.ctl.DescribeJob(b.t.Context(), &s3control.DescribeJobInput{AccountId: aws.String(b.emu.AccountID()), JobId: aws.String(id)})
	if err != nil {
		b.t.Fatal(err)
	}
	return out.Job
}

// waitJob runs `batchops wait` and checks its exit status.
func (b *bopsEnv) waitJob(id string, code int) result {
	b.t.Helper()
	r := b.bo(b.acct("wait", "--poll", "20ms", id)...)
	mustCode(b.t, r, code)
	return r
}

// exact checks that every object under prefix in the source is in the
// destination under dstPrefix with the same bytes, content headers, user
// metadata and tags.
func (b *bopsEnv) exact(keys []string, dstPrefix string) {
	b.t.Helper()
	ctx := b.t.Context()
	for _, k := range keys {
		if got, want := b.body(b.dst, dstPrefix+k), b.body(b.src, k); got != want {
			b.t.Errorf("%s: body %q, want %q", k, got, want)
		}
		sh, dh := b.headOf(b.src, k), b.headOf(b.dst, dstPrefix+k)
		if !reflect.DeepEqual(sh, dh) {
			b.t.Errorf("%s: headers differ:\nsource  %v\nreplica %v", k, sh, dh)
		}
		st, err1 := b.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(b.src), Key: aws.String(k)})
		dt, err2 := b.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(b.dst), Key: aws.String(dstPrefix + k)})
		if err1 != nil || err2 != nil {
			b.t.Fatalf("%s: tags: %v %v", k, err1, err2)
		}
		if tagString(st.TagSet) != tagString(dt.TagSet) {
			b.t.Errorf("%s: tags %s, source %s", k, tagString(dt.TagSet), tagString(st.TagSet))
		}
	}
}

func tagString(tags []s3types.Tag) string {
	var s []string
	for _, t := range tags {
		s = append(s, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(s, "&")
}

func (b *bopsEnv) headOf(bucket, key string) map[string]string {
	b.t.Helper()
	h, err := b.client.HeadObject(b.t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		b.t.Fatalf("head s3://%s/%s: %v", bucket, key, err)
	}
	m := map[string]string{"Content-Type": aws.ToString(h.ContentType), "Cache-Control": aws.ToString(h.CacheControl),
		"Content-Disposition": aws.ToString(h.ContentDisposition), "Content-Length": fmt.Sprint(aws.ToInt64(h.ContentLength))}
	maps.Copy(m, h.Metadata)
	return m
}

// media puts n objects with metadata, tags and content headers, keys
// with spaces and pluses among them, and returns their keys.
func (b *bopsEnv) media(n int) []string {
	b.t.Helper()
	var objs []obj
	var keys []string
	for i := range n {
		k := fmt.Sprintf("shows/alpha/take %d+final.mov", i)
		objs = append(objs, obj{key: k, body: fmt.Sprintf("frame data %d", i), meta: map[string]string{"take": fmt.Sprint(i)},
			tags: "dept=editorial", ctype: "video/quicktime"})
		keys = append(keys, k)
	}
	b.put(b.src, objs...)
	return keys
}

// jsonLines decodes the JSON lines a --json command printed.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("not JSON lines: %v\n%s", err, out)
		}
		lines = append(lines, m)
	}
	return lines
}
