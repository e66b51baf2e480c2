// Package serverdir chooses where a benchmark's versitygw keeps its
// buckets: tmpfs by default, the temporary folder ("disk"), or a folder
// given. It checks that tmpfs can hold the buckets (room, memory, the
// cgroup's limit, user.* extended attributes) and falls back to disk with
// a note on stderr when it cannot.
//
// tmpfs is the default: on a small machine whose one disk holds both
// buckets, the server's file-system work (ext4 allocating inodes for
// thousands of new files right after the previous replica's were deleted)
// costs more CPU than any tool, and that cost drifts with the disk's
// history from one run to the next. S3's own storage costs a client
// nothing, so the benchmarks keep the objects in memory and measure the
// tools. Checkpoints stay in the temporary folder, as a user's would be on
// their disk.
package serverdir

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Shm is Linux's tmpfs for shared memory.
const Shm = "/dev/shm"

// tmpfsMagic is tmpfs's f_type in statfs(2).
const tmpfsMagic = 0x01021994

// Parent is the folder versitygw's working folder is made in ("" for the
// temporary folder, as s3test.Options.TempParent takes it) for a
// -server-dir choice, and a few words on what it is. need is about how many
// bytes the buckets will hold at most; notes (the bench's stderr) hears why
// tmpfs was not used.
func Parent(choice string, need uint64, notes io.Writer) (parent, where string, err error) {
	switch choice {
	case "disk":
		return "", Describe(os.TempDir()), nil
	case "tmpfs":
		if why := tmpfsUnfit(need); why != "" {
			fmt.Fprintf(notes, "versitygw's buckets go to %s instead of tmpfs: %s\n", os.TempDir(), why)
			return "", Describe(os.TempDir()) + " (tmpfs unfit: " + why + ")", nil
		}
		return Shm, Describe(Shm), nil
	default:
		dir, err := filepath.Abs(choice) // versitygw runs in its folder, with relative paths
		if err != nil {
			return "", "", fmt.Errorf("-server-dir: %w", err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", "", fmt.Errorf("-server-dir %s: not a folder (%v)", dir, err)
		}
		if why := xattrUnfit(dir); why != "" {
			return "", "", fmt.Errorf("-server-dir %s: versitygw cannot keep its buckets there: %s", dir, why)
		}
		return dir, Describe(dir), nil
	}
}

// tmpfsUnfit says why /dev/shm cannot hold need bytes of buckets, or "".
func tmpfsUnfit(need uint64) string {
	need = need * 5 / 4 // room to spare
	var st syscall.Statfs_t
	if err := syscall.Statfs(Shm, &st); err != nil {
		return fmt.Sprintf("%s: %v", Shm, err)
	}
	if st.Type != tmpfsMagic {
		return Shm + " is not a tmpfs"
	}
	// A tmpfs mounted without a size limit reports no blocks at all.
	if free := st.Bavail * uint64(st.Bsize); st.Blocks > 0 && free < need {
		return fmt.Sprintf("%s has %d MiB free, the buckets need about %d MiB", Shm, free>>20, need>>20)
	}
	if avail := memAvailable(); avail > 0 && avail < need+(2<<30) {
		return fmt.Sprintf("%d MiB of memory available, the buckets need about %d MiB and the tools 2 GiB", avail>>20, need>>20)
	}
	// tmpfs pages count against the memory limit of the cgroup whose
	// process wrote them: versitygw, which runs in this one.
	if room, limited := cgroupRoom(); limited && room < need+(2<<30) {
		return fmt.Sprintf("this cgroup's memory limit leaves %d MiB, the buckets need about %d MiB and the tools 2 GiB", room>>20, need>>20)
	}
	// versitygw keeps ETags and metadata in extended attributes, which tmpfs
	// takes for user.* names only since Linux 6.6.
	return xattrUnfit(Shm)
}

// xattrUnfit says why dir's file system cannot hold versitygw's buckets
// (it keeps ETags and metadata in user.* extended attributes), or "".
func xattrUnfit(dir string) string {
	f, err := os.CreateTemp(dir, "xattr-probe-")
	if err != nil {
		return fmt.Sprintf("%s: %v", dir, err)
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := syscall.Setxattr(f.Name(), "user.backfill-bench", []byte("1"), 0); err != nil {
		return fmt.Sprintf("%s takes no extended attributes (%v)", dir, err)
	}
	return ""
}

// Describe names dir and the kind of file system it is on.
func Describe(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return dir
	}
	if st.Type == tmpfsMagic {
		return dir + ", tmpfs"
	}
	return dir + ", not tmpfs (disk)"
}

// memAvailable is /proc/meminfo's MemAvailable in bytes, or 0.
func memAvailable() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var kb uint64
		if _, err := fmt.Sscanf(line, "MemAvailable: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}

// WarnStale writes to notes which other servers' folders are still in
// parent (the temporary folder when ""), besides ours: a bench or test
// killed with SIGKILL cannot remove its own, and on tmpfs each holds its
// buckets in memory. They are not removed here: another bench or test may
// be using them.
func WarnStale(parent, ours string, notes io.Writer) {
	if parent == "" {
		parent = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, "s3test-*"))
	for _, d := range dirs {
		if d == ours {
			continue
		}
		var size int64
		filepath.WalkDir(d, func(_ string, e os.DirEntry, err error) error { //nolint:errcheck // a size for a warning
			if err == nil && e.Type().IsRegular() {
				if info, err := e.Info(); err == nil {
					size += info.Size()
				}
			}
			return nil
		})
		fmt.Fprintf(notes, "%s (%d MiB) is another versitygw's folder, perhaps left by a killed bench or test; remove it if nothing uses it\n", d, size>>20)
	}
}
