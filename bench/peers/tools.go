package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/backfill-dev/backfill/bench/internal/peak"
	"github.com/backfill-dev/backfill/internal/s3test"
)

// tool is one way of copying a source bucket to a replica bucket.
type tool struct {
	name    string
	missing string // why it cannot run (not installed); "" when it can
	// cmd copies src to dst through endpoint; checkpoint is a file only
	// backfill uses (the same one for a run and its re-run).
	cmd func(endpoint, src, dst, checkpoint string) *exec.Cmd
}

// tools lists backfill and its peers. A peer that is not installed is kept
// with missing set, so that the tables say it was skipped.
func tools(srv *s3test.Server, backfill string, extra []string) []tool {
	env := func(endpoint string) []string { return srv.Env(endpoint) }
	// rclone 1.60 cannot load AWS_CA_BUNDLE ("unsupported transport"):
	// it runs without it, against the plain-http endpoint.
	rcloneEnv := func(endpoint string) []string {
		var out []string
		for _, kv := range srv.Env(endpoint) {
			if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
				out = append(out, kv)
			}
		}
		return append(out, "RCLONE_CONFIG_S3_TYPE=s3", "RCLONE_CONFIG_S3_PROVIDER=Other",
			"RCLONE_CONFIG_S3_ENDPOINT="+endpoint, "RCLONE_CONFIG_S3_ACCESS_KEY_ID="+srv.AccessKey,
			"RCLONE_CONFIG_S3_SECRET_ACCESS_KEY="+srv.SecretKey, "RCLONE_CONFIG_S3_REGION="+srv.Region,
			"RCLONE_CONFIG_S3_FORCE_PATH_STYLE=true")
	}
	// `aws` on PATH may be a pyenv shim; the Debian package's is /usr/bin/aws.
	const awsBin = "/usr/bin/aws"
	awsMissing := ""
	if st, err := os.Stat(awsBin); err != nil || st.Mode()&0o111 == 0 {
		awsMissing = "not installed (" + awsBin + "; apt-get install awscli)"
	}
	rcloneBin, err := exec.LookPath("rclone")
	rcloneMissing := ""
	if err != nil {
		rcloneMissing = "not installed (rclone not on PATH; apt-get install rclone)"
	}
	rclone := func(flags ...string) func(endpoint, src, dst, _ string) *exec.Cmd {
		return func(endpoint, src, dst, _ string) *exec.Cmd {
			args := append([]string{"copy", "s3:" + src, "s3:" + dst}, flags...)
			return withEnv(exec.Command(rcloneBin, args...), rcloneEnv(endpoint))
		}
	}
	name := "backfill (defaults)"
	if len(extra) > 0 {
		name = "backfill " + strings.Join(extra, " ")
	}
	return []tool{
		{name: name, cmd: func(endpoint, src, dst, cp string) *exec.Cmd {
			args := []string{"copy", "--from", "s3://" + src, "--to", "s3://" + dst, "--no-progress", "--checkpoint", cp}
			return withEnv(exec.Command(backfill, append(args, extra...)...), env(endpoint))
		}},
		{name: "aws s3 sync", missing: awsMissing, cmd: func(endpoint, src, dst, _ string) *exec.Cmd {
			return withEnv(exec.Command(awsBin, "s3", "sync", "s3://"+src, "s3://"+dst,
				"--endpoint-url", endpoint, "--only-show-errors"), env(endpoint))
		}},
		{name: "rclone copy (defaults)", missing: rcloneMissing, cmd: rclone()},
		{name: "rclone copy --transfers 256 --checkers 256", missing: rcloneMissing,
			cmd: rclone("--transfers", "256", "--checkers", "256")},
	}
}

func withEnv(c *exec.Cmd, env []string) *exec.Cmd {
	c.Env = env
	return c
}

// running is the tool process the bench is running now, if any; stopping
// says the bench was interrupted, so no tool may start and a tool that just
// started is killed.
var (
	running  atomic.Pointer[os.Process]
	stopping atomic.Bool
)

// killRunning kills the tool process running now, for an interrupted bench.
// Ctrl-C in a terminal reaches it anyway (same process group); SIGTERM to
// the bench alone does not.
func killRunning() {
	if p := running.Load(); p != nil {
		p.Kill() //nolint:errcheck // it may have just ended
	}
}

// proc is what one process run cost.
type proc struct {
	wall        float64 // seconds
	cpu         float64 // user+sys seconds
	serverCPU   float64 // versitygw's user+sys seconds during the run
	harnessCPU  float64 // this process's (the proxy's, mostly) user+sys seconds during the run
	rssKiB      int64   // peak resident set (ru_maxrss, KiB on Linux)
	exit        string  // "" for exit status 0
	interrupted bool    // SIGINT was sent
	output      string  // the tail of stdout+stderr
}

// execute runs cmd to its end. If interruptWhen is set it is polled every
// 10 ms, and once it says so the process gets SIGINT (a second one a minute
// later, SIGKILL after another 30 s). A process still running after timeout
// is killed.
func execute(cmd *exec.Cmd, interruptWhen func() bool, timeout time.Duration) (proc, error) {
	out := &tail{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	if stopping.Load() {
		return proc{}, errors.New("the bench was interrupted")
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return proc{}, err
	}
	running.Store(cmd.Process)
	defer running.Store(nil)
	if stopping.Load() { // the signal came between Start and Store
		killRunning()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	hwm := peak.Watch(cmd.Process.Pid) // polled at each tick: ru_maxrss would count this process too
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var p proc
	var sigAt time.Time
	signals := 0
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-deadline.C:
			cmd.Process.Kill() //nolint:errcheck
			werr = <-done
			p.exit = fmt.Sprintf("killed after the %s timeout", timeout)
			break wait
		case <-tick.C:
			hwm.Poll()
			switch {
			case signals == 0 && interruptWhen != nil && interruptWhen():
				cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck
				p.interrupted, sigAt, signals = true, time.Now(), 1
			case signals == 1 && time.Since(sigAt) > time.Minute:
				cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck
				signals = 2
			case signals == 2 && time.Since(sigAt) > 90*time.Second:
				cmd.Process.Kill() //nolint:errcheck
				signals = 3
			}
		}
	}
	p.wall = time.Since(start).Seconds()
	p.rssKiB = hwm.Max()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		p.cpu = tv(ru.Utime) + tv(ru.Stime)
	}
	if werr != nil && p.exit == "" {
		p.exit = werr.Error()
	}
	if signals > 1 {
		p.exit += fmt.Sprintf(" (needed %d signals)", signals)
	}
	p.output = out.String()
	return p, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
