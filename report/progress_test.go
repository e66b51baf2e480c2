package report

import (
	"bytes"
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

func TestProgressModes(t *testing.T) {
	st := fixedStats{engine.Stats{Listed: 12, ToCopy: 10, Copied: 5, CopiedBytes: 5 << 20, Skipped: 2, Settled: 5, ListingDone: true}}

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
	time.Sleep(120 * time.Millisecond)
	p.Stop()
	if !strings.Contains(lines.String(), "copied 5/10 objects (5.0 MiB") || !strings.Contains(lines.String(), "skipped 2") {
		t.Errorf("status lines: %q", lines.String())
	}

	var bar syncBuffer
	p = StartProgress(&bar, st, ProgressBar)
	time.Sleep(400 * time.Millisecond)
	p.Stop()
	if out := bar.String(); !strings.Contains(out, "5/10") || !strings.Contains(out, "5.0 MiB copied") {
		t.Errorf("progress bar: %q", out)
	}

	var off syncBuffer
	p = StartProgress(&off, st, ProgressOff)
	p.Stop()
	if off.String() != "" {
		t.Errorf("--no-progress wrote %q", off.String())
	}
}
