package engine

import "testing"

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		inc, exc []string
		key      string
		want     bool
	}{
		{nil, nil, "anything/at/all", true},
		{[]string{"*.exr"}, nil, "shot1/frame.0001.exr", true},
		{[]string{"*.exr"}, nil, "shot1/frame.0001.jpg", false},
		{nil, []string{"*.tmp"}, "a/b.tmp", false},
		{nil, []string{"*.tmp"}, "a/b.tmpx", true},
		{[]string{"thumbs/*"}, []string{"*/small/*"}, "thumbs/small/x.jpg", false},
		{[]string{"thumbs/*"}, []string{"*/small/*"}, "thumbs/big/x.jpg", true},
		{[]string{"frame.000?.exr"}, nil, "frame.0007.exr", true},
		{[]string{"frame.000?.exr"}, nil, "frame.00077.exr", false},
		{[]string{"[ab]*"}, nil, "b/x", true},
		{[]string{"[!ab]*"}, nil, "b/x", false},
		{[]string{"[0-9]*"}, nil, "7x", true},
		{[]string{`a\*b`}, nil, "a*b", true},
		{[]string{`a\*b`}, nil, "axb", false},
		{[]string{"a.b"}, nil, "axb", false},
		{[]string{"(x)+"}, nil, "(x)+", true},
		// Characters outside ASCII are characters, not bytes (FuzzFilter).
		{[]string{"ünï*"}, nil, "ünï/cödé", true},
		{[]string{`\é`}, nil, "é", true},
		{[]string{"[éa]"}, nil, "é", true},
		{[]string{"?.exr"}, nil, "€.exr", true},
		{[]string{"?.exr"}, nil, "é€.exr", false},
		{[]string{"[à-é]"}, nil, "ä", true},
	} {
		f, err := NewFilter(tc.inc, tc.exc)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(tc.key); got != tc.want {
			t.Errorf("include %q exclude %q: Match(%q) = %v, want %v", tc.inc, tc.exc, tc.key, got, tc.want)
		}
	}
	// "[!]" is an empty negated set, never the start of a set holding "]"
	// (FuzzFilter: "[!][0]" compiled to "one character but ], [ or 0").
	for _, bad := range []string{"[abc", `x\`, "[]", "[!]", "[!][0]", "[^]x]", "\xa5", "a\xffb"} {
		if _, err := NewFilter([]string{bad}, nil); err == nil {
			t.Errorf("NewFilter(%q) accepted a bad pattern", bad)
		}
	}
}
