package report

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/backfill-dev/backfill/engine"
)

// StatusInterval is how often a non-terminal gets a status line (a
// variable so tests can shorten it).
var StatusInterval = 10 * time.Second

// ProgressMode is how progress is shown.
type ProgressMode int

// Progress modes.
const (
	ProgressOff   ProgressMode = iota
	ProgressBar                // a terminal: progress bar
	ProgressLines              // anything else: a status line every StatusInterval
)

// ProgressModeFor picks the display for w.
func ProgressModeFor(w io.Writer, enabled bool) ProgressMode {
	if !enabled {
		return ProgressOff
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return ProgressBar
	}
	return ProgressLines
}

// StatsSource is what progress reads: the engine's live counters.
type StatsSource interface{ Stats() engine.Stats }

// Progress is a running progress display; Stop ends it.
type Progress struct {
	done chan struct{}
	wg   sync.WaitGroup
}

// StartProgress shows a progress bar on a terminal, a status line every
// StatusInterval elsewhere, or nothing when disabled. It reads the
// engine's atomic counters on a ticker, so it never slows the copy down;
// the numbers it shows are progress_view.go's.
func StartProgress(w io.Writer, s StatsSource, mode ProgressMode) *Progress {
	p := &Progress{done: make(chan struct{})}
	switch mode {
	case ProgressBar:
		p.wg.Go(func() { p.bar(w, s) })
	case ProgressLines:
		p.wg.Go(func() { p.lines(w, s) })
	}
	return p
}

// bar redraws the progress line every 250 ms until Stop, then draws the
// last state and ends the line.
func (p *Progress) bar(w io.Writer, s StatsSource) {
	start := time.Now()
	var m rateMeter
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for frame := 0; ; frame++ {
		select {
		case now := <-t.C:
			v := m.sample(s.Stats(), now, now.Sub(start))
			fmt.Fprintf(w, "\r%s\x1b[K", barLine(v, termWidth(w), frame, false))
		case <-p.done:
			now := time.Now()
			v := m.sample(s.Stats(), now, now.Sub(start))
			fmt.Fprintf(w, "\r%s\x1b[K\n", barLine(v, termWidth(w), frame, true))
			return
		}
	}
}

// termWidth is w's terminal width, or 0 when unknown.
func termWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return cols
		}
	}
	return 0
}

// lines writes a status line every StatusInterval until Stop.
func (p *Progress) lines(w io.Writer, s StatsSource) {
	start := time.Now()
	var m rateMeter
	t := time.NewTicker(StatusInterval)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			fmt.Fprintln(w, statusLine(m.sample(s.Stats(), now, now.Sub(start))))
		case <-p.done:
			return
		}
	}
}

// Stop draws the last state and ends the display.
func (p *Progress) Stop() {
	close(p.done)
	p.wg.Wait()
}
