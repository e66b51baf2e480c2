package s3test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// child is a server process the harness started: in its own process group,
// killed by the kernel if the thread that started it dies (Linux), with the
// last 16 KiB of its output kept for error messages.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been waited for
	out    *tailBuffer
}

// startChild starts bin with args in dir, with exactly env as its
// environment. Its stdout and stderr go to the tail buffer and to stderr if
// that is not nil.
func startChild(bin string, args, env []string, dir string, stderr io.Writer) (*child, error) {
	c := &child{out: &tailBuffer{max: 16 << 10}, exited: make(chan struct{})}
	var w io.Writer = c.out
	if stderr != nil {
		w = io.MultiWriter(c.out, stderr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = w, w
	cmd.Dir = dir
	setProcAttr(cmd)
	// Start and wait on one locked OS thread: Pdeathsig (Linux) fires when the
	// thread that forked the child exits, so that thread must live as long as
	// the child does.
	started := make(chan error, 1)
	go func() {
		defer close(c.exited)
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("s3test: start %s: %w", bin, err)
	}
	c.cmd = cmd
	return c, nil
}

// running reports whether the process has not exited yet.
func (c *child) running() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to the process group, and SIGKILL after 3 s, and waits.
func (c *child) stop() {
	terminate(c.cmd)
	select {
	case <-c.exited:
	case <-time.After(3 * time.Second):
		forceKill(c.cmd)
		<-c.exited
	}
}

// kill sends SIGKILL to the process group and waits.
func (c *child) kill() {
	forceKill(c.cmd)
	<-c.exited
}

// cleanEnv is os.Environ() without the variables whose name starts with one
// of drop, plus extra.
func cleanEnv(drop []string, extra ...string) []string {
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// clientEnv is the environment for a child process (the CLI under test)
// that talks to the harness's servers: os.Environ() without any AWS_*
// variable except AWS_CA_BUNDLE, IMDS off, the shared config and
// credentials files pointed at awsDir's empty ones, plus extra.
func clientEnv(awsDir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(awsDir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(awsDir, "credentials"),
	)
	return append(env, extra...)
}

// makeAWSDir creates dir/aws with empty config and credentials files, for
// clientEnv, and returns its path.
func makeAWSDir(dir string) (string, error) {
	aws := filepath.Join(dir, "aws")
	if err := os.MkdirAll(aws, 0o755); err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	for _, f := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(aws, f), nil, 0o600); err != nil {
			return "", fmt.Errorf("s3test: %w", err)
		}
	}
	return aws, nil
}
