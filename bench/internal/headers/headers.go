package headers

import (
	"maps"
	"slices"
)

// Kept reports whether every key of src is in cp with the same value.
func Kept(src, cp map[string]string) bool {
	for k, v := range src {
		if w, ok := cp[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Gained returns the keys of cp that src lacks, sorted.
func Gained(src, cp map[string]string) []string {
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(cp)) {
		if _, ok := src[k]; !ok {
			extra = append(extra, k)
		}
	}
	return extra
}
