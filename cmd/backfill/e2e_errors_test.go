package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// A run that fails before its copy begins prints the error alone (no
// summary of a copy that never ran), named by its cause without the SDK's
// request details; the report file still says what happened. --debug
// adds the SDK's full text.
func TestRunFailingBeforeItStartsPrintsTheErrorOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "ListObjectsV2" && r.Bucket == e.src {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "Access Denied"}
		}
		return nil
	})
	rep := filepath.Join(e.dir, "report.json")
	for _, extra := range [][]string{nil, {"--json"}} {
		r := e.run(e.copyArgs(append([]string{"--report", rep}, extra...)...)...)
		mustCode(t, r, 1)
		if r.stdout != "" {
			t.Errorf("%v: stdout %q, want nothing (the copy never began)", extra, r.stdout)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "ListObjectsV2 answered 403 AccessDenied: Access Denied") ||
			strings.Contains(r.stderr, "RequestID") || strings.Contains(r.stderr, "HostID") || strings.Contains(r.stderr, "operation error") {
			t.Errorf("%v: stderr:\n%s", extra, r.stderr)
		}
		var got struct {
			ExitCode int    `json:"exit_code"`
			Error    string `json:"error"`
		}
		b, _ := os.ReadFile(rep)
		if err := json.Unmarshal(b, &got); err != nil || got.ExitCode != 1 || !strings.Contains(got.Error, "AccessDenied") || strings.Contains(got.Error, "RequestID") {
			t.Errorf("report: %s", b)
		}
		os.Remove(rep)
	}
	r := e.run(e.copyArgs("--debug")...)
	mustCode(t, r, 1)
	if !strings.Contains(r.stderr, "backfill: debug: in full: ") || !strings.Contains(r.stderr, "RequestID") ||
		!strings.Contains(r.stderr, "ListObjectsV2") || !strings.Contains(r.stderr, "SDK DEBUG Request") {
		t.Errorf("--debug stderr lacks the full error or the request log:\n%s", r.stderr)
	}
}

// --debug logs every request, but never a secret key, a session token or a
// signature: not on stdout or stderr, not in any file the run writes.
// versitygw refuses session tokens (InvalidToken), so the run with one
// stops at its first request; a second run without one copies, fails an
// object and writes every file.
func TestDebugNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a/1", body: "1"}, obj{key: "a/2", body: "2"}, obj{key: "b", body: "3"})
	const token = "SESSIONTOKEN-e2e-0123456789-abcdefXYZ"
	var mu sync.Mutex
	signatures := map[string]bool{}
	sigRE := regexp.MustCompile(`Signature=([0-9a-f]+)`)
	e.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if m := sigRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			mu.Lock()
			signatures[m[1]] = true
			mu.Unlock()
		}
		if r.Op == "CopyObject" && r.Key == "b" {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "denied"} // an error line too
		}
		return nil
	})
	outputs := map[string]string{}
	for i, tc := range []struct {
		env  []string
		code int
	}{{[]string{"AWS_SESSION_TOKEN=" + token}, 1}, {nil, 3}} {
		cmd := e.command("--debug", "copy", "--from", "s3://"+e.src, "--to", "s3://"+e.dst, "--no-progress",
			"--report", "report.json", "--failures", "failed.csv", "--json")
		cmd.Env = append(cmd.Env, tc.env...)
		var so, se strings.Builder
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != tc.code {
			t.Fatalf("run %d: exit %v, want %d\nstdout %s\nstderr %s", i, err, tc.code, so.String(), se.String())
		}
		if !strings.Contains(se.String(), "SDK DEBUG Request") || !strings.Contains(se.String(), "Signature=REDACTED") {
			t.Fatalf("run %d: --debug did not log the requests:\n%s", i, se.String())
		}
		if i == 0 && !strings.Contains(se.String(), "X-Amz-Security-Token: REDACTED") {
			t.Errorf("the session token's header was not logged (redacted):\n%s", se.String())
		}
		outputs[fmt.Sprintf("run %d stdout", i)], outputs[fmt.Sprintf("run %d stderr", i)] = so.String(), se.String()
	}
	filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			outputs[path] = string(b)
		}
		return nil
	})
	if len(outputs) < 7 { // 2 x stdout and stderr, the report, the failures file, the checkpoint
		t.Errorf("outputs: %v", sortedKeys(outputs))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(signatures) < 2 {
		t.Fatalf("the proxy saw %d signatures", len(signatures))
	}
	secrets := map[string]string{"secret key": e.srv.SecretKey, "session token": token}
	for s := range signatures {
		secrets["signature "+s] = s
	}
	for where, text := range outputs {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the %s", where, what)
			}
		}
	}
}
