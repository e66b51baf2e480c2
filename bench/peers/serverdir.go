package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// shm is Linux's tmpfs for shared memory; serverParent falls back to disk
// on a machine without it.
const shm = "/dev/shm"

// tmpfsMagic is tmpfs's f_type in statfs(2).
const tmpfsMagic = 0x01021994

// serverParent is the folder versitygw's working folder is made in, for
// -server-dir, and a few words on what it is.
//
// tmpfs is the default: on a small machine whose one disk holds both
// buckets, the server's file-system work (ext4 allocating inodes for 20,000
// new files right after the previous replica's 20,000 were deleted) costs
// more CPU than any tool, and that cost drifts with the disk's history from
// one run to the next. S3's own storage costs a client nothing, so the
// bench keeps the objects in memory and measures the tools. Checkpoints
// stay in the temporary folder, as a user's would be on their disk. When
// tmpfs cannot hold the buckets, the bench says so on stderr and uses the
// temporary folder.
func serverParent(cfg config) (parent, where string, err error) {
	switch cfg.serverDir {
	case "disk":
		return "", describe(os.TempDir()), nil
	case "tmpfs":
		if why := tmpfsUnfit(cfg); why != "" {
			fmt.Fprintf(os.Stderr, "peers: versitygw's buckets go to %s instead of tmpfs: %s\n", os.TempDir(), why)
			return "", describe(os.TempDir()) + " (tmpfs unfit: " + why + ")", nil
		}
		return shm, describe(shm), nil
	default:
		dir, err := filepath.Abs(cfg.serverDir) // versitygw runs in its folder, with relative paths
		if err != nil {
			return "", "", fmt.Errorf("-server-dir: %w", err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return "", "", fmt.Errorf("-server-dir %s: not a folder (%v)", dir, err)
		}
		if why := xattrUnfit(dir); why != "" {
			return "", "", fmt.Errorf("-server-dir %s: versitygw cannot keep its buckets there: %s", dir, why)
		}
		return dir, describe(dir), nil
	}
}

// tmpfsUnfit says why /dev/shm cannot hold the bench's buckets, or "".
func tmpfsUnfit(cfg config) string {
	// The primaries of the scenarios selected and one replica at a time,
	// with room to spare.
	var objects, replica int
	if cfg.scenarios["fresh"] || cfg.scenarios["rerun"] || cfg.scenarios["resume"] {
		objects, replica = cfg.objects, cfg.objects
	}
	if cfg.scenarios["slowdown"] {
		objects, replica = objects+cfg.ceilingObjects, max(replica, cfg.ceilingObjects)
	}
	need := uint64(objects+replica) * uint64(cfg.minSize+cfg.maxSize) / 2 * 5 / 4
	var st syscall.Statfs_t
	if err := syscall.Statfs(shm, &st); err != nil {
		return fmt.Sprintf("%s: %v", shm, err)
	}
	if st.Type != tmpfsMagic {
		return shm + " is not a tmpfs"
	}
	// A tmpfs mounted without a size limit reports no blocks at all.
	if free := st.Bavail * uint64(st.Bsize); st.Blocks > 0 && free < need {
		return fmt.Sprintf("%s has %d MiB free, the buckets need about %d MiB", shm, free>>20, need>>20)
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
	return xattrUnfit(shm)
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

// describe names dir and the kind of file system it is on.
func describe(dir string) string {
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

// warnStale says on stderr which earlier servers' folders are still in
// parent (the temporary folder when ""), besides ours: a bench or test
// killed with SIGKILL cannot remove its own, and on tmpfs each holds its
// buckets in memory. They are not removed here: another bench or test may
// be using them.
func warnStale(parent, ours string) {
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
		fmt.Fprintf(os.Stderr, "peers: %s (%d MiB) is another versitygw's folder, perhaps left by a killed bench or test; remove it if nothing uses it\n", d, size>>20)
	}
}
