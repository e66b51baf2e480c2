package extsort

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// rec is the test record: a key and its insertion index, so a test can
// check that equal keys keep insertion order.
type rec struct {
	Key string
	N   int64
}

func byKey(a, b rec) int { return strings.Compare(a.Key, b.Key) }

// recCodec encodes a rec as uvarint(len(key)) key uint64(N): a key of
// under 128 bytes takes len(key)+9 bytes.
type recCodec struct{}

func (recCodec) Append(dst []byte, v rec) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(v.Key)))
	dst = append(dst, v.Key...)
	return binary.BigEndian.AppendUint64(dst, uint64(v.N))
}

var errShort = errors.New("short record")

func (recCodec) Decode(src []byte) (rec, error) {
	l, n := binary.Uvarint(src)
	if n <= 0 || uint64(len(src)-n) != l+8 {
		return rec{}, errShort
	}
	src = src[n:]
	return rec{Key: string(src[:l]), N: int64(binary.BigEndian.Uint64(src[l:]))}, nil
}

// sortAll adds recs to a new Sorter and returns what Sorted yields, with
// the Sorter (closed by the test's cleanup).
func sortAll(t *testing.T, recs []rec, opts Options) ([]rec, *Sorter[rec]) {
	t.Helper()
	s := newSorter(t, opts)
	for _, r := range recs {
		if err := s.Add(r); err != nil {
			t.Fatalf("Add: %v", err)
		}
	}
	var out []rec
	for r, err := range s.Sorted(context.Background()) {
		if err != nil {
			t.Fatalf("Sorted: %v", err)
		}
		out = append(out, r)
	}
	return out, s
}

// newSorter returns a Sorter of recs whose temp dir is under a test dir
// (unless opts.Dir is set), closed at the end of the test.
func newSorter(t *testing.T, opts Options) *Sorter[rec] {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := New(byKey, Codec[rec](recCodec{}), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// runFiles lists the run files under parent (in the sorter's temp dir).
func runFiles(t *testing.T, parent string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(parent, "backfill-extsort-*", "run-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// tempDirs lists the sorter temp dirs under parent.
func tempDirs(t *testing.T, parent string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(parent, "backfill-extsort-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
