package units

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
)

// units is the table ParseSize documents, written out again as the oracle.
var units = map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "kb": 1e3, "m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9, "t": 1 << 40, "tib": 1 << 40, "tb": 1e12}

// FuzzParseSize: a size ParseSize accepts is a whole number and a unit of
// its table (ASCII, any case), and is exactly number × unit, never more
// than MaxSize (no overflow); the same number with a larger unit is never
// smaller, a larger number with the same unit never smaller, and a size
// that fits with a unit fits with every smaller one.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"5GiB", "256MiB", "5 MiB", "1048576", "10MB", "2t", "0", "", "GiB", "5XB", "-5MiB",
		"1.5GiB", "99999999999TiB", "4194304TiB", "4194305TiB", "+7k", " 12 kb ", "9223372036854775807", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err != nil {
			if v != 0 {
				t.Fatalf("ParseSize(%q) = %d with an error", s, v)
			}
			return
		}
		if v < 0 || v > MaxSize {
			t.Fatalf("ParseSize(%q) = %d, outside 0..MaxSize", s, v)
		}
		// Split as documented: a number, then a unit.
		trimmed := strings.TrimSpace(s)
		i := 0
		if i < len(trimmed) && (trimmed[i] == '+' || trimmed[i] == '-') {
			i++
		}
		for i < len(trimmed) && trimmed[i] >= '0' && trimmed[i] <= '9' {
			i++
		}
		num, unit := trimmed[:i], strings.TrimSpace(trimmed[i:])
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			t.Fatalf("ParseSize(%q) = %d, but %q is not a number", s, v, num)
		}
		lower := strings.ToLower(unit)
		mult, ok := units[lower]
		for _, r := range unit {
			if r >= 0x80 {
				ok = false
			}
		}
		if !ok {
			t.Fatalf("ParseSize(%q) = %d with the unit %q, which is not one of its units", s, v, unit)
		}
		if want := new(big.Int).Mul(big.NewInt(n), big.NewInt(mult)); want.Cmp(big.NewInt(v)) != 0 {
			t.Fatalf("ParseSize(%q) = %d, want %s", s, v, want)
		}
		if w, err := ParseSize(strconv.FormatInt(n, 10) + strings.ToUpper(unit)); err != nil || w != v {
			t.Fatalf("ParseSize(%q) = %d but the same in upper case gives %d, %v", s, v, w, err)
		}
		if n < MaxSize {
			if w, err := ParseSize(strconv.FormatInt(n+1, 10) + unit); err == nil && w <= v {
				t.Fatalf("%d%s = %d is not larger than %q = %d", n+1, unit, w, s, v)
			}
		}
		for u, m := range units {
			w, err := ParseSize(strconv.FormatInt(n, 10) + u)
			switch {
			case m <= mult && (err != nil || w > v):
				t.Fatalf("%d%s = %d, %v; want at most %q = %d", n, u, w, err, s, v)
			case m >= mult && err == nil && w < v:
				t.Fatalf("%d%s = %d; want at least %q = %d", n, u, w, s, v)
			}
		}
	})
}
