// Package peak reads a process's peak resident set size for the
// benchmarks.
//
// Contract: RSS is VmHWM from /proc/PID/status (Linux), the high-water mark
// of the process's own address space since it was exec'ed. It is not
// getrusage's ru_maxrss: that one also counts the address space a child
// shared with its parent before exec (Go starts children with vfork), so a
// child of a big benchmark process reports the parent's size. Elsewhere
// than Linux, ok is false.
package peak

import (
	"fmt"
	"os"
	"strings"
)

// RSS returns the peak resident set of process pid (0: this process), in KiB.
func RSS(pid int) (kib int64, ok bool) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kib); err == nil {
			return kib, true
		}
	}
	return 0, false
}

// Watcher polls a running child's peak RSS; Max is the highest seen.
type Watcher struct {
	pid int
	max int64
}

// Watch starts watching process pid (call Poll often while it runs).
func Watch(pid int) *Watcher { return &Watcher{pid: pid} }

// Poll reads the peak now.
func (w *Watcher) Poll() {
	if kib, ok := RSS(w.pid); ok && kib > w.max {
		w.max = kib
	}
}

// Max is the highest peak RSS seen, in KiB.
func (w *Watcher) Max() int64 { return w.max }
