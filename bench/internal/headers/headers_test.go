package headers

import (
	"slices"
	"testing"
)

func TestKeptGained(t *testing.T) {
	src := map[string]string{"show": "s01", "origin": "bench"}
	for _, c := range []struct {
		name   string
		cp     map[string]string
		kept   bool
		gained []string
	}{
		{"same", map[string]string{"show": "s01", "origin": "bench"}, true, nil},
		{"lost", map[string]string{"show": "s01"}, false, nil},
		{"changed", map[string]string{"show": "s02", "origin": "bench"}, false, nil},
		{"gained", map[string]string{"show": "s01", "origin": "bench", "z": "1", "mtime": "1"}, true, []string{"mtime", "z"}},
		{"none", nil, false, nil},
	} {
		if got := Kept(src, c.cp); got != c.kept {
			t.Errorf("%s: Kept = %v", c.name, got)
		}
		if got := Gained(src, c.cp); !slices.Equal(got, c.gained) {
			t.Errorf("%s: Gained = %v, want %v", c.name, got, c.gained)
		}
	}
	if !Kept(nil, map[string]string{"a": "1"}) || !Kept(nil, nil) {
		t.Error("an empty source is kept by anything")
	}
}
