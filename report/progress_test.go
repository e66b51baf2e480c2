package report

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backfill-dev/backfill/engine"
)

type fixedStats struct{ st engine.Stats }

func (f fixedStats) Stats() engine.Stats { return f.st }

// syncBuffer is a bytes.Buffer safe for the progress goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// The rate starts at the first progress, so the wait for the listing and
// the first burst of answers never show as a spike or a lull, and it is
// shown only after minRateSpan.
func TestRateMeter(t *testing.T) {
	var m rateMeter
	m.add(at(0), 0, 0)                       // listing: nothing yet
	m.add(at(2*time.Second), 0, 0)           // still nothing
	m.add(at(2*time.Second+250e6), 256, 256) // the first burst: 256 answers at once
	if _, _, ok := m.rate(); ok {
		t.Error("a rate after a quarter second")
	}
	for i := 1; i <= 20; i++ { // then 10 objects (10 KiB) a second
		d := 2*time.Second + 250*time.Millisecond + time.Duration(i)*250*time.Millisecond
		m.add(at(d), 256+int64(i)*10/4, 256+int64(i)*10<<10/4)
		objs, _, ok := m.rate()
		if ok != (d-2250*time.Millisecond >= minRateSpan) {
			t.Errorf("at %v: rate known %v", d, ok)
		}
		if ok && (objs < 9 || objs > 11) {
			t.Errorf("at %v: %.1f objects/s, want 10 (no spike from the burst)", d, objs)
		}
	}
	// A minute later at 2 objects a second: the window forgets the past.
	for i := 1; i <= 120; i++ {
		m.add(at(7*time.Second+time.Duration(i)*500*time.Millisecond), 306+int64(i), 0)
	}
	if objs, _, _ := m.rate(); objs < 1.9 || objs > 2.1 {
		t.Errorf("%.2f objects/s after a minute at 2/s", objs)
	}
	if n := len(m.samples); n > int(rateWindow/(500*time.Millisecond))+2 {
		t.Errorf("%d samples kept", n)
	}
}

var percentRE = regexp.MustCompile(`(\d+)% ([\d,]+)/([\d,]+) objects`)

// The bar never goes backwards: while the listing runs it shows counts
// and no percentage; once the total is final, the percentage is the
// counts' and only grows.
func TestBarNeverGoesBackwards(t *testing.T) {
	var m rateMeter
	last := -1
	queued, settled := int64(0), int64(0)
	for i := range 200 {
		listingDone := i >= 120
		if !listingDone {
			queued += 7 // the listing keeps finding work
		}
		settled = min(settled+5, queued)
		st := engine.Stats{Listed: queued * 2, Queued: queued, Settled: settled, Copied: settled, Skipped: queued, ListingDone: listingDone, AllQueued: listingDone}
		line := barLine(m.sample(st, at(time.Duration(i)*250*time.Millisecond), time.Duration(i)*250*time.Millisecond), 0, i, false)
		mt := percentRE.FindStringSubmatch(line)
		switch {
		case !listingDone && (mt != nil || strings.Contains(line, "%") || !strings.Contains(line, "listing: "+count(settled)+"/"+count(queued)+"+ objects")):
			t.Fatalf("tick %d, listing: %q", i, line)
		case listingDone && mt == nil:
			t.Fatalf("tick %d, no percentage once the total is known: %q", i, line)
		case listingDone:
			p, _ := strconv.Atoi(mt[1])
			s, _ := strconv.ParseInt(strings.ReplaceAll(mt[2], ",", ""), 10, 64)
			q, _ := strconv.ParseInt(strings.ReplaceAll(mt[3], ",", ""), 10, 64)
			if p < last || q != queued || s != settled || int64(p) != s*100/q {
				t.Fatalf("tick %d: %q (last %d%%)", i, line, last)
			}
			last = p
		}
	}
	if last != 100 {
		t.Errorf("ended at %d%%", last)
	}
}

func TestBarLine(t *testing.T) {
	v := view{Stats: engine.Stats{Listed: 12000, Queued: 10000, Settled: 4999, Copied: 4000, CopiedBytes: 3 << 30, Skipped: 2500, Failed: 7, AllQueued: true},
		Elapsed: 90 * time.Second, Rate: 100, ByteRate: 10 << 20, HasRate: true}
	line := barLine(v, 0, 0, false)
	for _, want := range []string{"[=========>          ]  49% 4,999/10,000 objects", "3.0 GiB copied, 10.0 MiB/s, 100 obj/s", "ETA 50s",
		"listed 12,000, copied 4,000, skipped 2,500, failed 7 | 1m30s"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
	if got := barLine(v, 40, 0, false); len(got) != 40 {
		t.Errorf("cut to 40 columns: %q", got)
	}
	// Interrupted before the listing completed: the counts, not a spinner.
	v.AllQueued, v.HasRate = false, false
	line = barLine(v, 0, 3, true)
	if !strings.HasPrefix(line, "stopped while listing: 4,999/10,000 objects") || strings.Contains(line, "%") || !strings.Contains(line, "listed 12,000") {
		t.Errorf("interrupted while listing: %q", line)
	}
	done := view{Stats: engine.Stats{Queued: 3, Settled: 3, AllQueued: true}}
	if line := barLine(done, 0, 0, true); !strings.HasPrefix(line, "[====================] 100% 3/3 objects") {
		t.Errorf("finished: %q", line)
	}
}

func TestStatusLine(t *testing.T) {
	v := view{Stats: engine.Stats{Listed: 12, Queued: 10, Settled: 5, Copied: 5, CopiedBytes: 5 << 20, Skipped: 2, AllQueued: true},
		Elapsed: 20 * time.Second, Rate: 0.5, ByteRate: 256 << 10, HasRate: true}
	if got, want := statusLine(v), "backfill: 20s: 5/10 objects (50%), 5.0 MiB copied (256.0 KiB/s, 0.5 obj/s, ETA 10s); listed 12, copied 5, skipped 2, failed 0"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	v.AllQueued, v.HasRate = false, false
	v.Concurrency = 1024
	if got, want := statusLine(v), "backfill: 20s: 5/10+ objects (listing), 5.0 MiB copied; listed 12, copied 5, skipped 2, failed 0; concurrency 1,024"; got != want {
		t.Errorf("status line with the concurrency:\n%s\nwant\n%s", got, want)
	}
	if got := barLine(v, 0, 0, false); !strings.Contains(got, "failed 0 | concurrency 1,024 | 20s") {
		t.Errorf("bar without the concurrency: %s", got)
	}
	v.Concurrency = 0
	if got, want := statusLine(v), "backfill: 20s: 5/10+ objects (listing), 5.0 MiB copied; listed 12, copied 5, skipped 2, failed 0"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 31000000: "31,000,000", -5: "-5"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q", n, got)
		}
	}
}

// waitFor polls until buf holds want (the display's own ticker writes it).
func waitFor(t *testing.T, buf *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in %q", want, buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProgressModes(t *testing.T) {
	st := fixedStats{engine.Stats{Listed: 12, Queued: 10, Copied: 5, CopiedBytes: 5 << 20, Skipped: 2, Settled: 5, ListingDone: true, AllQueued: true}}

	if m := ProgressModeFor(&bytes.Buffer{}, true); m != ProgressLines {
		t.Errorf("a non-terminal got mode %d", m)
	}
	if m := ProgressModeFor(&bytes.Buffer{}, false); m != ProgressOff {
		t.Errorf("--no-progress got mode %d", m)
	}

	old := StatusInterval
	StatusInterval = 20 * time.Millisecond
	defer func() { StatusInterval = old }()
	var lines syncBuffer
	p := StartProgress(&lines, st, ProgressLines)
	waitFor(t, &lines, "5/10 objects (50%), 5.0 MiB copied")
	p.Stop()

	var bar syncBuffer
	p = StartProgress(&bar, st, ProgressBar)
	waitFor(t, &bar, " 50% 5/10 objects | 5.0 MiB copied")
	p.Stop()
	if out := bar.String(); !strings.HasSuffix(out, "\x1b[K\n") {
		t.Errorf("the last line does not end: %q", out)
	}

	var off syncBuffer
	p = StartProgress(&off, st, ProgressOff)
	p.Stop()
	if off.String() != "" {
		t.Errorf("--no-progress wrote %q", off.String())
	}
}
