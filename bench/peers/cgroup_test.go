package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCgroupRoom(t *testing.T) {
	write := func(t *testing.T, path, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("v2 limited", func(t *testing.T) {
		sys := t.TempDir()
		write(t, filepath.Join(sys, "job/memory.max"), "4294967296\n")
		write(t, filepath.Join(sys, "job/memory.current"), "1073741824\n")
		room, limited := cgroupRoomAt("0::/job\n", sys)
		if !limited || room != 3<<30 {
			t.Errorf("got %d, %v; want 3 GiB, limited", room, limited)
		}
	})
	t.Run("v2 max", func(t *testing.T) {
		sys := t.TempDir()
		write(t, filepath.Join(sys, "job/memory.max"), "max\n")
		write(t, filepath.Join(sys, "job/memory.current"), "1073741824\n")
		if _, limited := cgroupRoomAt("0::/job\n", sys); limited {
			t.Error("memory.max = max read as a limit")
		}
	})
	t.Run("v1 own path hidden, root limited", func(t *testing.T) {
		sys := t.TempDir()
		write(t, filepath.Join(sys, "memory/memory.limit_in_bytes"), "2147483648\n")
		write(t, filepath.Join(sys, "memory/memory.usage_in_bytes"), "3221225472\n")
		room, limited := cgroupRoomAt("4:memory:/outer/job\n0::/\n", sys)
		if !limited || room != 0 {
			t.Errorf("got %d, %v; want 0 (over the limit), limited", room, limited)
		}
	})
	t.Run("v1 unlimited", func(t *testing.T) {
		sys := t.TempDir()
		write(t, filepath.Join(sys, "memory/job/memory.limit_in_bytes"), "9223372036854771712\n")
		write(t, filepath.Join(sys, "memory/job/memory.usage_in_bytes"), "1\n")
		if _, limited := cgroupRoomAt("5:cpuacct,memory:/job\n", sys); limited {
			t.Error("v1's no-limit value read as a limit")
		}
	})
	t.Run("nothing readable", func(t *testing.T) {
		if _, limited := cgroupRoomAt("0::/job\n", t.TempDir()); limited {
			t.Error("limited with no cgroup files")
		}
	})
}
