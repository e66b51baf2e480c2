package serverdir

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoom is how much more memory this process's cgroup may use before
// its limit (or an ancestor's), and whether it has one at all.
// MemAvailable is the whole machine's; a container's limit can be far
// lower.
//
// It reads cgroup v1's memory controller when this process has one (a
// hybrid layout keeps memory there even beside a v2 line), else cgroup v2.
// Usage leaves out inactive file pages, which the kernel reclaims before
// it refuses memory. v1 takes the hierarchical limit from memory.stat; v2
// walks from the cgroup up to the mount's root and keeps the least room.
// A cgroup whose own folder is not visible (its own cgroup namespace) is
// read at the mount's root.
func cgroupRoom() (room uint64, limited bool) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	return cgroupRoomAt(string(b), "/sys/fs/cgroup")
}

// cgroupRoomAt is cgroupRoom for the contents of /proc/self/cgroup and the
// cgroup file system mounted at sys.
func cgroupRoomAt(self, sys string) (room uint64, limited bool) {
	var v2, v1 string
	for _, line := range strings.Split(strings.TrimSpace(self), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case strings.Contains(","+parts[1]+",", ",memory,"):
			v1 = parts[2]
		}
	}
	if v1 != "" {
		root := filepath.Join(sys, "memory")
		for _, dir := range []string{filepath.Join(root, v1), root} {
			limit, err := readUint(filepath.Join(dir, "memory.limit_in_bytes"))
			if err != nil {
				continue
			}
			stat := readStat(filepath.Join(dir, "memory.stat"))
			if h, ok := stat["hierarchical_memory_limit"]; ok {
				limit = min(limit, h)
			}
			usage, _ := readUint(filepath.Join(dir, "memory.usage_in_bytes"))
			return roomUnder(limit, usage, stat["total_inactive_file"])
		}
		return 0, false
	}
	if v2 == "" {
		return 0, false
	}
	dir := filepath.Join(sys, v2)
	if _, err := os.Stat(dir); err != nil {
		dir = sys
	}
	for {
		if limit, err := readUint(filepath.Join(dir, "memory.max")); err == nil {
			usage, _ := readUint(filepath.Join(dir, "memory.current"))
			if r, ok := roomUnder(limit, usage, readStat(filepath.Join(dir, "memory.stat"))["inactive_file"]); ok && (!limited || r < room) {
				room, limited = r, true
			}
		}
		if dir == sys || len(dir) <= len(sys) {
			return room, limited
		}
		dir = filepath.Dir(dir)
	}
}

// roomUnder is limit - (usage - reclaimable), or no limit for v1's "none"
// (a number near 2^63) and v2's "max".
func roomUnder(limit, usage, reclaimable uint64) (uint64, bool) {
	if limit >= 1<<62 {
		return 0, false
	}
	usage -= min(usage, reclaimable)
	if usage >= limit {
		return 0, true
	}
	return limit - usage, true
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 1 << 63, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// readStat reads a memory.stat file's "name value" lines.
func readStat(path string) map[string]uint64 {
	m := map[string]uint64{}
	b, err := os.ReadFile(path)
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			m[name] = n
		}
	}
	return m
}
