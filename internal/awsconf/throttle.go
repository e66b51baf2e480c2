package awsconf

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// NewRetryer returns the retryer every backfill client uses: the SDK's
// standard retries (maxAttempts attempts, backoff up to 20 s, no retry
// quota, so a burst of 503s slows the run down instead of failing objects
// with QuotaExceeded), answers cut short retried too (truncatedAnswer),
// and a send-rate limit learnt from throttling answers (sendLimit).
//
// Why not the SDK's adaptive mode: it measures the send rate in half-second
// buckets, so a SlowDown in a run's first instant finds a measured rate
// near zero and cuts to it; with 256 copies in flight the run then crawls
// for seconds while its rate climbs back (measured: 4.9x the ideal time
// under a 300 requests/s ceiling).
func NewRetryer(maxAttempts int) aws.Retryer { return newRetryer(maxAttempts, nil) }

func newRetryer(maxAttempts int, stats *ThrottleStats) aws.Retryer {
	std := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.MaxBackoff = 20 * time.Second
		so.RateLimiter = ratelimit.None
		so.Retryables = append(so.Retryables, truncatedAnswer{}) // after the SDK's: a cancelled request is never retried
	})
	r := &limitedRetryer{RetryerV2: std, limit: newSendLimit(time.Now), throttles: retry.IsErrorThrottles(retry.DefaultThrottles), stats: stats}
	stats.add(r.limit)
	return r
}

// limitedRetryer is the standard retryer whose every attempt first takes
// a token from the client's sendLimit and reports back how it went.
type limitedRetryer struct {
	aws.RetryerV2
	limit     *sendLimit
	throttles retry.IsErrorThrottles
	stats     *ThrottleStats // nil: not counted
}

// ThrottleStats tells the engine's concurrency controller what a side's
// clients meet: how many answers S3 throttled, and the send-rate limit
// they learnt from them. Give one to Options.Throttle; safe for
// concurrent use.
type ThrottleStats struct {
	throttled atomic.Int64
	mu        sync.Mutex
	limits    []*sendLimit
}

func (t *ThrottleStats) add(l *sendLimit) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.limits = append(t.limits, l)
	t.mu.Unlock()
}

// Throttled is the number of throttled answers (SlowDown, 503, 429) so far.
func (t *ThrottleStats) Throttled() int64 {
	if t == nil {
		return 0
	}
	return t.throttled.Load()
}

// SendRate is the lowest send-rate limit of the clients (requests/s), or 0
// when none is limited.
func (t *ThrottleStats) SendRate() float64 {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	rate := 0.0
	for _, l := range t.limits {
		if r := l.Rate(); r > 0 && (rate == 0 || r < rate) {
			rate = r
		}
	}
	return rate
}

func (r *limitedRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	sent, err := r.limit.wait(ctx)
	if err != nil {
		return nil, err
	}
	return func(err error) error {
		throttled := err != nil && r.throttles.IsErrorThrottle(err).Bool()
		if throttled && r.stats != nil {
			r.stats.throttled.Add(1)
		}
		r.limit.done(throttled, err == nil, sent)
		return nil
	}, nil
}

// sendLimit is a client's send rate: unlimited until S3 throttles, then a
// token bucket whose rate follows what S3 accepts.
//
//   - A throttle of a request sent after the last cut (the answers to
//     requests sent before it tell of the old rate) marks a cut, made
//     cutEvery later, once the answers sent with it are in: the rate becomes
//     backoff x the rate of answers S3 accepted since the mark. S3 was
//     refusing requests all that time, so under a request-rate ceiling
//     that is the ceiling itself: the run settles just under it instead of
//     collapsing.
//   - Without throttles for holdAfterCut, the rate grows by raise every
//     raiseEvery, probing for more room (S3 adds capacity to a busy
//     prefix over time).
type sendLimit struct {
	now func() time.Time

	mu       sync.Mutex
	rate     float64 // requests/s; 0: not limited
	tokens   float64
	lastFill time.Time
	lastCut  time.Time
	lastRise time.Time
	markAt   time.Time // a throttle not yet acted on
	accepted int       // answers S3 accepted since markAt
	queue    []*waiter // callers of wait without a token, first come first
	polls    int       // looks for a token (for tests)
}

// waiter is a caller of wait in the queue. Its ready channel is closed
// when it becomes the queue's head: the one caller that sleeps until the
// next token.
type waiter struct{ ready chan struct{} }

const (
	cutEvery     = 200 * time.Millisecond
	holdAfterCut = time.Second
	raiseEvery   = 100 * time.Millisecond
	raise        = 1.02
	backoff      = 0.95
	minRate      = 1.0
)

func newSendLimit(now func() time.Time) *sendLimit { return &sendLimit{now: now} }

// wait blocks until a request may be sent, and says when it was.
//
// Callers that find no token queue up, first come first served, and only
// the queue's head sleeps until the next token; the others sleep until
// they become the head. So a token costs about two wake-ups. (Each waiter
// sleeping until the next token would wake all 256 of the default
// concurrency for every token: measured, 43% of a throttled run's CPU.)
// Tokens are taken as take takes them (only when the bucket has one), by
// the waiters in the order they came.
func (l *sendLimit) wait(ctx context.Context) (time.Time, error) {
	l.mu.Lock()
	if len(l.queue) == 0 && l.takeLocked() == 0 {
		l.mu.Unlock()
		return l.now(), nil
	}
	w := &waiter{ready: make(chan struct{})}
	l.queue = append(l.queue, w)
	if len(l.queue) == 1 {
		close(w.ready)
	}
	l.mu.Unlock()

	select {
	case <-ctx.Done():
		l.leave(w)
		return time.Time{}, ctx.Err()
	case <-w.ready:
	}
	for {
		if ctx.Err() != nil { // cancelled: no token for a request that will not go
			l.leave(w)
			return time.Time{}, ctx.Err()
		}
		l.mu.Lock()
		d := l.takeLocked()
		if d == 0 {
			l.popLocked()
			l.mu.Unlock()
			return l.now(), nil
		}
		l.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			l.leave(w)
			return time.Time{}, ctx.Err()
		case <-t.C:
		}
	}
}

// take takes a token, or says how long until the next one.
func (l *sendLimit) take() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takeLocked()
}

func (l *sendLimit) takeLocked() time.Duration {
	l.polls++
	now := l.now()
	if l.rate == 0 {
		return 0
	}
	burst := max(1, l.rate/20)
	l.tokens = min(burst, l.tokens+now.Sub(l.lastFill).Seconds()*l.rate)
	l.lastFill = now
	if l.tokens >= 1 {
		l.tokens--
		return 0
	}
	return max(time.Duration((1-l.tokens)/l.rate*float64(time.Second)), time.Microsecond)
}

// popLocked removes the head of the queue (it got its token, or left) and
// wakes the next.
func (l *sendLimit) popLocked() {
	l.queue = slices.Delete(l.queue, 0, 1)
	if len(l.queue) > 0 {
		close(l.queue[0].ready)
	}
}

// leave takes a cancelled caller out of the queue.
func (l *sendLimit) leave(w *waiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, q := range l.queue {
		if q == w {
			if i == 0 {
				l.popLocked()
			} else {
				l.queue = slices.Delete(l.queue, i, i+1)
			}
			return
		}
	}
}

// done records the answer to one attempt sent at sent: throttled, or
// accepted (ok), or neither (another error: it tells nothing of the rate).
func (l *sendLimit) done(throttled, ok bool, sent time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if throttled && l.markAt.IsZero() && !sent.Before(l.lastCut) {
		l.markAt, l.accepted = now, 0
	}
	if ok {
		l.accepted++
		if l.rate > 0 && l.markAt.IsZero() && now.Sub(l.lastCut) >= holdAfterCut && now.Sub(l.lastRise) >= raiseEvery {
			l.rate *= raise
			l.lastRise = now
		}
	}
	if l.markAt.IsZero() || now.Sub(l.markAt) < cutEvery {
		return
	}
	// S3 has been refusing some requests since the mark, so what it
	// accepted since then is what it takes.
	measured := float64(l.accepted) / now.Sub(l.markAt).Seconds()
	l.markAt = time.Time{}
	rate := max(minRate, backoff*measured)
	if l.rate == 0 || rate < l.rate {
		if l.rate == 0 {
			l.tokens, l.lastFill = 0, now
		}
		l.rate = rate
	}
	l.lastCut = now
}

// Rate is the send rate now (requests/s; 0: not limited).
func (l *sendLimit) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate
}
