package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize reads a byte size: a number with an optional unit, binary
// (KiB, MiB, GiB, TiB) or decimal (KB, MB, GB, TB); no unit means bytes.
func parseSize(s string) (int64, error) {
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
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}
