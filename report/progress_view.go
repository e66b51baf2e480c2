package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/backfill-dev/backfill/engine"
)

// The progress numbers, apart from any terminal: what a display shows at
// one moment (view), the rate it shows (rateMeter), and its two renderings
// (barLine on a terminal, statusLine elsewhere).
//
// The count is Settled of Queued: the objects queued for the copy workers
// and how many of those are decided. Both only grow; the percentage and
// the ETA are shown only once the total is final (engine.Stats.AllQueued),
// so the bar never goes backwards. Before that, the counts alone.

const (
	// rateWindow is how far back the rate looks.
	rateWindow = 20 * time.Second
	// minRateSpan is how much progress the rate needs before it is shown:
	// a rate measured over the first instants is noise (a spike or a lull).
	minRateSpan = 3 * time.Second
)

// view is what a progress display shows at one moment.
type view struct {
	engine.Stats
	Elapsed time.Duration
	// Rate and ByteRate are the settled objects and the copied bytes per
	// second over the last rateWindow, valid when HasRate.
	Rate, ByteRate float64
	HasRate        bool
}

// known says the total is final: the percentage and the ETA mean something.
func (v view) known() bool { return v.AllQueued }

// percent is Settled of Queued, rounded down: 100 only when all are.
func (v view) percent() int {
	if v.Queued == 0 {
		return 100
	}
	return int(min(v.Settled, v.Queued) * 100 / v.Queued)
}

// eta is the time left at the current rate, once the total is known.
func (v view) eta() (time.Duration, bool) {
	if !v.known() || !v.HasRate || v.Rate <= 0 {
		return 0, false
	}
	left := float64(max(v.Queued-v.Settled, 0)) / v.Rate
	return time.Duration(left * float64(time.Second)).Round(time.Second), true
}

type rateSample struct {
	at       time.Time
	n, bytes int64
}

// rateMeter measures the rate of settled objects (and copied bytes) over
// the last rateWindow. It starts at the first sample with progress, so
// neither the wait for the first listing page nor the first burst of
// answers counts, and it says nothing until it has minRateSpan of samples.
type rateMeter struct{ samples []rateSample }

// add records the counters at a moment (samples come in time order).
func (m *rateMeter) add(at time.Time, settled, bytes int64) {
	if len(m.samples) == 0 && settled == 0 {
		return
	}
	m.samples = append(m.samples, rateSample{at, settled, bytes})
	cut := 0 // keep one sample at or before the window's start
	for cut+1 < len(m.samples) && at.Sub(m.samples[cut+1].at) >= rateWindow {
		cut++
	}
	m.samples = m.samples[cut:]
}

// rate is objects and bytes per second, and whether it is known yet.
func (m *rateMeter) rate() (objects, bytes float64, ok bool) {
	if len(m.samples) < 2 {
		return 0, 0, false
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	span := last.at.Sub(first.at).Seconds()
	if span < minRateSpan.Seconds() {
		return 0, 0, false
	}
	return float64(last.n-first.n) / span, float64(last.bytes-first.bytes) / span, true
}

// sample takes the meter's new sample of st and returns the view.
func (m *rateMeter) sample(st engine.Stats, at time.Time, elapsed time.Duration) view {
	m.add(at, st.Settled, st.CopiedBytes)
	v := view{Stats: st, Elapsed: elapsed}
	v.Rate, v.ByteRate, v.HasRate = m.rate()
	return v
}

const spinner = `|/-\`

// barLine is the terminal's progress line, cut to width columns (0: no
// limit). frame turns the spinner shown while the total is not known;
// final says the run has ended (a listing that did not finish says so).
func barLine(v view, width, frame int, final bool) string {
	var b strings.Builder
	switch {
	case v.known():
		p := v.percent()
		filled := p * 20 / 100
		head := ""
		if filled < 20 {
			head = ">"
		}
		fmt.Fprintf(&b, "[%s%s%s] %3d%% %s/%s objects", strings.Repeat("=", filled), head,
			strings.Repeat(" ", max(20-filled-len(head), 0)), p, count(v.Settled), count(v.Queued))
	case final:
		fmt.Fprintf(&b, "stopped while listing: %s/%s objects", count(v.Settled), count(v.Queued))
	default:
		fmt.Fprintf(&b, "%c listing: %s/%s+ objects", spinner[frame%len(spinner)], count(v.Settled), count(v.Queued))
	}
	fmt.Fprintf(&b, " | %s copied", HumanBytes(v.CopiedBytes))
	if v.HasRate {
		fmt.Fprintf(&b, ", %s/s, %s obj/s", HumanBytes(int64(v.ByteRate)), rateText(v.Rate))
	}
	if eta, ok := v.eta(); ok && !final {
		fmt.Fprintf(&b, " | ETA %s", eta)
	}
	fmt.Fprintf(&b, " | listed %s, copied %s, skipped %s, failed %s", count(v.Listed), count(v.Copied), count(v.Skipped), count(v.Failed))
	if v.Concurrency > 0 {
		fmt.Fprintf(&b, " | concurrency %s", count(int64(v.Concurrency)))
	}
	fmt.Fprintf(&b, " | %s", v.Elapsed.Round(time.Second))
	line := b.String()
	if width > 0 && len(line) > width { // ASCII only: bytes are columns
		line = line[:width]
	}
	return line
}

// statusLine is the line written every StatusInterval when stderr is not
// a terminal (a log file, systemd's journal).
func statusLine(v view) string {
	var b strings.Builder
	fmt.Fprintf(&b, "backfill: %s: ", v.Elapsed.Round(time.Second))
	if v.known() {
		fmt.Fprintf(&b, "%s/%s objects (%d%%)", count(v.Settled), count(v.Queued), v.percent())
	} else {
		fmt.Fprintf(&b, "%s/%s+ objects (listing)", count(v.Settled), count(v.Queued))
	}
	fmt.Fprintf(&b, ", %s copied", HumanBytes(v.CopiedBytes))
	if v.HasRate {
		fmt.Fprintf(&b, " (%s/s, %s obj/s", HumanBytes(int64(v.ByteRate)), rateText(v.Rate))
		if eta, ok := v.eta(); ok {
			fmt.Fprintf(&b, ", ETA %s", eta)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, "; listed %s, copied %s, skipped %s, failed %s", count(v.Listed), count(v.Copied), count(v.Skipped), count(v.Failed))
	if v.Concurrency > 0 {
		fmt.Fprintf(&b, "; concurrency %s", count(int64(v.Concurrency)))
	}
	return b.String()
}

func rateText(r float64) string {
	if r < 10 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}

// count writes n with thousands separators: 31,000,000.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
