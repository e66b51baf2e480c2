package main

import (
	"fmt"
	"os"
	"syscall"
)

// shm is Linux's tmpfs for shared memory, present on every machine this
// bench runs on; serverParent falls back to disk where it is not.
const shm = "/dev/shm"

// serverParent is the folder versitygw's working folder is made in, for
// -server-dir, and a word on what it is.
//
// tmpfs is the default: on a small machine whose one disk holds both
// buckets, the server's file-system work (ext4 allocating inodes for 20,000
// new files right after the previous replica's 20,000 were deleted) costs
// more CPU than any tool, and that cost drifts with the disk's history from
// one run to the next. S3's own storage costs a client nothing, so the
// bench keeps the objects in memory and measures the tools. Checkpoints
// stay on disk, as a user's would.
func serverParent(cfg config) (parent, where string) {
	switch cfg.serverDir {
	case "disk":
		return "", "disk, " + os.TempDir()
	case "tmpfs":
		// Both primaries and one replica at a time, with room to spare.
		need := uint64(cfg.objects+cfg.ceilingObjects+max(cfg.objects, cfg.ceilingObjects)) *
			uint64(cfg.minSize+cfg.maxSize) / 2 * 5 / 4
		var st syscall.Statfs_t
		if err := syscall.Statfs(shm, &st); err != nil {
			return "", fmt.Sprintf("disk, %s: %s is not there (%v)", os.TempDir(), shm, err)
		}
		if free := st.Bavail * uint64(st.Bsize); free < need {
			return "", fmt.Sprintf("disk, %s: %s has %d MiB free, the buckets need about %d MiB", os.TempDir(), shm, free>>20, need>>20)
		}
		// versitygw keeps ETags and metadata in extended attributes, which
		// tmpfs takes for user.* names only since Linux 6.6.
		f, err := os.CreateTemp(shm, "xattr-probe-")
		if err != nil {
			return "", fmt.Sprintf("disk, %s: %s: %v", os.TempDir(), shm, err)
		}
		f.Close()
		defer os.Remove(f.Name())
		if err := syscall.Setxattr(f.Name(), "user.backfill-bench", []byte("1"), 0); err != nil {
			return "", fmt.Sprintf("disk, %s: %s takes no extended attributes (%v)", os.TempDir(), shm, err)
		}
		return shm, "tmpfs"
	default:
		return cfg.serverDir, "the folder -server-dir names"
	}
}
