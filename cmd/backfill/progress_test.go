package main

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

	if m := progressModeFor(&bytes.Buffer{}, true); m != progressLines {
		t.Errorf("a non-terminal got mode %d", m)
	}
	if m := progressModeFor(&bytes.Buffer{}, false); m != progressOff {
		t.Errorf("--no-progress got mode %d", m)
	}

	old := statusInterval
	statusInterval = 20 * time.Millisecond
	defer func() { statusInterval = old }()
	var lines syncBuffer
	p := startProgress(&lines, st, progressLines)
	time.Sleep(120 * time.Millisecond)
	p.stop()
	if !strings.Contains(lines.String(), "copied 5/10 objects (5.0 MiB") || !strings.Contains(lines.String(), "skipped 2") {
		t.Errorf("status lines: %q", lines.String())
	}

	var bar syncBuffer
	p = startProgress(&bar, st, progressBar)
	time.Sleep(400 * time.Millisecond)
	p.stop()
	if out := bar.String(); !strings.Contains(out, "5/10") || !strings.Contains(out, "5.0 MiB copied") {
		t.Errorf("progress bar: %q", out)
	}

	var off syncBuffer
	p = startProgress(&off, st, progressOff)
	p.stop()
	if off.String() != "" {
		t.Errorf("--no-progress wrote %q", off.String())
	}
}
