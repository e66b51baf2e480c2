package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What a new user meets in the first hour: help, version, a mistyped
// endpoint, a checkpoint that is not there, SIGTERM from a supervisor.
func TestHelpVersionAndFirstMistakes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout (code 0) or stderr
	}{
		{[]string{"--version"}, 0, "backfill version "},
		{[]string{"help"}, 0, "COMMANDS:"},
		{[]string{"help", "copy"}, 0, "backfill copy --from s3://BUCKET"},
		{[]string{"help", "nosuch"}, 2, "nosuch"},
		{e.copyArgs("--endpoint-url", "localhost:9000"), 2, `--endpoint-url "localhost:9000" needs a scheme`},
		{e.copyArgs("--source-endpoint-url", "127.0.0.1:1"), 2, "--source-endpoint-url"},
		{[]string{"plan", "--from", "s3://" + e.src, "--to", "s3://" + e.dst, "--dest-endpoint-url", "localhost"}, 2, "--dest-endpoint-url"},
		{[]string{"cleanup", "--endpoint-url", "localhost:9000"}, 2, "--endpoint-url"},
		{[]string{"status", "--checkpoint", "missing.db"}, 1, "no checkpoint at missing.db"},
		{[]string{"status"}, 1, "no checkpoint at backfill.db"},
		{[]string{"cleanup"}, 1, "no checkpoint at backfill.db"},
	} {
		r := e.run(tc.args...)
		got := r.stderr
		if tc.code == 0 {
			got = r.stdout
		}
		if r.code != tc.code || !strings.Contains(got, tc.out) {
			t.Errorf("%q: exit %d, want %d with %q\nstdout %s\nstderr %s", tc.args, r.code, tc.code, tc.out, r.stdout, r.stderr)
		}
	}
	if ents, _ := os.ReadDir(e.dir); len(ents) != 0 {
		t.Errorf("left %v in the working folder", ents)
	}
	if n := e.proxy.Total(); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

// SIGTERM (systemd, kill, a container runtime) stops like Ctrl-C, and the
// message names it: the user pressed no Ctrl-C.
func TestSIGTERMStopsGracefullyAndSaysSo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, manyObjects(60, "show")...)
	e.proxy.SetLatency(40 * time.Millisecond)
	rep := filepath.Join(e.dir, "r.json")
	cmd := e.command(e.copyArgs("--concurrency", "4", "--report", rep)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for e.proxy.Count("CopyObject") < 8 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	code := -1
	if ee, ok := err.(interface{ ExitCode() int }); ok {
		code = ee.ExitCode()
	}
	if code != 130 || !strings.Contains(se.String(), "interrupted (SIGTERM)") || strings.Contains(se.String(), "Ctrl-C") {
		t.Errorf("exit %d (%v), want 130\nstdout %s\nstderr %s", code, err, so.String(), se.String())
	}
	if rf := readReport(t, rep); !rf.Interrupted || rf.ExitCode != 130 {
		t.Errorf("report %+v", rf)
	}
}
