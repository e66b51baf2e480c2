package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// world is a model of what the controller steers: requests that take
// latency at S3, a client whose CPU does at most cores/cpuPerReq requests
// a second, an optional other limit on throughput (cap: a saturated link),
// and S3's request-rate ceiling with the clients' send-rate limit, which
// S3's SlowDown teaches (as awsconf's sendLimit does: 0.95 of what S3
// accepted, then probing 2% up per tenth of a second without throttles).
type world struct {
	latency   float64 // seconds at S3
	cpuPerReq float64 // client CPU seconds per request
	cores     float64
	cap       float64 // requests/s the path allows (0: none)
	ceiling   float64 // requests/s S3 accepts before SlowDown (0: none)
	sendRate  float64 // learnt send-rate limit (0: none yet)
	// growCost: the interval after the limit rises still runs at the old
	// limit's throughput less 5%, with every new slot held (connections
	// being opened, workers started), as measured at 200 ms.
	growCost bool
	last     int // the limit of the last interval
}

// run plays one interval at the given limit and returns the sample the
// engine would take, and the throughput.
func (w *world) run(limit int, d time.Duration) (sample, float64) {
	secs := d.Seconds()
	rising := w.growCost && w.last > 0 && limit > w.last
	if rising {
		defer func() { w.last = limit }()
		s, tput := w.run(w.last, d)
		s.done, s.inFlight = int64(0.95*float64(s.done)), float64(limit)
		return s, 0.95 * tput
	}
	w.last = limit
	offered := float64(limit) / w.latency // what the concurrency allows
	tput := offered
	if w.cpuPerReq > 0 {
		tput = min(tput, w.cores/w.cpuPerReq)
	}
	if w.cap > 0 {
		tput = min(tput, w.cap)
	}
	sent := tput
	if w.sendRate > 0 {
		sent = min(sent, w.sendRate)
	}
	var throttled int64
	accepted := sent
	if w.ceiling > 0 && sent > w.ceiling {
		throttled = int64((sent - w.ceiling) * secs)
		accepted = w.ceiling
		w.sendRate = 0.95 * w.ceiling
	} else if w.sendRate > 0 {
		w.sendRate *= math.Pow(1.02, secs/0.1)
	}
	s := sample{interval: d, done: int64(accepted * secs), cores: w.cores, throttled: throttled, sendRate: w.sendRate,
		// Every slot is busy (a request, its retry, or a wait for a
		// token or a CPU) unless the slots outrun the work.
		inFlight: min(float64(limit), accepted*w.latency*max(1, offered/max(accepted, 1)))}
	s.cpu = accepted * w.cpuPerReq
	return s, accepted
}

type trace struct {
	limits []int
	tputs  []float64
	steps  []string
}

// drive runs the controller in w for n samples, lengthening a short one
// as the engine does (adapt_run.go).
func drive(c *controller, w *world, n int, tr *trace) {
	for range n {
		d := adaptInterval(c.base())
		s, tput := w.run(c.limit, d)
		for s.throttled == 0 && s.short() && s.interval < maxSample {
			more, tp := w.run(c.limit, d)
			total := s.interval + more.interval
			s.inFlight = (s.inFlight*s.interval.Seconds() + more.inFlight*more.interval.Seconds()) / total.Seconds()
			s.cpu = (s.cpu*s.interval.Seconds() + more.cpu*more.interval.Seconds()) / total.Seconds()
			s.done += more.done
			s.interval, tput = total, tp
		}
		limit, reason := c.step(s)
		tr.limits = append(tr.limits, limit)
		tr.tputs = append(tr.tputs, tput)
		if reason != "" {
			tr.steps = append(tr.steps, fmt.Sprintf("%s->%d", reason, limit))
		}
	}
}

func (tr *trace) last(n int) []int { return tr.limits[len(tr.limits)-n:] }

// TestControllerGrowsWhileThroughputGrows: far from S3 (200 ms) with CPU
// to spare, the limit doubles from 256 up to the ceiling, and the
// throughput with it.
func TestControllerGrowsWhileThroughputGrows(t *testing.T) {
	w := &world{latency: 0.2, cpuPerReq: 50e-6, cores: 2} // CPU: 40,000 requests/s
	c := newController(DefaultConcurrency, MinConcurrency, DefaultMaxConcurrency)
	tr := &trace{}
	drive(c, w, 20, tr)
	if c.limit != DefaultMaxConcurrency {
		t.Fatalf("limit %d, want the ceiling %d; steps %v", c.limit, DefaultMaxConcurrency, tr.steps)
	}
	if want := []string{"grow->512", "grow->1024", "grow->2048"}; len(tr.steps) < 3 || fmt.Sprint(tr.steps[:3]) != fmt.Sprint(want) {
		t.Errorf("steps %v, want %v first", tr.steps, want)
	}
	if got := tr.tputs[len(tr.tputs)-1]; got < 0.99*2048/0.2 {
		t.Errorf("throughput %.0f at the end, want about %.0f", got, 2048/0.2)
	}
}

// TestControllerWaitsOutAGrowthsCost: a growth's first interval brings
// no gain and a high latency (new connections, new workers); judged on
// the next one, each growth pays and the limit still reaches the ceiling.
func TestControllerWaitsOutAGrowthsCost(t *testing.T) {
	w := &world{latency: 0.2, cpuPerReq: 50e-6, cores: 2, growCost: true}
	c := newController(DefaultConcurrency, MinConcurrency, DefaultMaxConcurrency)
	tr := &trace{}
	drive(c, w, 20, tr)
	if c.limit != DefaultMaxConcurrency {
		t.Fatalf("limit %d, want the ceiling %d; steps %v", c.limit, DefaultMaxConcurrency, tr.steps)
	}
	for _, st := range tr.steps {
		if strings.HasPrefix(st, AdaptNoGain) || strings.HasPrefix(st, AdaptLatency) {
			t.Fatalf("a growth's own cost taken for its verdict: steps %v", tr.steps)
		}
	}
}

// TestControllerSettlesAtTheKnee: where throughput stops growing (a link
// that carries 5,000 requests/s at 100 ms), a growth past the knee is
// trimmed back near it, and the limit stays there, probing now and then
// in small steps.
func TestControllerSettlesAtTheKnee(t *testing.T) {
	w := &world{latency: 0.1, cap: 5000}
	c := newController(DefaultConcurrency, MinConcurrency, DefaultMaxConcurrency)
	tr := &trace{}
	drive(c, w, 200, tr)
	near := 0
	for _, l := range tr.last(100) {
		if l < 500 || l > 800 {
			t.Fatalf("limit %d in the last 100 samples, want 500-800 (knee at 500); steps %v", l, tr.steps)
		}
		if l <= 640 {
			near++
		}
	}
	if near < 80 { // a probe x1.25 above now and then, taken back
		t.Errorf("limit within 500-640 in %d of the last 100 samples, want >= 80; steps %v", near, tr.steps)
	}
	changes := 0
	for i := len(tr.limits) - 100; i < len(tr.limits); i++ {
		if tr.limits[i] != tr.limits[i-1] {
			changes++
		}
	}
	if changes > 25 {
		t.Errorf("%d changes in the last 100 samples: not settled; steps %v", changes, tr.steps)
	}
	if tr.tputs[len(tr.tputs)-1] < 0.99*5000 {
		t.Errorf("throughput %.0f, want 5,000", tr.tputs[len(tr.tputs)-1])
	}
}

// TestControllerBacksOffOnSlowDown: S3 starts refusing above 2,000
// requests/s while the limit is high; the controller cuts it to what the
// send-rate limit lets through (with room), never grows back to where it
// was, and the throughput stays at the ceiling.
func TestControllerBacksOffOnSlowDown(t *testing.T) {
	w := &world{latency: 0.1, cpuPerReq: 50e-6, cores: 2}
	c := newController(DefaultConcurrency, MinConcurrency, DefaultMaxConcurrency)
	tr := &trace{}
	drive(c, w, 10, tr)
	high := c.limit
	if high < 1024 {
		t.Fatalf("limit %d before the ceiling, want >= 1024; steps %v", high, tr.steps)
	}
	w.ceiling = 2000
	tr = &trace{}
	drive(c, w, 200, tr)
	if len(tr.steps) == 0 || tr.steps[0] != fmt.Sprintf("%s->%d", AdaptSlowDown, tr.limits[0]) {
		t.Fatalf("first change %v, want a SlowDown cut", tr.steps)
	}
	for _, l := range tr.last(150) {
		// 2,000/s x 100 ms = 200 in flight fill the ceiling; the cut
		// keeps room (1.5x the learnt rate), growth stops there.
		if l < 150 || l > 400 {
			t.Fatalf("limit %d after the ceiling, want 150-400; steps %v", l, tr.steps)
		}
	}
	var sum float64
	for _, tp := range tr.tputs[50:] {
		sum += tp
	}
	if mean := sum / float64(len(tr.tputs)-50); mean < 0.9*2000 {
		t.Errorf("mean throughput %.0f under the ceiling, want >= 1,800; steps %v", mean, tr.steps)
	}
}

// TestControllerBacksOffWhenItsCPUIsTheLimit: at 25 ms with a client
// that does 8,000 requests/s on its two cores, more than 200 in flight
// only burn CPU: the controller cuts while the throughput holds and
// settles near the knee instead of growing.
func TestControllerBacksOffWhenItsCPUIsTheLimit(t *testing.T) {
	w := &world{latency: 0.025, cpuPerReq: 250e-6, cores: 2}
	c := newController(1024, MinConcurrency, DefaultMaxConcurrency)
	tr := &trace{}
	drive(c, w, 200, tr)
	away := 0
	for _, l := range tr.last(100) {
		if l < 180 || l > 300 {
			away++
		}
	}
	if away > 10 { // a probe below the knee now and then, taken back
		t.Fatalf("limit outside 180-300 (knee 200) in %d of the last 100 samples; steps %v", away, tr.steps)
	}
	if !strings.HasPrefix(tr.steps[0], AdaptCPU) && !strings.HasPrefix(tr.steps[0], AdaptProbe) {
		t.Errorf("first change %v, want a CPU cut or a probe down from the start of 1,024", tr.steps)
	}
	if tp := tr.tputs[len(tr.tputs)-1]; tp < 0.9*8000 {
		t.Errorf("throughput %.0f, want about 8,000", tp)
	}
}

// TestControllerKeepsWithinBounds: the limit never leaves [min, max], and
// a sample with too few answers decides nothing.
func TestControllerKeepsWithinBounds(t *testing.T) {
	c := newController(5000, 16, 300)
	if c.limit != 300 {
		t.Fatalf("start %d, want the ceiling 300", c.limit)
	}
	if l, r := c.step(sample{interval: time.Second, done: 3, inFlight: 300}); l != 300 || r != "" {
		t.Errorf("a sample of 3 answers changed the limit: %d %q", l, r)
	}
	for range 50 {
		c.step(sample{interval: time.Second, throttled: 10})
	}
	if c.limit != 16 {
		t.Errorf("after 50 SlowDown samples the limit is %d, want the floor 16", c.limit)
	}
}

// TestControllerKeepsItsLimitWhenOthersSlowTheMachine: the latency triples
// for reasons of its own (others on the machine, a slower network) while
// the throughput still follows the limit: a cut that costs throughput is
// taken back, the limit never drifts down, and once the new latency is
// the base it grows again to what the path carries.
func TestControllerKeepsItsLimitWhenOthersSlowTheMachine(t *testing.T) {
	w := &world{latency: 0.1, cap: 5000}
	c := newController(DefaultConcurrency, MinConcurrency, DefaultMaxConcurrency)
	drive(c, w, 50, &trace{})
	settled := c.limit
	w.latency = 0.3
	tr := &trace{}
	drive(c, w, 300, tr)
	for i, l := range tr.limits {
		if l < scale(settled, latencyCut) {
			t.Fatalf("sample %d: limit %d, under one cut of the settled %d; steps %v", i, l, settled, tr.steps)
		}
	}
	if tp := tr.tputs[len(tr.tputs)-1]; tp < 0.95*5000 {
		t.Errorf("throughput %.0f at the end, want the path's 5,000 again; steps %v", tp, tr.steps)
	}
}

// TestShortSamplesDecideNothing: a sample with fewer answers than
// requests in flight (shorter than a request takes: a run's first
// moments, or requests queued far past the base) decides nothing and is
// lengthened by the engine; the same requests over a longer sample do.
func TestShortSamplesDecideNothing(t *testing.T) {
	short := sample{interval: 200 * time.Millisecond, done: 300, inFlight: 1024, cores: 2}
	if !short.short() {
		t.Fatal("300 answers with 1,024 in flight judged")
	}
	c := newController(256, MinConcurrency, DefaultMaxConcurrency)
	short.inFlight, short.done = 256, 100
	if l, r := c.step(short); l != 256 || r != "" || c.base() != 0 {
		t.Errorf("a short sample changed the limit to %d (%q) or the base to %v", l, r, c.base())
	}
	long := sample{interval: time.Second, done: 2500, inFlight: 250, cores: 2}
	if long.short() {
		t.Fatal("2,500 answers with 250 in flight not judged")
	}
	if l, r := c.step(long); l != 512 || r != AdaptGrow {
		t.Errorf("a full sample at 250 of 256 in flight: limit %d (%q), want a growth to 512", l, r)
	}
}

// TestControllerFindsAKneeBelowItsStart: from the start of 1,024, a path
// that carries 5,000 requests/s at 100 ms (knee 500) is found by the
// run's probe down (the start's own latency, measured queued, cannot show
// it): the limit ends near 500, not at the start.
func TestControllerFindsAKneeBelowItsStart(t *testing.T) {
	w := &world{latency: 0.1, cap: 5000}
	c := newController(DefaultStartConcurrency, MinConcurrency, DefaultMaxConcurrency)
	tr := &trace{}
	drive(c, w, 200, tr)
	if !slices.ContainsFunc(tr.steps, func(st string) bool { return strings.HasPrefix(st, AdaptProbe) }) {
		t.Fatalf("steps %v, want a probe down", tr.steps)
	}
	near := 0
	for _, l := range tr.last(100) {
		if l <= 640 && l >= 400 {
			near++
		}
	}
	if near < 80 {
		t.Errorf("limit near the knee (400-640) in %d of the last 100 samples, want >= 80; steps %v", near, tr.steps)
	}
	if tp := tr.tputs[len(tr.tputs)-1]; tp < 0.95*5000 {
		t.Errorf("throughput %.0f, want the path's 5,000", tp)
	}
}
