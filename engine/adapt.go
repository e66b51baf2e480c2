package engine

import (
	"math"
	"slices"
	"time"
)

// The concurrency controller: with no fixed Concurrency, the engine
// adapts its request budget (limiter.go) while it runs. Every interval
// (a few round trips: adaptInterval) it takes a sample and decides:
//
//	SlowDown answers in the interval   1.5 x the send rate x the base
//	                                   latency (what the clients' send-rate
//	                                   limit lets through, with room), or
//	                                   x 0.7 before that rate is known; no
//	                                   growth for a while
//	the last growth paid, but less     to what carries the new throughput
//	  than 60% of the step (x2 -> +60%)  at the old limit's pace, x1.25 (the
//	                                   knee lies inside the step); grow in
//	                                   small steps from now on
//	the last growth did not pay        back to the limit before it (the
//	  (throughput < +25% of the step,  knee is there); grow in small steps
//	  judged on the second sample      from now on
//	  after it: the first holds the
//	  growth's own cost)
//	once a run, from its 6th sample,   probe down: halve the limit, judged
//	  a limit above 256 (no SlowDown,  on the second sample after it; kept
//	  CPU or latency cut before), in   while the throughput holds (>= 95%),
//	  flight >= 75% of the limit       else taken back, and the probing
//	                                   ends (a knee below the start is found
//	                                   this way: the start's own latency,
//	                                   measured queued, cannot show it)
//	in flight >= 75% of the limit,     grow: x2 until a growth first fails
//	  latency within 1.5 x its base,   to pay (or is trimmed), then x1.25
//	  own CPU below 90% of its cores
//	throughput at the send-rate limit  at least 1.5 x that rate x the base
//	  (after SlowDown)                 latency: the send rate, which follows
//	                                   what S3 accepts, stays the limit
//	latency over 2 x its base while    limit x 0.9 (requests queue somewhere:
//	  the limit is used                the machine, the network, S3)
//	own CPU at 90% of its cores        limit x 0.85
//
// A cut for latency or CPU is kept if the throughput holds (>= 95% of what
// it was), else taken back: a latency that others on the machine inflate
// must not drive the limit down for nothing.
//
// A probe that did not pay (a growth, a cut) is followed by a hold without
// growth or cuts (SlowDown aside) that doubles with each such probe in a row (up to 16x):
// a limit that has found its level is probed less and less often.
//
// within [MinConcurrency, MaxConcurrency]. Latency is measured as Little's
// law gives it (mean requests in flight / requests completed per second),
// its base is the lowest of the last baseWindow samples (not counting those
// where the send-rate limit held the throughput: their latency holds the
// waits for a token). The controller is
// a pure function of its samples (step), so a test drives it with a model
// of latency, throughput, CPU and SlowDown (adapt_test.go).

// sample is what the engine measured over one interval.
type sample struct {
	interval  time.Duration
	done      int64   // requests completed
	inFlight  float64 // mean requests holding a slot
	throttled int64   // answers S3 throttled (SlowDown, 503, 429) in the interval
	sendRate  float64 // the clients' send-rate limit now, requests/s (0: none)
	cpu       float64 // the process's CPU use over the interval, in cores
	cores     float64 // cores the process may use (GOMAXPROCS)
}

// short says a sample is too short to judge: too few answers, or fewer
// answers than requests in flight (a sample shorter than a request takes,
// as at a run's start or with requests queued far beyond the base
// latency: Little's law does not hold in it). The engine lengthens such a
// sample (adapt_run.go) rather than judge it.
func (s sample) short() bool {
	return s.done < minDone || s.interval <= 0 || float64(s.done) < s.inFlight
}

// Reasons a controller step changed the limit.
const (
	AdaptStart    = "start"
	AdaptGrow     = "grow"
	AdaptNoGain   = "no-gain"
	AdaptSlowDown = "slowdown"
	AdaptSendRate = "send-rate"
	AdaptLatency  = "latency"
	AdaptCPU      = "cpu"
	AdaptCutBack  = "cut-revert"
	AdaptTrim     = "trim"
	AdaptProbe    = "probe-down"
)

const (
	growFast       = 2.0  // the first growths
	growSlow       = 1.25 // after a growth did not pay
	gainShare      = 0.25 // a growth by x must bring at least this share of x-1 in throughput
	busyShare      = 0.75 // in flight / limit from which the limit is in use
	latencyHolds   = 1.5  // latency / base under which growth is allowed
	latencyQueues  = 2.0  // latency / base over which the limit shrinks
	cpuBusy        = 0.9  // own CPU / cores from which CPU is the limit
	slowDownCut    = 0.7
	latencyCut     = 0.9
	cpuCut         = 0.85
	cpuHolds       = 0.95 // throughput share a CPU cut must keep
	rateRoom       = 1.5  // in flight per (send rate x base latency) after SlowDown
	sendRateBound  = 0.9  // throughput / send rate from which the send rate is the limit
	floorSlack     = 1.2  // the send-rate floor raises a limit under floor / 1.2
	minDone        = 16   // fewer completions in a sample decide nothing
	baseWindow     = 60   // samples the base latency is the lowest of
	holdSlowDown   = 5    // samples without growth after SlowDown
	holdNoGain     = 8    // ... after a growth that did not pay
	holdCPU        = 8    // ... after a CPU cut was taken back
	holdLatency    = 2    // ... after a latency cut
	minAdaptiveCap = 16
	growSettle     = 1    // samples after a growth before its verdict
	probeAbove     = 256  // a limit above this is probed down, once a run
	probeAfter     = 6    // samples judged before the probe
	trimShare      = 0.6  // a growth that paid by less than this share of x-1 is trimmed
	trimRoom       = 1.25 // a trimmed limit's room over what carries its throughput
)

// controller decides the limit from samples. Not safe for concurrent use:
// the engine's adapt goroutine owns it.
type controller struct {
	limit, min, max int
	factor          float64
	lats            []float64 // the last baseWindow latencies, seconds
	hold            int       // samples left without growth
	misses          int       // probes in a row that did not pay (each doubles the next hold)
	// A change waiting for its verdict (grow or cpu), and where it came
	// from.
	pending   string
	prevLimit int
	prevTput  float64
	settle    int // samples after a growth or a probe not yet judged
	// probing: the limit is halved while the throughput holds, down to
	// a knee below it; once a run, from its probeAfter-th sample (the
	// run's first seconds, a thousand connections opening, are no
	// baseline), unless SlowDown, CPU or latency already cut it.
	probing, probed bool
	samples         int // samples judged
}

func newController(start, lo, hi int) *controller {
	lo = max(1, min(lo, hi))
	return &controller{limit: min(max(start, lo), hi), min: lo, max: hi, factor: growFast}
}

// base is the lowest latency of the window (0: none measured yet).
func (c *controller) base() float64 {
	if len(c.lats) == 0 {
		return 0
	}
	return slices.Min(c.lats)
}

func (c *controller) observe(lat float64) {
	c.lats = append(c.lats, lat)
	if len(c.lats) > baseWindow {
		c.lats = c.lats[1:]
	}
}

func (c *controller) set(n int) int {
	c.limit = min(max(n, c.min), c.max)
	return c.limit
}

func scale(n int, f float64) int { return int(math.Round(float64(n) * f)) }

// step takes one sample and returns the limit to use and why it changed
// ("" when it did not).
func (c *controller) step(s sample) (int, string) {
	before := c.limit
	reason := c.decide(s)
	if c.limit == before {
		return c.limit, ""
	}
	return c.limit, reason
}

func (c *controller) decide(s sample) string {
	if s.throttled > 0 {
		return c.slowDown(s)
	}
	if s.short() {
		return "" // too little to judge
	}
	tput := float64(s.done) / s.interval.Seconds()
	lat := s.inFlight / tput
	if c.samples++; c.samples == probeAfter && !c.probed && c.limit > probeAbove {
		c.probing, c.probed = true, true
	}
	if !sendBound(s, tput) { // else the latency holds the waits for a token
		c.observe(lat)
	}
	base := c.base()
	used := s.inFlight >= busyShare*float64(c.limit)
	cpuBound := s.cores > 0 && s.cpu >= cpuBusy*s.cores
	if (c.pending == AdaptGrow || c.pending == AdaptProbe) && c.settle > 0 {
		// The first sample after a growth holds its cost (new
		// connections, workers, a larger heap), not its gain, and the
		// first after a probe the requests draining: the verdict waits
		// for the next one.
		c.settle--
		return ""
	}
	if reason, done := c.verdict(tput); done {
		return reason
	}
	if floor := c.rateFloor(s, tput, base); float64(c.limit)*floorSlack < float64(floor) {
		c.set(floor)
		return AdaptSendRate
	}
	switch {
	case c.hold > 0:
		c.hold--
		return ""
	case c.probing && used && c.limit/2 >= c.min:
		c.pending, c.prevLimit, c.prevTput, c.settle = AdaptProbe, c.limit, tput, growSettle
		c.set(c.limit / 2)
		return AdaptProbe
	case used && lat > latencyQueues*base:
		c.probing, c.probed = false, true
		c.pending, c.prevLimit, c.prevTput = AdaptLatency, c.limit, tput
		c.set(scale(c.limit, latencyCut))
		c.hold = holdLatency
		if cpuBound {
			return AdaptCPU
		}
		return AdaptLatency
	case cpuBound:
		c.probing, c.probed = false, true
		c.pending, c.prevLimit, c.prevTput = AdaptCPU, c.limit, tput
		c.set(scale(c.limit, cpuCut))
		return AdaptCPU
	case used && lat <= latencyHolds*base && c.limit < c.max:
		c.pending, c.prevLimit, c.prevTput, c.settle = AdaptGrow, c.limit, tput, growSettle
		c.set(max(c.limit+1, scale(c.limit, c.factor)))
		return AdaptGrow
	}
	return ""
}

// verdict judges the change made at the last step by the throughput it
// brought; done says it decided this step.
func (c *controller) verdict(tput float64) (string, bool) {
	pending := c.pending
	c.pending = ""
	switch pending {
	case AdaptGrow:
		grew := float64(c.limit) / float64(c.prevLimit)
		if tput >= c.prevTput*(1+gainShare*(grew-1)) {
			c.misses = 0
			return c.trim(tput, grew)
		}
		c.set(c.prevLimit)
		c.factor, c.hold = growSlow, c.backoff(holdNoGain)
		return AdaptNoGain, true
	case AdaptProbe:
		if tput >= cpuHolds*c.prevTput {
			return "", false // the knee is lower: probe again
		}
		c.probing = false
		c.set(c.prevLimit)
		c.hold = growSettle // the way back up costs what a growth does
		return AdaptCutBack, true
	case AdaptCPU, AdaptLatency:
		if tput >= cpuHolds*c.prevTput {
			c.misses = 0
			return "", false
		}
		c.set(c.prevLimit)
		c.hold = c.backoff(holdCPU)
		return AdaptCutBack, true
	}
	return "", false
}

// trim judges a growth that paid by what each slot now does: when the
// throughput grew by less than trimShare of the limit's growth, the knee
// lies inside the step, and the limit goes to what carries the new
// throughput at the old limit's pace, with room (growing slowly from
// there). done is false when the limit stays.
func (c *controller) trim(tput, grew float64) (string, bool) {
	if c.prevTput <= 0 || tput/c.prevTput >= 1+trimShare*(grew-1) {
		return "", false
	}
	perSlot := c.prevTput / float64(c.prevLimit)
	target := int(math.Ceil(trimRoom * tput / perSlot))
	if target >= c.limit {
		return "", false
	}
	c.set(max(target, c.prevLimit))
	c.factor, c.hold = growSlow, c.backoff(holdNoGain)
	return AdaptTrim, true
}

// backoff is the hold after a probe that did not pay: hold, doubled for
// each miss in a row before it (up to 16x), so a settled limit is probed
// less and less often.
func (c *controller) backoff(hold int) int {
	h := hold << min(c.misses, 4)
	c.misses++
	return h
}

// rateFloor is the concurrency that keeps the clients' send-rate limit,
// not the concurrency, the limit once S3 has throttled: when the
// throughput is at that rate, room x rate x base latency (0 otherwise).
func (c *controller) rateFloor(s sample, tput, base float64) int {
	if base <= 0 || !sendBound(s, tput) {
		return 0
	}
	return min(c.max, int(math.Ceil(rateRoom*s.sendRate*base)))
}

// sendBound says the clients' send-rate limit holds the throughput.
func sendBound(s sample, tput float64) bool {
	return s.sendRate > 0 && tput >= sendRateBound*s.sendRate
}

// slowDown cuts the limit after S3 throttled: to what the clients'
// send-rate limit lets through (rate x base latency) with room, once that
// limit is known; before, to 0.7 of it. Throttles that go on (the send
// rate probing for more) keep it there, never lower.
func (c *controller) slowDown(s sample) string {
	target := scale(c.limit, slowDownCut)
	if base := c.base(); s.sendRate > 0 && base > 0 {
		target = min(c.limit, int(math.Ceil(rateRoom*s.sendRate*base)))
	}
	c.set(target)
	c.pending, c.probing, c.probed = "", false, true
	c.factor, c.hold = growSlow, holdSlowDown
	return AdaptSlowDown
}

// adaptInterval is how long a sample lasts: a few round trips at the base
// latency, so that a change of the limit shows in the next sample; at
// most a second (a run's first samples, slowed by a thousand connections
// opening at once, must not stretch the next ones).
func adaptInterval(base float64) time.Duration {
	d := time.Duration(4 * base * float64(time.Second))
	return min(max(d, 200*time.Millisecond), time.Second)
}
