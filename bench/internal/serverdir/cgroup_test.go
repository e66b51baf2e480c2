package serverdir

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
	const gib = 1 << 30
	cases := []struct {
		name        string
		self        string
		files       map[string]string
		room        uint64
		wantLimited bool
	}{
		{"v2 limited, inactive files reclaimable", "0::/job\n", map[string]string{
			"job/memory.max": "4294967296\n", "job/memory.current": "2147483648\n",
			"job/memory.stat": "anon 1073741824\ninactive_file 1073741824\n",
		}, 3 * gib, true},
		{"v2 unlimited", "0::/job\n", map[string]string{
			"job/memory.max": "max\n", "job/memory.current": "1073741824\n",
		}, 0, false},
		{"v2 leaf unlimited, parent limited", "0::/pod/job\n", map[string]string{
			"pod/job/memory.max": "max\n", "pod/job/memory.current": "1073741824\n",
			"pod/memory.max": "2147483648\n", "pod/memory.current": "1610612736\n",
		}, gib / 2, true},
		{"v2 folder hidden (own namespace), limit at the root", "0::/outer/job\n", map[string]string{
			"memory.max": "2147483648\n", "memory.current": "1073741824\n",
		}, gib, true},
		{"v1 hidden, root over its limit", "4:memory:/outer/job\n0::/\n", map[string]string{
			"memory/memory.limit_in_bytes": "2147483648\n", "memory/memory.usage_in_bytes": "3221225472\n",
		}, 0, true},
		{"v1 unlimited", "5:cpuacct,memory:/job\n", map[string]string{
			"memory/job/memory.limit_in_bytes": "9223372036854771712\n", "memory/job/memory.usage_in_bytes": "1\n",
		}, 0, false},
		{"v1 leaf unlimited, parent limited and used by siblings too", "4:memory:/pod/job\n", map[string]string{
			"memory/pod/job/memory.limit_in_bytes": "9223372036854771712\n", "memory/pod/job/memory.usage_in_bytes": "1073741824\n",
			"memory/pod/memory.limit_in_bytes": "4294967296\n", "memory/pod/memory.usage_in_bytes": "3221225472\n",
			"memory/pod/memory.stat": "cache 0\ntotal_inactive_file 536870912\n",
		}, gib + gib/2, true},
		{"hybrid: v1 memory wins over the v2 line", "4:memory:/job\n0::/job\n", map[string]string{
			"memory/job/memory.limit_in_bytes": "2147483648\n", "memory/job/memory.usage_in_bytes": "1073741824\n",
			"job/memory.max": "max\n",
		}, gib, true},
		{"nothing readable", "0::/job\n", nil, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sys := t.TempDir()
			for p, s := range c.files {
				write(t, filepath.Join(sys, p), s)
			}
			room, limited := cgroupRoomAt(c.self, sys)
			if limited != c.wantLimited || room != c.room {
				t.Errorf("got %d MiB, limited %v; want %d MiB, limited %v", room>>20, limited, c.room>>20, c.wantLimited)
			}
		})
	}
}
