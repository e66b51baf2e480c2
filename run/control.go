package run

import (
	"sync/atomic"

	"github.com/backfill-dev/backfill/engine"
)

// Control lets the caller stop a run gracefully from another goroutine
// (a signal handler): Stop lets the copies in flight finish and starts no
// new ones. Cancelling the context given to Run aborts them too. The zero
// value is ready; it is safe for concurrent use.
type Control struct {
	eng atomic.Pointer[engine.Engine]
}

// Stop stops the running engine gracefully and reports true, or reports
// false when no engine runs yet (the caller should then cancel the run's
// context: there is nothing in flight to wait for).
func (c *Control) Stop() bool {
	if c == nil {
		return false
	}
	eng := c.eng.Load()
	if eng == nil {
		return false
	}
	eng.Stop()
	return true
}

func (c *Control) set(eng *engine.Engine) {
	if c != nil {
		c.eng.Store(eng)
	}
}
