package smoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBenchPrograms runs each of `make bench`'s programs as `make bench`
// does, with inputs small enough for seconds, and checks what it printed.
func TestBenchPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the benchmark programs")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go") // as the Makefile runs it
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := t.TempDir()
	build := func(name, pkg string) string {
		t.Helper()
		out := filepath.Join(bin, name)
		cmd := exec.Command(goBin, "build", "-o", out, pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, b)
		}
		return out
	}
	backfill := build("backfill", "./cmd/backfill")
	_, awsErr := exec.LookPath("/usr/bin/aws")
	_, rcloneErr := exec.LookPath("rclone")
	peers := awsErr == nil && rcloneErr == nil

	for _, c := range []struct {
		name, pkg string
		args      []string
		want      []string // each must appear in the standard output
		rows      int      // at least this many backfill rows must show a complete replica
	}{
		{"peers", "./bench/peers", []string{"-quick", "-allow-missing", "-latency", "5ms", "-scenario-latency", "5ms"},
			[]string{"## fresh copy, 300 objects", "## re-run after a complete copy", "## interrupted", "## SlowDown above"}, 5},
		{"scale", "./bench/scale", []string{"-objects", "1000", "-large", "1", "-latency", "5ms"},
			[]string{"Content-Type, headers and metadata kept by all", "copied in parts"}, 1},
		{"scale-limits", "./bench/scale", []string{"-objects", "5000", "-latency", "5ms", "-read-rate", "5500", "-write-rate", "2000", "-prefix-depth", "1"},
			[]string{"the ideal"}, 1},
		{"scale-rounds", "./bench/scale", []string{"-objects", "1500", "-latency", "5ms", "-runs", "2", "-ceiling", "3000", "-first", "500", "-rss-target", "1024", "-vs", "nobody"},
			[]string{"per round", "N/ceiling", "the first 500 copies", "peak RSS"}, 1},
		{"invcopy", "./bench/invcopy", []string{"-objects", "1500", "-files", "3", "-latency", "2ms"},
			[]string{"| list |", "| head |", "<= 1.01 requests/object: met"}, 0},
		{"verify", "./bench/verify", []string{"-objects", "2000", "-latency", "2ms", "-runs", "1"},
			[]string{"| backfill verify |", "yes: differs 10, extra 5, missing 5"}, 0},
		{"concurrency", "./bench/concurrency", []string{"-objects", "300", "-latency", "5ms", "-levels", "16,64", "-runs", "1"},
			[]string{"| 16 |", "| 64 |"}, 0},
		{"checkpoint", "./bench/checkpoint", []string{"-objects", "20000"}, []string{"checkpoint with 20000 done objects", "resume:"}, 0},
		{"inventory", "./bench/inventory", []string{"-rows", "20000", "-files", "2", "-formats", "csv,parquet"}, []string{"| csv | 20000 |", "| parquet | 20000 |"}, 0},
		{"large", "./bench/large", []string{"-objects", "2", "-size-mib", "100", "-parts", "32MiB", "-runs", "1"},
			[]string{"UploadPartCopy", "Content-Disposition, user metadata and tags"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			prog := build(c.name, c.pkg)
			args := c.args
			if c.name != "inventory" {
				args = append([]string{"-backfill", backfill}, args...)
			}
			if c.name == "scale" && peers {
				args = append(args, "-peers")
			}
			if c.name == "scale-rounds" && peers { // judged against a peer that ran
				args = append(args, "-peers", "-only", "rclone copy --transfers", "-vs", "rclone copy --transfers", "-target-ratio", "1")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, prog, args...)
			cmd.WaitDelay = 10 * time.Second // a child of its still holding the pipes
			cmd.Dir = root
			cmd.Env = os.Environ()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", c.pkg, strings.Join(args, " "), err, stdout.String(), tail(stderr.String()))
			}
			out := stdout.String()
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("%s printed no %q:\n%s", c.pkg, w, out)
				}
			}
			if c.rows > 0 {
				if n, err := backfillComplete(out); err != nil || n < c.rows {
					t.Errorf("%s: %d of backfill's rows checked complete, want %d: %v\n%s", c.pkg, n, c.rows, err, out)
				}
			}
		})
	}
}

// backfillComplete checks every markdown table in out that has columns
// whose heading names completeness ("complete", "replica complete", "complete
// after first run", "complete after re-run"): in each of backfill's rows
// every such cell must say "yes", with no run that exited non-zero or was
// killed. It returns how many rows it checked; none is an error.
func backfillComplete(out string) (int, error) {
	var cols []int
	checked := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case cells[0] == "tool":
			cols = nil
			for i, h := range cells {
				if strings.Contains(h, "complete") {
					cols = append(cols, i)
				}
			}
		case len(cols) > 0 && strings.HasPrefix(cells[0], "backfill"):
			for _, col := range cols {
				if col >= len(cells) {
					return checked, fmt.Errorf("a row with fewer cells than its heading: %s", line)
				}
				v := cells[col]
				if !strings.HasPrefix(v, "yes") || strings.Contains(v, "exited") || strings.Contains(v, "exit status") || strings.Contains(v, "signal") {
					return checked, fmt.Errorf("backfill's replica not complete: %s", line)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		return 0, errors.New("no row of backfill's with a completeness column")
	}
	return checked, nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}
