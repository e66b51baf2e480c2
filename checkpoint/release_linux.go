//go:build linux

package checkpoint

import (
	"fmt"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped drops this process's resident pages of the checkpoint's
// memory map. bbolt maps the file read-only and shared and writes with
// pwrite, so MADV_DONTNEED only unmaps pages from this process: the data
// stays in the file (and in the kernel's page cache), and the next read
// of a page faults it back in. Without it, a page stays resident once
// read, and an inventory run, which records every object in the order of
// the inventory's rows (random by key: each batch touches pages all over
// the tree), holds the whole file in its RSS: about 320 MiB of a
// million-object run's 590.
//
// The read transaction holds bbolt's map lock, so the map cannot move
// (be remapped to grow) during the call: the range is the map's.
func (s *Store) releaseMapped() error {
	return s.db.View(func(tx *bolt.Tx) error {
		info := s.db.Info()
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("checkpoint %s: release mapped pages: %w", s.path, errno)
		}
		return nil
	})
}
