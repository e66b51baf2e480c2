package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/internal/s3test"
)

func manyObjects(n int, prefix string) []obj {
	objs := make([]obj, n)
	for i := range objs {
		objs[i] = obj{key: fmt.Sprintf("%s/shot%d/frame.%04d.exr", prefix, i%4, i), body: strings.Repeat("f", 64+i%100)}
	}
	return objs
}

func TestInterruptLeavesCorrectReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 400
	e.put(e.src, manyObjects(n, "show")...)
	e.proxy.SetLatency(40 * time.Millisecond)
	rep := filepath.Join(e.dir, "r.json")
	cmd := e.command(e.copyArgs("--concurrency", "8", "--report", rep)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for e.proxy.Count("CopyObject") < 40 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := -1
	if ee, ok := err.(interface{ ExitCode() int }); ok {
		code = ee.ExitCode()
	}
	if code != 130 {
		t.Fatalf("exit %d (%v), want 130\nstdout %s\nstderr %s", code, err, so.String(), se.String())
	}
	rf := readReport(t, rep)
	inReplica := int64(len(e.listing(e.dst, "")))
	if !rf.Interrupted || rf.ExitCode != 130 || rf.Copied != inReplica || rf.Copied == 0 || rf.Copied >= n {
		t.Errorf("report copied %d interrupted %v exit %d; replica holds %d of %d", rf.Copied, rf.Interrupted, rf.ExitCode, inReplica, n)
	}
	// Every copy request that reached S3 finished: none was abandoned.
	if c := int64(e.proxy.Count("CopyObject")); c != rf.Copied {
		t.Errorf("%d CopyObject requests but %d reported copied", c, rf.Copied)
	}
	if !strings.Contains(so.String(), "Interrupted") {
		t.Errorf("summary: %s", so.String())
	}
	// Running again resumes from the checkpoint: only what is left is
	// copied, nothing done is copied again.
	e.proxy.SetLatency(0)
	e.proxy.Reset()
	r := e.run(e.copyArgs("--report", rep)...)
	mustCode(t, r, 0)
	rf2 := readReport(t, rep)
	if rf2.Copied != n-rf.Copied || int64(e.proxy.Count("CopyObject")) != rf2.Copied {
		t.Errorf("resumed run copied %d with %d CopyObject; want %d", rf2.Copied, e.proxy.Count("CopyObject"), n-rf.Copied)
	}
	for reason := range rf2.Skipped {
		if reason != "done" {
			t.Errorf("resumed run skipped %v", rf2.Skipped)
		}
	}
	if got := len(e.listing(e.dst, "")); got != n {
		t.Errorf("replica holds %d of %d", got, n)
	}
}

func TestRetriesThroughFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 200
	e.put(e.src, manyObjects(n, "f")...)
	e.proxy.SetErrorRate(0.1)
	e.proxy.SetDropRate(0.03)
	e.proxy.SetSlowDownAbove(400)
	rep := filepath.Join(e.dir, "r.json")
	r := e.run(e.copyArgs("--report", rep, "--concurrency", "32")...)
	mustCode(t, r, 0)
	if rf := readReport(t, rep); rf.Copied != n {
		t.Errorf("report %+v", rf)
	}
	if got := len(e.listing(e.dst, "")); got != n {
		t.Errorf("replica holds %d of %d", got, n)
	}
	if c := e.proxy.Count("CopyObject"); c <= n {
		t.Errorf("only %d CopyObject requests for %d objects with faults injected: were the faults applied?", c, n)
	}
}

func TestSeparateSourceAndDestinationEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, manyObjects(20, "s")...)
	srcProxy := e.srv.NewProxy(t)
	dstProxy := e.srv.NewProxy(t)
	r := e.run(e.copyArgs("--source-endpoint-url", srcProxy.URL(), "--dest-endpoint-url", dstProxy.URL(),
		"--source-region", "us-east-1", "--dest-region", "us-east-1")...)
	mustCode(t, r, 0)
	if n := e.proxy.Total(); n != 0 {
		t.Errorf("the shared endpoint got %d requests", n)
	}
	for _, req := range srcProxy.Requests() {
		if req.Bucket != e.src || req.Op != "ListObjectsV2" {
			t.Errorf("source endpoint got %s on %s", req.Op, req.Bucket)
		}
	}
	if c := dstProxy.Count("CopyObject"); c != 20 {
		t.Errorf("destination endpoint got %d CopyObject, want 20", c)
	}
	for _, req := range dstProxy.Requests() {
		if req.Bucket != e.dst {
			t.Errorf("destination endpoint got %s on %s", req.Op, req.Bucket)
		}
	}
}

func TestCopyOptionsAreSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	// A wrong expected owner stops the run before anything is copied
	// (versitygw checks it; its bucket owner is the access key).
	r := e.run(e.copyArgs("--expected-source-owner", "111111111111")...)
	mustCode(t, r, 1)
	if !strings.Contains(r.stderr, "access denied") || e.proxy.Count("CopyObject") != 0 {
		t.Errorf("wrong owner: %s", r.stderr)
	}
	e.proxy.Reset()
	// versitygw ignores storage classes and SSE it does not manage; what
	// matters here is that each flag reaches the CopyObject.
	own := e.srv.AccessKey
	r = e.run(e.copyArgs("--storage-class", "STANDARD_IA", "--sse", "aws:kms", "--sse-kms-key-id", "alias/replica",
		"--bucket-key", "--acl", "bucket-owner-full-control",
		"--expected-source-owner", own, "--expected-dest-owner", own)...)
	t.Logf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	var found bool
	for _, req := range e.proxy.Requests() {
		switch req.Op {
		case "CopyObject":
			found = true
			for h, want := range map[string]string{
				"X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Server-Side-Encryption": "aws:kms",
				"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "alias/replica", "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled": "true",
				"X-Amz-Acl": "bucket-owner-full-control", "X-Amz-Source-Expected-Bucket-Owner": own,
				"X-Amz-Expected-Bucket-Owner": own,
			} {
				if got := req.Header.Get(h); got != want {
					t.Errorf("CopyObject %s = %q, want %q", h, got, want)
				}
			}
		case "ListObjectsV2":
			if got, want := req.Header.Get("X-Amz-Expected-Bucket-Owner"), own; got != want {
				t.Errorf("ListObjectsV2 on %s: expected owner %q, want %q", req.Bucket, got, want)
			}
		}
	}
	if !found {
		t.Fatal("no CopyObject was made")
	}
}

func TestWorksWithAndWithoutCABundle(t *testing.T) {
	t.Parallel()
	bundle := "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(bundle); err != nil {
		t.Skipf("no system CA bundle at %s", bundle)
	}
	for _, withBundle := range []bool{true, false} {
		t.Run(fmt.Sprint("bundle=", withBundle), func(t *testing.T) {
			e := newEnv(t)
			e.put(e.src, obj{key: "a", body: "a"})
			cmd := e.command(e.copyArgs()...)
			var env []string
			for _, kv := range cmd.Env {
				if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
					env = append(env, kv)
				}
			}
			if withBundle {
				env = append(env, "AWS_CA_BUNDLE="+bundle)
			}
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(e.listing(e.dst, "")) != 1 {
				t.Error("not copied")
			}
		})
	}
}

func TestHookSeesEveryOperation(t *testing.T) {
	t.Parallel()
	// Guards the proxy's classification that the request-count assertions
	// above rely on: a run's requests are all known S3 operations.
	e := newEnv(t)
	e.put(e.src, manyObjects(5, "x")...)
	mustCode(t, e.run(e.copyArgs()...), 0)
	for op := range e.proxy.Counts() {
		if strings.HasPrefix(op, "Unknown") || strings.HasPrefix(op, "Bucket:") {
			t.Errorf("unclassified request %s", op)
		}
	}
	_ = s3test.Request{}
}

// TestPrivateCAEndpointNeedsTheBundle: an HTTPS endpoint whose certificate
// comes from a private CA works with AWS_CA_BUNDLE naming that CA, and is
// refused (exit 1, nothing copied) without it.
func TestPrivateCAEndpointNeedsTheBundle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	ca := filepath.Join(e.dir, "private-ca.pem")
	tp, err := s3test.NewTLSProxy(e.srv.Endpoint, ca)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	run := func(bundle string) (string, int) {
		cmd := e.command(e.copyArgs("--no-checkpoint", "--endpoint-url", tp.URL())...)
		cmd.Env = withoutEnv(cmd.Env, "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL")
		if bundle != "" {
			cmd.Env = append(cmd.Env, "AWS_CA_BUNDLE="+bundle)
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	if out, code := run(""); code != 1 || !strings.Contains(out, "certificate") {
		t.Errorf("without the bundle: exit %d\n%s", code, out)
	}
	if n := tp.Count("CopyObject"); n != 0 {
		t.Errorf("%d copies through an untrusted endpoint", n)
	}
	if out, code := run(ca); code != 0 {
		t.Fatalf("with the bundle: exit %d\n%s", code, out)
	}
	if tp.Count("CopyObject") != 1 || len(e.listing(e.dst, "")) != 1 {
		t.Errorf("not copied through the HTTPS endpoint: %v", tp.Counts())
	}
}
