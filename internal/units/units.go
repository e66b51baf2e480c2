// Package units reads the byte sizes backfill takes on its command line
// (--multipart-threshold, --part-size).
package units

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxSize is the largest size ParseSize returns (4 EiB); a larger one is an
// error, never an overflow.
const MaxSize int64 = 1 << 62

// ParseSize reads a byte size: a non-negative whole number with an optional
// unit, binary (KiB, MiB, GiB, TiB; K, M, G, T) or decimal (KB, MB, GB, TB),
// in any case, with or without a space before it; no unit (or B) means
// bytes.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || num == "" || n < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 256MiB, 5GiB, 1048576)", s)
	}
	mult := map[string]int64{"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", s, unit)
	}
	if n > MaxSize/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}
