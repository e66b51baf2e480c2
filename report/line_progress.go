package report

import (
	"fmt"
	"io"
	"time"
)

// StartLineProgress shows one line of text a command makes (line is
// called from the display's goroutine, so it must read atomics): redrawn
// in place every 250 ms on a terminal, printed every StatusInterval
// elsewhere, or nothing when disabled. Stop ends it.
func StartLineProgress(w io.Writer, line func() string, mode ProgressMode) *Progress {
	p := &Progress{done: make(chan struct{})}
	every := StatusInterval
	redraw := mode == ProgressBar
	if redraw {
		every = 250 * time.Millisecond
	}
	if mode == ProgressOff {
		return p
	}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if redraw {
					fmt.Fprintf(w, "\r%s\x1b[K", line())
				} else {
					fmt.Fprintln(w, "backfill: "+line())
				}
			case <-p.done:
				if redraw {
					fmt.Fprintf(w, "\r%s\x1b[K\n", line())
				}
				return
			}
		}
	})
	return p
}
