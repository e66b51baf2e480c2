package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoom is how much more memory this process's cgroup may use before
// its limit, and whether it has one at all. MemAvailable is the whole
// machine's; a container's limit can be far lower. It reads cgroup v2
// (memory.max, memory.current) or, failing that, v1's memory controller
// (memory.limit_in_bytes, memory.usage_in_bytes), at the cgroup's own path
// when it is visible and at the mount's root otherwise (a container with
// its own cgroup namespace sees its cgroup there).
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
	try := func(root, path, limitFile, usageFile string) (uint64, bool, bool) {
		for _, dir := range []string{filepath.Join(root, path), root} {
			limit, err := readUint(filepath.Join(dir, limitFile))
			if err != nil {
				continue
			}
			usage, _ := readUint(filepath.Join(dir, usageFile))
			// No limit: "max" in v2 (read as 2^63), a number near 2^63 in v1.
			if limit >= 1<<62 {
				return 0, false, true
			}
			if usage >= limit {
				return 0, true, true
			}
			return limit - usage, true, true
		}
		return 0, false, false
	}
	if v1 != "" {
		if room, limited, found := try(filepath.Join(sys, "memory"), v1, "memory.limit_in_bytes", "memory.usage_in_bytes"); found {
			return room, limited
		}
	}
	if v2 != "" {
		if room, limited, found := try(sys, v2, "memory.max", "memory.current"); found {
			return room, limited
		}
	}
	return 0, false
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
