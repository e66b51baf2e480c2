package report

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
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
// engine's atomic counters on a ticker, so it never slows the copy down.
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

func newBar(w io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("obj"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		// Our ticker paces the rendering; the library's own spinner
		// goroutine is off (it reads state without its lock).
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSpinnerType(14),
	)
}

// bar draws a progress bar every 250 ms until Stop.
func (p *Progress) bar(w io.Writer, s StatsSource) {
	bar := newBar(w)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var max64 int64 = -1
	update := func() {
		st := s.Stats()
		// The total is known once the listing is done; entries still
		// being decided can raise it a little after that.
		if st.ListingDone && st.ToCopy != max64 {
			max64 = st.ToCopy
			bar.ChangeMax64(max(max64, 1))
		}
		bar.Describe(fmt.Sprintf("%s copied | listed %d, skipped %d, failed %d", //nolint:errcheck
			HumanBytes(st.CopiedBytes), st.Listed, st.Skipped, st.Failed))
		bar.Set64(st.Settled) //nolint:errcheck // rendering only
	}
	for {
		select {
		case <-t.C:
			update()
		case <-p.done:
			update()
			bar.Exit() //nolint:errcheck
			fmt.Fprintln(w)
			return
		}
	}
}

// lines writes a status line every StatusInterval until Stop.
func (p *Progress) lines(w io.Writer, s StatsSource) {
	start := time.Now()
	t := time.NewTicker(StatusInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			st := s.Stats()
			el := time.Since(start)
			total := "?"
			if st.ListingDone {
				total = fmt.Sprint(st.ToCopy)
			}
			fmt.Fprintf(w, "backfill: %s: copied %d/%s objects (%s, %.0f obj/s), listed %d, skipped %d, failed %d\n",
				el.Round(time.Second), st.Copied, total, HumanBytes(st.CopiedBytes),
				float64(st.Copied)/el.Seconds(), st.Listed, st.Skipped, st.Failed)
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
