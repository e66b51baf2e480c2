//go:build !unix

package engine

import "time"

// processCPU is unknown here: the controller then never sees its CPU as
// the limit, and relies on latency and throughput alone.
func processCPU() time.Duration { return 0 }
