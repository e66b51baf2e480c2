package engine

import (
	"runtime"
	"sync"
	"time"
)

// ConcurrencyStep is one change of the concurrency in use.
type ConcurrencyStep struct {
	// At is the time since the run started.
	At     time.Duration `json:"-"`
	AtSecs float64       `json:"at_seconds"`
	Limit  int           `json:"concurrency"`
	Reason string        `json:"reason"`
	// Throughput (requests completed per second) and Latency (mean time a
	// request held its slot) of the sample that decided the change.
	Throughput float64 `json:"requests_per_second"`
	LatencyMS  float64 `json:"latency_ms"`
}

// ConcurrencyLog is the concurrency over a run: how it was set, and (when
// adaptive) every change, or a bounded thinning of them in a long run.
type ConcurrencyLog struct {
	Mode  string            `json:"mode"` // "adaptive" or "fixed"
	Start int               `json:"start"`
	Max   int               `json:"max"`
	Final int               `json:"final"`
	Peak  int               `json:"peak"`
	Steps []ConcurrencyStep `json:"steps,omitempty"`
}

// maxSteps bounds the steps a log keeps: past it, every other step of the
// older ones is dropped (memory does not grow with the run's length).
const maxSteps = 512

func (l *ConcurrencyLog) add(s ConcurrencyStep) {
	l.Final, l.Peak = s.Limit, max(l.Peak, s.Limit)
	if len(l.Steps) >= maxSteps {
		kept := l.Steps[:1]
		for i := 2; i < len(l.Steps); i += 2 {
			kept = append(kept, l.Steps[i])
		}
		l.Steps = kept
	}
	l.Steps = append(l.Steps, s)
}

// adapter runs the controller against the engine's limiter while a run
// goes on; with a fixed concurrency it only records it.
type adapter struct {
	e     *Engine
	start time.Time
	ctl   *controller
	cpu   func() time.Duration

	mu  sync.Mutex
	log ConcurrencyLog
}

func newAdapter(e *Engine, start time.Time) *adapter {
	o := &e.opts
	a := &adapter{e: e, start: start, cpu: processCPU}
	first := o.startConcurrency()
	a.log = ConcurrencyLog{Mode: "fixed", Start: first, Max: o.MaxConcurrency, Final: first, Peak: first}
	if o.adaptive() {
		a.log.Mode = "adaptive"
		a.ctl = newController(first, min(MinConcurrency, o.MaxConcurrency), o.MaxConcurrency)
		a.log.add(ConcurrencyStep{Limit: first, Reason: AdaptStart})
	}
	if o.OnConcurrency != nil {
		o.OnConcurrency(first)
	}
	return a
}

// Log is the concurrency so far.
func (a *adapter) Log() ConcurrencyLog {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.log
	l.Steps = append([]ConcurrencyStep(nil), a.log.Steps...)
	return l
}

// run samples and steps until stop is closed.
func (a *adapter) run(stop <-chan struct{}) {
	if a.ctl == nil {
		return
	}
	o := &a.e.opts
	lim := a.e.budget
	prev := lim.read()
	prevCPU := a.cpu()
	prevThrottled := throttles(o)
	t := time.NewTimer(adaptInterval(0))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		now := lim.read()
		cpu := a.cpu()
		th := throttles(o)
		s := sample{interval: now.at.Sub(prev.at), done: now.done - prev.done, throttled: th - prevThrottled,
			cpu: (cpu - prevCPU).Seconds() / max(now.at.Sub(prev.at).Seconds(), 1e-9), cores: float64(runtime.GOMAXPROCS(0))}
		if s.interval > 0 {
			s.inFlight = (now.area - prev.area) / s.interval.Seconds()
		}
		if o.SendRate != nil {
			s.sendRate = o.SendRate()
		}
		if s.done == 0 && now.used == 0 && s.throttled == 0 {
			// Nothing sent yet (the listing's first pages): the sample
			// starts with the first request.
			prev, prevCPU = now, cpu
			t.Reset(adaptInterval(a.ctl.base()))
			continue
		}
		if s.throttled == 0 && s.short() && s.interval < maxSample {
			// Lengthened: the next reading ends the same sample.
			t.Reset(adaptInterval(a.ctl.base()))
			continue
		}
		prev, prevCPU, prevThrottled = now, cpu, th
		if limit, reason := a.ctl.step(s); reason != "" {
			lim.SetLimit(limit)
			a.record(limit, reason, s)
			if o.OnConcurrency != nil {
				o.OnConcurrency(limit)
			}
		}
		t.Reset(adaptInterval(a.ctl.base()))
	}
}

func (a *adapter) record(limit int, reason string, s sample) {
	st := ConcurrencyStep{At: time.Since(a.start), Limit: limit, Reason: reason}
	st.AtSecs = st.At.Seconds()
	if s.interval > 0 && s.done > 0 {
		st.Throughput = float64(s.done) / s.interval.Seconds()
		st.LatencyMS = 1000 * s.inFlight / st.Throughput
	}
	a.mu.Lock()
	a.log.add(st)
	a.mu.Unlock()
}

// maxSample is the longest a sample is lengthened: a run that answers
// less than once per request in flight in it is judged anyway (mostly
// idle: nothing to decide).
const maxSample = 10 * time.Second

func throttles(o *Options) int64 {
	if o.Throttles == nil {
		return 0
	}
	return o.Throttles()
}
