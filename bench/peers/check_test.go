package main

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

func meta(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestCompareHeadsCountsLostAndGainedHeaders(t *testing.T) {
	src := map[string]listed{"a": {1, "e1"}, "b": {2, "e2"}, "c": {3, "e3"}}
	srcHeads := map[string]headed{
		"a": {"image/jpeg", meta("show", "s01")},
		"b": {"image/jpeg", meta("show", "s01")},
	}
	for _, tc := range []struct {
		name           string
		replica        map[string]headed
		complete       bool
		lost, gained   int
		stringContains string
	}{
		{"kept", map[string]headed{
			"a": {"image/jpeg", meta("show", "s01")},
			"b": {"image/jpeg", meta("show", "s01")},
		}, true, 0, 0, "yes"},
		{"metadata dropped", map[string]headed{
			"a": {"image/jpeg", nil},
			"b": {"image/jpeg", meta("show", "s01")},
		}, false, 1, 0, "1 of 2 sampled lost Content-Type or metadata"},
		{"content type and a value replaced", map[string]headed{
			"a": {"binary/octet-stream", meta("show", "s01")},
			"b": {"image/jpeg", meta("show", "s02")},
		}, false, 2, 0, "2 of 2 sampled lost"},
		{"a key added, as rclone's mtime", map[string]headed{
			"a": {"image/jpeg", meta("show", "s01", "mtime", "1764680000.5")},
			"b": {"image/jpeg", meta("show", "s01")},
		}, true, 0, 1, "yes; 1 of 2 sampled gained user metadata (e.g. mtime)"},
		{"a key added and one lost", map[string]headed{
			"a": {"image/jpeg", meta("mtime", "1764680000.5")},
			"b": {"image/jpeg", meta("show", "s01")},
		}, false, 1, 0, "1 of 2 sampled lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := compare(src, src)
			c.compareHeads(srcHeads, tc.replica)
			if c.complete() != tc.complete || c.lost != tc.lost || c.gained != tc.gained || c.sampled != 2 || c.failed() != 0 {
				t.Fatalf("complete %v lost %d gained %d sampled %d failed %d, want %v %d %d 2 0 (%s)",
					c.complete(), c.lost, c.gained, c.sampled, c.failed(), tc.complete, tc.lost, tc.gained, c)
			}
			if !strings.Contains(c.String(), tc.stringContains) {
				t.Fatalf("String() = %q, want it to contain %q", c, tc.stringContains)
			}
		})
	}
}

func TestCompareCountsNoObjectTwice(t *testing.T) {
	src := map[string]listed{"a": {1, "e1"}, "b": {2, "e2"}, "c": {3, "e3"}}
	replica := map[string]listed{"a": {1, "e1"}, "b": {2, "other"}, "x": {1, "e"}}
	c := compare(src, replica)
	if c.missing != 1 || c.differ != 1 || c.extra != 1 || c.complete() || c.failed() != 2 {
		t.Fatalf("%+v", c)
	}
	// b differs by ETag and lost its headers, c is missing: neither is
	// counted again by the header check, which asks about a only.
	c.compareHeads(
		map[string]headed{"a": {"image/jpeg", nil}, "b": {"image/jpeg", meta("show", "s01")}, "c": {"image/jpeg", nil}},
		map[string]headed{"a": {"image/jpeg", nil}, "b": {"", nil}})
	if c.sampled != 1 || c.lost != 0 || c.failed() != 2 {
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

func TestUserMetadataIsTheJSONOfSeedMetadata(t *testing.T) {
	for _, key := range []string{"shows/s01/e02/frames/000001.dpx", "thumbs/s03/e10/000002.jpg", "x"} {
		var got map[string]string
		if err := json.Unmarshal([]byte(userMetadata(key)), &got); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, seedMetadata(key)) || got["origin"] != "bench" {
			t.Fatalf("%s: %v, want %v", key, got, seedMetadata(key))
		}
	}
	if m := seedMetadata("editorial/s02/e05/note-000003.pdf"); m["show"] != "s02" || m["episode"] != "e05" {
		t.Fatalf("%v", m)
	}
}

func TestCompleteTextNamesGainedKeys(t *testing.T) {
	kept := check{objects: 2, sampled: 2}
	gained := check{objects: 2, sampled: 2, gained: 1, gainedEg: "mtime"}
	lost := check{objects: 2, sampled: 2, lost: 1}
	for _, tc := range []struct {
		ss   []sample
		want string
	}{
		{[]sample{{chk: kept}, {chk: kept}}, "yes"},
		{[]sample{{chk: kept}, {chk: gained}}, "yes; 1 of 2 sampled gained user metadata (e.g. mtime)"},
		{[]sample{{chk: gained}, {chk: lost}}, "**1 of 2 runs incomplete**, no: 0 missing, 0 differ, 1 of 2 sampled lost Content-Type or metadata"},
	} {
		if got := completeText(tc.ss); got != tc.want {
			t.Errorf("completeText = %q, want %q", got, tc.want)
		}
	}
}
