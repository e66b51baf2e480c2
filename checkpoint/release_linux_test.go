//go:build linux

package checkpoint

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The checkpoint's map does not hold the file in RSS: once past
// releaseFrom, each Apply releases the map's resident pages, even when
// every batch's keys fall all over the tree (an inventory run's order);
// and what was recorded reads back the same afterwards.
func TestMappedPagesReleased(t *testing.T) {
	defer func(v int64) { releaseFrom = v }(releaseFrom)
	releaseFrom = 1 << 20
	path := filepath.Join(t.TempDir(), "cp.db")
	s := open(t, path)
	if err := s.Begin(spec, time.Now(), false); err != nil {
		t.Fatal(err)
	}
	rec := func(i int) Record {
		return Record{State: Done, ETag: fmt.Sprintf(`"%032x"`, i), Size: int64(i), When: time.Unix(1700000000, 0).UTC()}
	}
	key := func(i int) string { return fmt.Sprintf("shows/s%02d/e%03d/frames/%08d.exr", i%7, i%97, i) }
	const n = 40000
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	for len(order) > 0 {
		b := NewBatch()
		for j := 0; j < 2000 && len(order) > 0; j++ {
			b.Put(key(order[0]), "", rec(order[0]))
			order = order[1:]
		}
		if err := s.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	if s.size < 4*releaseFrom {
		t.Fatalf("checkpoint of %d bytes: too small to show a release", s.size)
	}
	if rss := mappedRSS(t, path); rss > 256<<10 {
		t.Errorf("%d bytes of the checkpoint's map resident after an Apply (file %d bytes), want at most 256 KiB", rss, s.size)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		r, ok, err := s.Lookup(key(i), "")
		if err != nil || !ok || r.ETag != rec(i).ETag || r.Size != int64(i) {
			t.Errorf("record %d after the releases: %+v %v %v", i, r, ok, err)
		}
	}
	if rss := mappedRSS(t, path); rss == 0 {
		t.Error("no page of the map resident after three lookups: is mappedRSS reading the map?")
	}
}

// mappedRSS is the resident size of this process's maps of path.
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, total := false, int64(0)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = strings.HasSuffix(line, " "+path)
			continue
		}
		if in && len(fields) == 3 && fields[0] == "Rss:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			total += kb << 10
		}
	}
	return total
}
