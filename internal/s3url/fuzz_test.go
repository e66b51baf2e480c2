package s3url

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzParse: a location Parse accepts has a bucket S3 could hold and a
// prefix that is empty or ends in "/", round-trips through String and
// Parse, and maps keys both ways (Rel(Key(k)) == k); a refused one wraps
// ErrBadURL.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"s3://media", "s3://media/", "s3://media/frames", "s3://media/a b/c", "s3://media//x",
		"s3://Legacy_Bucket.1/x/y/", "media/frames", "s3:/media", "s3://", "s3:///frames", "s3://ab", "s3://bad bucket/x",
		"https://media/x", "s3://m\u00e9dia/x", "s3://media/%2F?x#y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("Parse(%q): %v does not wrap ErrBadURL", s, err)
			}
			return
		}
		if checkBucket(u.Bucket) != nil || strings.Contains(u.Bucket, "/") {
			t.Fatalf("Parse(%q) accepted the bucket %q", s, u.Bucket)
		}
		if u.Prefix != "" && !strings.HasSuffix(u.Prefix, "/") {
			t.Fatalf("Parse(%q): prefix %q does not end in /", s, u.Prefix)
		}
		bucket, prefix, _ := strings.Cut(strings.TrimPrefix(s, "s3://"), "/")
		if u.Bucket != bucket || u.Prefix != prefix && u.Prefix != prefix+"/" {
			t.Fatalf("Parse(%q) = %+v, not what it says", s, u)
		}
		v, err := Parse(u.String())
		if err != nil || v != u {
			t.Fatalf("Parse(%q) = %+v; Parse(String() = %q) = %+v, %v", s, u, u.String(), v, err)
		}
		for _, rel := range []string{"", "x", "a/b", s} {
			if got, ok := u.Rel(u.Key(rel)); !ok || got != rel {
				t.Fatalf("%+v: Rel(Key(%q)) = %q, %v", u, rel, got, ok)
			}
		}
	})
}

// FuzzOverlaps: Overlaps is symmetric, true of a location and itself, and
// true exactly when some key lies under both locations.
func FuzzOverlaps(f *testing.F) {
	for _, p := range [][2]string{{"s3://mmm", "s3://mmm"}, {"s3://mmm", "s3://mmm/replica"}, {"s3://mmm/a", "s3://mmm/a/b"},
		{"s3://mmm/a", "s3://mmm/ab"}, {"s3://mmm/a", "s3://nnn/a"}, {"s3://mmm//", "s3://mmm/"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, as, bs string) {
		a, errA := Parse(as)
		b, errB := Parse(bs)
		if errA != nil || errB != nil {
			return
		}
		got := Overlaps(a, b)
		if got != Overlaps(b, a) {
			t.Fatalf("Overlaps(%v, %v) = %v, not symmetric", a, b, got)
		}
		if !Overlaps(a, a) {
			t.Fatalf("Overlaps(%v, itself) = false", a)
		}
		// The longer prefix plus one character is the key both would hold.
		key := a.Prefix + "k"
		if len(b.Prefix) > len(a.Prefix) {
			key = b.Prefix + "k"
		}
		_, inA := a.Rel(key)
		_, inB := b.Rel(key)
		if shared := a.Bucket == b.Bucket && inA && inB; shared != got {
			t.Fatalf("Overlaps(%v, %v) = %v, but key %q under both: %v", a, b, got, key, shared)
		}
	})
}

// FuzzEscapeKey: EscapeKey leaves only unreserved characters and "/", and
// decodes back to the key under path and form decoding; CopySource is
// bucket/escaped-key with the version id in a query that decodes back.
func FuzzEscapeKey(f *testing.F) {
	for _, k := range [][2]string{{"a b", ""}, {"a+b", "v1"}, {"100%", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"},
		{"what?#1", "null"}, {"ünï/cödé", "a b"}, {"/lead//trail/", ""}, {"\x00\xff", "\n"}, {"", ""}} {
		f.Add(k[0], k[1])
	}
	f.Fuzz(func(t *testing.T, key, version string) {
		esc := EscapeKey(key)
		for i := 0; i < len(esc); i++ {
			c := esc[i]
			switch {
			case unreserved(c) || c == '/':
			case c == '%' && i+2 < len(esc) && strings.IndexByte(upperhex, esc[i+1]) >= 0 && strings.IndexByte(upperhex, esc[i+2]) >= 0:
				i += 2
			default:
				t.Fatalf("EscapeKey(%q) = %q leaves %q at %d", key, esc, c, i)
			}
		}
		if got, err := url.PathUnescape(esc); err != nil || got != key {
			t.Fatalf("PathUnescape(EscapeKey(%q) = %q) = %q, %v", key, esc, got, err)
		}
		if got, err := url.QueryUnescape(esc); err != nil || got != key {
			t.Fatalf("QueryUnescape(EscapeKey(%q) = %q) = %q, %v", key, esc, got, err)
		}
		cs := CopySource("media", key, version)
		path, query, hasQuery := strings.Cut(cs, "?")
		if got, err := url.PathUnescape(strings.TrimPrefix(path, "media/")); !strings.HasPrefix(path, "media/") || err != nil || got != key {
			t.Fatalf("CopySource(%q, %q) = %q: the key reads back as %q, %v", key, version, cs, got, err)
		}
		if hasQuery != (version != "") {
			t.Fatalf("CopySource(%q, %q) = %q", key, version, cs)
		}
		if hasQuery {
			q, err := url.ParseQuery(query)
			if err != nil || len(q) != 1 || len(q["versionId"]) != 1 || q.Get("versionId") != version {
				t.Fatalf("CopySource(%q, %q) = %q: query %v, %v", key, version, cs, q, err)
			}
		}
	})
}
