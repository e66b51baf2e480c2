//go:build unix

package batchops

import (
	"fmt"
	"os"
	"syscall"
)

// locked runs fn holding an exclusive lock on the state file's lock file
// (PATH.lock, 0600): two submits from the same directory never create
// jobs at the same time, so one sees the other's record first. The lock
// goes with the process (flock), so a crash leaves none behind.
func (st *state) locked(fn func() error) error {
	f, err := os.OpenFile(st.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("state file lock: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("state file lock %s: %w", f.Name(), err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck // Close releases it too
	return fn()
}
