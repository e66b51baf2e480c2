// Package child runs a benchmarked tool as a child process against a
// simulator and measures it: wall time, CPU (user+sys from the kernel's
// rusage of the child), and peak RSS (VmHWM, polled while it runs).
//
// Contract: Env gives the tool an environment of its own (no AWS_* of the
// caller's but AWS_CA_BUNDLE, the endpoint, any credentials, empty shared
// config files); Run starts the tool with its output in a log file and
// returns its measures and exit error (an exit status is not an error of
// Run's). Linux only for RSS (elsewhere it reads 0).
package child

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/backfill-dev/backfill/bench/internal/peak"
)

// Result is one run of a tool.
type Result struct {
	Wall, User, Sys float64 // seconds
	PeakMiB         float64
	ExitErr         error  // the tool's exit status, when not 0
	Log             string // its output (stdout and stderr)
}

// CPU is user+sys seconds.
func (r Result) CPU() float64 { return r.User + r.Sys }

// Env is the environment for a tool reaching the simulator at url; files
// go in dir.
func Env(dir, url string) ([]string, error) {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			continue
		}
		env = append(env, kv)
	}
	cfg, creds := filepath.Join(dir, "aws-config"), filepath.Join(dir, "aws-credentials")
	for _, f := range []string{cfg, creds} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return nil, err
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=s3sim", "AWS_SECRET_ACCESS_KEY=s3simsecret", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_S3="+url, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+cfg,
		"AWS_SHARED_CREDENTIALS_FILE="+creds), nil
}

// With returns base with changes: NAME=VALUE sets, -NAME removes.
func With(base, changes []string) []string {
	env := slices.Clone(base)
	for _, ch := range changes {
		name, _, _ := strings.Cut(strings.TrimPrefix(ch, "-"), "=")
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		if !strings.HasPrefix(ch, "-") {
			env = append(env, ch)
		}
	}
	return env
}

// Run runs args with env, its output to logPath, and measures it.
func Run(args, env []string, logPath string) (Result, error) {
	var r Result
	logf, err := os.Create(logPath)
	if err != nil {
		return r, err
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	fmt.Fprintf(os.Stderr, "\n$ %s\n", strings.Join(args, " "))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	hwm := peak.Watch(cmd.Process.Pid)
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				hwm.Poll()
			case <-done:
				return
			}
		}
	}()
	r.ExitErr = cmd.Wait()
	r.Wall = time.Since(start).Seconds()
	close(done)
	<-polled
	r.PeakMiB = float64(hwm.Max()) / 1024
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.User, r.Sys = tv(ru.Utime), tv(ru.Stime)
	}
	b, _ := os.ReadFile(logPath)
	r.Log = string(b)
	return r, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
