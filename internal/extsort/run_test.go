package extsort

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestCorruptRun damages one run file between adding and sorting: every
// kind of damage is a *RunError naming the file and wrapping ErrCorrupt.
func TestCorruptRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
		detail string
	}{
		{"truncated mid-record", func(b []byte) []byte { return b[:len(b)/2] }, "truncated record"},
		{"truncated to the header", func(b []byte) []byte { return b[:len(runMagic)] }, "no trailer"},
		{"cut at a record boundary", func(b []byte) []byte { return b[:len(runMagic)+1+4+17] }, "no trailer"},
		{"empty file", func(b []byte) []byte { return nil }, "bad header"},
		{"bad header", func(b []byte) []byte { b[0] = 'X'; return b }, "bad header"},
		{"flipped bit", func(b []byte) []byte { b[len(runMagic)+1+4+3] ^= 1; return b }, "checksum mismatch"},
		{"record length past the end", func(b []byte) []byte { copy(b[len(runMagic):], "\xff\xff\x7f"); return b }, "past the end"},
		{"trailer count off", func(b []byte) []byte { b[len(b)-1]++; return b }, "trailer counts"},
		{"bytes after the trailer", func(b []byte) []byte { return append(b, 0) }, "after the trailer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			// 8-byte keys encode in 17 bytes: runs of 30 records, FanIn
			// 64, so the damaged file is read by the final merge.
			s := newSorter(t, Options{Dir: parent, MemoryBytes: 30 * 57})
			for _, r := range fixed(100, 8) {
				if err := s.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			runs := runFiles(t, parent)
			if len(runs) != 3 {
				t.Fatalf("%d runs, want 3", len(runs))
			}
			victim := runs[1]
			b, err := os.ReadFile(victim)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(victim, tc.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			var last error
			for _, err := range s.Sorted(context.Background()) {
				last = err
			}
			var re *RunError
			if !errors.As(last, &re) || re.Path != victim || !errors.Is(last, ErrCorrupt) ||
				!strings.Contains(last.Error(), victim) || !strings.Contains(last.Error(), tc.detail) {
				t.Fatalf("got %v, want a RunError on %s saying %q", last, victim, tc.detail)
			}
			if d := tempDirs(t, parent); len(d) != 0 {
				t.Errorf("left %v", d)
			}
		})
	}
}

// badCodec writes records its Decode refuses.
type badCodec struct{ recCodec }

func (badCodec) Decode([]byte) (rec, error) { return rec{}, errShort }

func TestDecodeErrorNamesFile(t *testing.T) {
	s, err := New(byKey, Codec[rec](badCodec{}), Options{Dir: t.TempDir(), MemoryBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, r := range fixed(10, 8) {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	var last error
	for _, err := range s.Sorted(context.Background()) {
		last = err
	}
	var re *RunError
	if !errors.As(last, &re) || !errors.Is(last, errShort) || errors.Is(last, ErrCorrupt) ||
		!strings.Contains(re.Path, "run-") {
		t.Fatalf("got %v, want a RunError wrapping the codec's error", last)
	}
}
