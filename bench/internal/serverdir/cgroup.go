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
// it refuses memory. Both walk from the cgroup up to the mount's root and
// keep the least room. A cgroup whose own folder is not visible (its own
// cgroup namespace) is read at the mount's root.
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
		return walkUp(filepath.Join(sys, "memory"), v1, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
	}
	if v2 == "" {
		return 0, false
	}
	return walkUp(sys, v2, "memory.max", "memory.current", "inactive_file")
}

// walkUp reads the limit and usage at each level from the cgroup's folder
// under root up to root itself, and keeps the least room: a parent's limit
// counts its children's usage too (v1 with use_hierarchy, which every
// current system has, and v2). A cgroup whose own folder is not visible is
// read at root.
func walkUp(root, path, limitFile, usageFile, inactive string) (room uint64, limited bool) {
	dir := filepath.Join(root, path)
	if _, err := os.Stat(dir); err != nil {
		dir = root
	}
	for {
		if limit, err := readUint(filepath.Join(dir, limitFile)); err == nil {
			usage, _ := readUint(filepath.Join(dir, usageFile))
			if r, ok := roomUnder(limit, usage, readStat(filepath.Join(dir, "memory.stat"))[inactive]); ok && (!limited || r < room) {
				room, limited = r, true
			}
		}
		if len(dir) <= len(root) {
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
