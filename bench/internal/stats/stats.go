// Package stats holds the small summaries the benchmarks print: the
// median of a set of runs, and the runs themselves as a list.
package stats

import (
	"fmt"
	"sort"
	"strings"
)

// Median is the middle of v (for an even count, the mean of the middle
// two); v is not reordered. It is 0 for no values.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[n/2]
}

// List writes v in its order, each with format (e.g. "%.2f"), separated by ", ".
func List(v []float64, format string) string {
	each := make([]string, len(v))
	for i, x := range v {
		each[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(each, ", ")
}
