package main

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

// statusInterval is how often a non-terminal gets a status line (a
// variable so tests can shorten it).
var statusInterval = 10 * time.Second

type progressMode int

const (
	progressOff   progressMode = iota
	progressBar                // a terminal: progress bar
	progressLines              // anything else: a status line every statusInterval
)

// progressModeFor picks the display for w.
func progressModeFor(w io.Writer, enabled bool) progressMode {
	if !enabled {
		return progressOff
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progressBar
	}
	return progressLines
}

type statsSource interface{ Stats() engine.Stats }

type progress struct {
	done chan struct{}
	wg   sync.WaitGroup
}

// startProgress shows a progress bar on a terminal, a status line every 10
// seconds elsewhere, or nothing when disabled. It reads the engine's atomic
// counters on a ticker, so it never slows the copy down.
func startProgress(w io.Writer, s statsSource, mode progressMode) *progress {
	p := &progress{done: make(chan struct{})}
	if mode == progressOff {
		return p
	}
	start := time.Now()
	if mode == progressBar {
		bar := progressbar.NewOptions64(-1,
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
		p.wg.Go(func() {
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
					humanBytes(st.CopiedBytes), st.Listed, st.Skipped, st.Failed))
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
		})
		return p
	}
	p.wg.Go(func() {
		t := time.NewTicker(statusInterval)
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
					el.Round(time.Second), st.Copied, total, humanBytes(st.CopiedBytes),
					float64(st.Copied)/el.Seconds(), st.Listed, st.Skipped, st.Failed)
			case <-p.done:
				return
			}
		}
	})
	return p
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}
