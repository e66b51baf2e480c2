package main

import (
	"strings"
	"testing"
)

func TestDifferences(t *testing.T) {
	src := map[string]object{
		"movies/reel0.mov": {size: 10, contentType: contentType, cacheCtl: cacheControl, disposition: `attachment; filename="reel0.mov"`, metadata: map[string]string{"origin": "bench", "reel": "0"},
			tags: map[string]string{"show": "bench", "reel": "0"}},
	}
	same := func(f func(o *object)) map[string]object {
		o := src["movies/reel0.mov"]
		o.metadata = map[string]string{"origin": "bench", "reel": "0"}
		o.tags = map[string]string{"show": "bench", "reel": "0"}
		if f != nil {
			f(&o)
		}
		return map[string]object{"movies/reel0.mov": o}
	}
	for _, c := range []struct {
		name    string
		replica map[string]object
		want    string // "" = complete
		gained  string
	}{
		{"whole", same(nil), "", ""},
		{"missing", map[string]object{}, "reel0.mov missing", ""},
		{"size", same(func(o *object) { o.size = 9 }), "9 bytes, not 10", ""},
		{"content type", same(func(o *object) { o.contentType = "video/quicktime" }), "Content-Type", ""},
		{"cache control", same(func(o *object) { o.cacheCtl = "" }), "Cache-Control", ""},
		{"disposition", same(func(o *object) { o.disposition = `attachment; filename="reel1.mov"` }), "Content-Disposition", ""},
		{"metadata lost", same(func(o *object) { delete(o.metadata, "reel") }), "metadata", ""},
		{"metadata changed", same(func(o *object) { o.metadata["reel"] = "1" }), "metadata", ""},
		{"metadata gained", same(func(o *object) { o.metadata["mtime"] = "1" }), "", "metadata mtime"},
		{"tag gained", same(func(o *object) { o.tags["x"] = "1" }), "", "tag x"},
		{"tags lost", same(func(o *object) { o.tags = map[string]string{} }), "tags", ""},
	} {
		got, gained := differences(src, c.replica)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s: differences = %q, want %q", c.name, got, c.want)
		}
		if c.gained == "" && gained != "" || c.gained != "" && !strings.Contains(gained, c.gained) {
			t.Errorf("%s: gained = %q, want %q", c.name, gained, c.gained)
		}
	}
	if got := seededWrong(src, 1); got != "" {
		t.Errorf("seededWrong(seeded) = %q", got)
	}
	if got := seededWrong(same(func(o *object) { o.tags = nil }), 1); got == "" {
		t.Error("seededWrong accepted a source without its tags")
	}
	extra := same(nil)
	extra["movies/reel9.mov"] = extra["movies/reel0.mov"]
	if got, _ := differences(src, extra); !strings.Contains(got, "reel9.mov is not in the source") {
		t.Errorf("differences with an extra object = %q", got)
	}
	if got := seededWrong(same(func(o *object) { o.tags["reel"] = "1" }), 1); got == "" {
		t.Error("seededWrong accepted a reel tag unlike the reel metadata")
	}
	if got := seededWrong(src, 2); got == "" {
		t.Error("seededWrong accepted a missing object")
	}
}
