package main

import (
	"strings"
	"testing"
)

func TestCompareReportsLostHeaders(t *testing.T) {
	src := map[string]listed{"a": {1, "e1"}, "b": {2, "e2"}, "c": {3, "e3"}}
	srcHeads := map[string]headed{
		"a": {"image/jpeg", map[string]string{"show": "s01"}},
		"b": {"image/jpeg", map[string]string{"show": "s01"}},
	}
	for _, tc := range []struct {
		name     string
		replica  map[string]headed
		complete bool
		lost     int
	}{
		{"kept", map[string]headed{
			"a": {"image/jpeg", map[string]string{"show": "s01"}},
			"b": {"image/jpeg", map[string]string{"show": "s01"}},
		}, true, 0},
		{"metadata dropped", map[string]headed{
			"a": {"image/jpeg", nil},
			"b": {"image/jpeg", map[string]string{"show": "s01"}},
		}, false, 1},
		{"content type replaced", map[string]headed{
			"a": {"binary/octet-stream", map[string]string{"show": "s01"}},
			"b": {"image/jpeg", map[string]string{"show": "s02"}},
		}, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := compare(src, src)
			c.compareHeads(srcHeads, tc.replica)
			if c.complete() != tc.complete || c.lost != tc.lost || c.sampled != 2 || c.failed() != tc.lost {
				t.Fatalf("complete %v lost %d sampled %d failed %d, want %v %d 2 %d (%s)",
					c.complete(), c.lost, c.sampled, c.failed(), tc.complete, tc.lost, tc.lost, c)
			}
			if !tc.complete && !strings.Contains(c.String(), "sampled lost Content-Type or metadata") {
				t.Fatalf("String() = %q", c)
			}
		})
	}
}

func TestCompareCountsMissingAndDiffering(t *testing.T) {
	src := map[string]listed{"a": {1, "e1"}, "b": {2, "e2"}, "c": {3, "e3"}}
	replica := map[string]listed{"a": {1, "e1"}, "b": {2, "other"}, "x": {1, "e"}}
	c := compare(src, replica)
	if c.missing != 1 || c.differ != 1 || c.extra != 1 || c.complete() || c.failed() != 2 {
		t.Fatalf("%+v", c)
	}
	// A missing key is not asked by HeadObject, so it is not counted twice.
	c.compareHeads(map[string]headed{"c": {"image/jpeg", nil}}, map[string]headed{})
	if c.sampled != 0 || c.lost != 0 || c.failed() != 2 {
		t.Fatalf("%+v", c)
	}
}

func TestSampleKeysTakesEveryHundredthInKeyOrder(t *testing.T) {
	src := map[string]listed{}
	for _, o := range mediaMix(250, 1, 2, 7) {
		src[o.key] = listed{}
	}
	keys := sampleKeys(src)
	if len(keys) != 3 {
		t.Fatalf("%d keys sampled of 250, want 3", len(keys))
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Fatalf("not in key order: %q", keys)
		}
	}
}
