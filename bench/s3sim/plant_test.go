package s3sim

import (
	"testing"
	"time"
)

func TestPutAndDeletePlantObjects(t *testing.T) {
	s := New(Options{})
	if err := s.Seed("b", 3, func(i int) (string, int64) { return []string{"a", "b", "c"}[i], 10 }); err != nil {
		t.Fatal(err)
	}
	when := time.Unix(1e9, 0).UTC()
	if err := s.Put("b", Object{Key: "b", Size: 10, ETag: `"0123456789abcdef0123456789abcdef"`, LastModified: when}); err != nil {
		t.Fatal(err)
	}
	s.Delete("b", "c")
	if err := s.Put("b", Object{Key: "d", Size: 1, ETag: `"0123456789abcdef0123456789abcdef-2"`, LastModified: when}); err != nil {
		t.Fatal(err)
	}
	if o, ok := s.Lookup("b", "b"); !ok || o.ETag != `"0123456789abcdef0123456789abcdef"` || !o.LastModified.Equal(when) {
		t.Errorf("b: %+v", o)
	}
	if _, ok := s.Lookup("b", "c"); ok || s.Len("b") != 3 {
		t.Errorf("c not deleted, or %d objects", s.Len("b"))
	}
	if err := s.Put("b", Object{Key: "e", ETag: "nope"}); err == nil {
		t.Error("a bad ETag was taken")
	}
}

func TestCeilingCountsEveryRequest(t *testing.T) {
	s := New(Options{})
	s.SetCeiling(100, 10)
	n := 0
	for range 50 {
		if s.ceil.allow() {
			n++
		}
	}
	if n < 10 || n > 11 { // the burst, and what refilled meanwhile
		t.Errorf("%d of 50 at once allowed, want the burst of 10", n)
	}
	s.SetCeiling(0, 0)
	if !s.ceil.allow() {
		t.Error("no ceiling refused a request")
	}
}
