package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3test"
	"github.com/backfill-dev/backfill/report"
)

// withoutEnv returns env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

func TestEndpointFlagAndS3EndpointVariable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"}, obj{key: "b", body: "b"})
	for name, setup := range map[string]func(*[]string, *[]string){
		"--endpoint-url": func(env, args *[]string) { *args = append(*args, "--endpoint-url", e.proxy.URL()) },
		"AWS_ENDPOINT_URL_S3": func(env, args *[]string) {
			*env = append(*env, "AWS_ENDPOINT_URL_S3="+e.proxy.URL())
		},
	} {
		t.Run(name, func(t *testing.T) {
			e.proxy.Reset()
			args := e.copyArgs("--no-checkpoint", "--region", "us-east-1")
			cmd := e.command()
			env := withoutEnv(cmd.Env, "AWS_ENDPOINT_URL", "AWS_REGION")
			setup(&env, &args)
			cmd = e.command(args...)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if e.proxy.Count("ListObjectsV2") == 0 {
				t.Error("the endpoint was not used")
			}
		})
	}
	if len(e.listing(e.dst, "")) != 2 {
		t.Error("not copied")
	}
}

// A run that fails before it begins writes its report (saying why) and
// leaves no empty --failures or --archived file.
func TestReportWrittenWhenTheRunFailsEarly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rep := filepath.Join(e.dir, "report.json")
	os.WriteFile(rep, []byte(`{"exit_code": 0, "copied": 999}`), 0o644)
	failures, archived := filepath.Join(e.dir, "failures.csv"), filepath.Join(e.dir, "archived.csv")
	r := e.run("copy", "--from", "s3://no-such-bucket-here", "--to", "s3://"+e.dst, "--no-progress", "--report", rep,
		"--failures", failures, "--archived", archived)
	mustCode(t, r, 1)
	for _, f := range []string{failures, archived} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("a run that never began left %s", filepath.Base(f))
		}
	}
	b, _ := os.ReadFile(rep)
	var got struct {
		ExitCode int    `json:"exit_code"`
		Copied   int    `json:"copied"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(b, &got); err != nil || got.ExitCode != 1 || got.Copied != 0 || !strings.Contains(got.Error, "no-such-bucket-here") {
		t.Errorf("report after an early failure: %s", b)
	}
	if fi, _ := os.Stat(rep); fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v", fi.Mode())
	}
}

func TestTransientFailureIsRetriedByAPlainRerun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a/1", body: "1"}, obj{key: "a/2", body: "2"}, obj{key: "a/3", body: "3"})
	var failing atomic.Bool
	failing.Store(true)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if failing.Load() && r.Op == "CopyObject" && r.Key == "a/2" {
			return &s3test.Fault{Status: 503, Code: "ServiceUnavailable", Message: "try later"}
		}
		return nil
	})
	mustCode(t, e.run(e.copyArgs("--max-attempts", "2")...), 3)
	failing.Store(false)
	e.proxy.Reset()
	// No --retry-failed: a failure that passes by itself is tried again by
	// the same command.
	r := e.run(e.copyArgs()...)
	mustCode(t, r, 0)
	if c := e.proxy.Count("CopyObject"); c != 1 {
		t.Errorf("re-run made %d CopyObject, want 1 (a/2 only)", c)
	}
	if e.body(e.dst, "a/2") != "2" {
		t.Error("a/2 not copied by the re-run")
	}
	var st report.Status
	r = e.run("status", "--json")
	json.Unmarshal([]byte(r.stdout), &st)
	if st.Failed != 0 || st.Done != 3 || !st.Complete {
		t.Errorf("status after the re-run: %+v", st)
	}
}

func TestSourceDeletedAfterListingIsGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "keep", body: "k"}, obj{key: "vanish", body: "v"})
	var deleted atomic.Bool
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && r.Key == "vanish" && !deleted.Swap(true) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := e.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.src), Key: aws.String("vanish")}); err != nil {
				t.Error(err)
			}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "r.json")
	mustCode(t, e.run(e.copyArgs("--report", rep)...), 0)
	if rf := readReport(t, rep); rf.Skipped["gone"] != 1 || rf.Copied != 1 || len(rf.Failed) != 0 {
		t.Errorf("report %+v", rf)
	}
}

func TestDamagedCheckpointIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var objs []obj
	for i := range 300 {
		objs = append(objs, obj{key: fmt.Sprintf("d%d/k%04d", i%3, i), body: "x"})
	}
	e.put(e.src, objs...)
	mustCode(t, e.run(e.copyArgs()...), 0)
	path := filepath.Join(e.dir, "backfill.db")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2 * 4096; i < len(data); i++ { // keep bbolt's two meta pages, ruin the rest
		data[i] = byte(i * 31)
	}
	os.WriteFile(path, data, 0o600)
	e.proxy.Reset()
	r := e.run(e.copyArgs()...)
	if r.code != 1 || !strings.Contains(r.stderr, "not a backfill checkpoint") || strings.Contains(r.stderr, "goroutine") {
		t.Errorf("damaged checkpoint: exit %d\n%s", r.code, r.stderr)
	}
	if n := e.proxy.Count("CopyObject"); n != 0 {
		t.Errorf("%d copies from a damaged checkpoint", n)
	}
}
