//go:build !unix

package run

import "time"

// processCPU is unknown here (0): a plan then uses the benchmark's CPU figure.
func processCPU() time.Duration { return 0 }
