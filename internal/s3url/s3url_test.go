package s3url

import (
	"errors"
	"net/url"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    URL
		wantErr bool
	}{
		{in: "s3://media", want: URL{Bucket: "media"}},
		{in: "s3://media/", want: URL{Bucket: "media"}},
		{in: "s3://media/frames", want: URL{Bucket: "media", Prefix: "frames/"}},
		{in: "s3://media/frames/", want: URL{Bucket: "media", Prefix: "frames/"}},
		{in: "s3://media/a b/c", want: URL{Bucket: "media", Prefix: "a b/c/"}},
		{in: "s3://media//x", want: URL{Bucket: "media", Prefix: "/x/"}},
		{in: "media/frames", wantErr: true},
		{in: "s3:/media", wantErr: true},
		{in: "s3://", wantErr: true},
		{in: "s3:///frames", wantErr: true},
		{in: "s3://ab", wantErr: true},
		{in: "s3://bad bucket/x", wantErr: true},
		{in: "https://media/x", wantErr: true},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr {
			if err == nil || !errors.Is(err, ErrBadURL) {
				t.Errorf("Parse(%q) = %v, %v; want ErrBadURL", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestOverlaps(t *testing.T) {
	p := func(s string) URL {
		u, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"s3://mmm", "s3://mmm", true},
		{"s3://mmm", "s3://mmm/replica", true},
		{"s3://mmm/a", "s3://mmm/a/b", true},
		{"s3://mmm/a", "s3://mmm/ab", false},
		{"s3://mmm/a", "s3://nnn/a", false},
		{"s3://mmm/a", "s3://mmm/b", false},
	} {
		if got := Overlaps(p(tc.a), p(tc.b)); got != tc.want {
			t.Errorf("Overlaps(%s, %s) = %v", tc.a, tc.b, got)
		}
		if got := Overlaps(p(tc.b), p(tc.a)); got != tc.want {
			t.Errorf("Overlaps(%s, %s) = %v", tc.b, tc.a, got)
		}
	}
}

func TestEscapeKeyRoundTrips(t *testing.T) {
	for _, key := range []string{"a b", "a+b", "100%", "what?", "#1", "ünï/cödé", "/lead", "a//b", "trail/", "plain-key_1.txt~", ""} {
		esc := EscapeKey(key)
		if got, err := url.PathUnescape(esc); err != nil || got != key {
			t.Errorf("PathUnescape(EscapeKey(%q)=%q) = %q, %v", key, esc, got, err)
		}
		if got, err := url.QueryUnescape(esc); err != nil || got != key {
			t.Errorf("QueryUnescape(EscapeKey(%q)=%q) = %q, %v", key, esc, got, err)
		}
	}
	if got := EscapeKey("a b+c"); got != "a%20b%2Bc" {
		t.Errorf("EscapeKey = %q", got)
	}
	if got := CopySource("b", "x y", "v1"); got != "b/x%20y?versionId=v1" {
		t.Errorf("CopySource = %q", got)
	}
}
