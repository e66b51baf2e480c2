package extsort

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"
)

// invRow is an inventory-like record: the fields copy --dest-inventory and
// verify compare.
type invRow struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
}

// invCodec encodes an invRow as uvarint lengths and varints; Decode makes
// one string of the record and slices both strings from it (one
// allocation per record).
type invCodec struct{}

func (invCodec) Append(dst []byte, r invRow) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(r.Key)))
	dst = append(dst, r.Key...)
	dst = binary.AppendUvarint(dst, uint64(len(r.ETag)))
	dst = append(dst, r.ETag...)
	dst = binary.AppendVarint(dst, r.Size)
	return binary.AppendVarint(dst, r.LastModified.UnixNano())
}

func (invCodec) Decode(src []byte) (invRow, error) {
	s := string(src)
	var r invRow
	kl, n := binary.Uvarint(src)
	if n <= 0 || uint64(len(src)-n) < kl {
		return r, errors.New("bad key")
	}
	r.Key, src, s = s[n:n+int(kl)], src[n+int(kl):], s[n+int(kl):]
	el, n := binary.Uvarint(src)
	if n <= 0 || uint64(len(src)-n) < el {
		return r, errors.New("bad etag")
	}
	r.ETag, src = s[n:n+int(el)], src[n+int(el):]
	r.Size, n = binary.Varint(src)
	if n <= 0 {
		return r, errors.New("bad size")
	}
	nanos, m := binary.Varint(src[n:])
	if m <= 0 {
		return r, errors.New("bad date")
	}
	r.LastModified = time.Unix(0, nanos).UTC()
	return r, nil
}

func byInvKey(a, b invRow) int { return strings.Compare(a.Key, b.Key) }

// invRows returns n rows with ~60-byte keys in a scattered order.
func invRows(n int) []invRow {
	rows := make([]invRow, n)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		k := uint64(i) * 2654435761 % (1 << 32)
		rows[i] = invRow{
			Key:          fmt.Sprintf("data/tenant-%04d/2024/%02d/%02d/object-%012d.parquet", k%1000, k%12+1, k%28+1, k),
			Size:         int64(k % (1 << 30)),
			ETag:         fmt.Sprintf("\"%032x\"", k*k),
			LastModified: t0.Add(time.Duration(k) * time.Second),
		}
	}
	return rows
}

// BenchmarkSortInventory sorts 1M inventory-like rows at a 16 MiB budget
// (about 8 runs and one merge), reading every row back.
func BenchmarkSortInventory(b *testing.B) {
	const n = 1_000_000
	rows := invRows(n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := New(byInvKey, Codec[invRow](invCodec{}), Options{MemoryBytes: 16 << 20, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if err := s.Add(r); err != nil {
				b.Fatal(err)
			}
		}
		got := 0
		for _, err := range s.Sorted(context.Background()) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("got %d rows", got)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkJoinByKey joins 1M keys with 2M keys (every other one shared):
// the cost of the join itself, iter.Pull2 on both sides included.
func BenchmarkJoinByKey(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, 2*n)
	for i := range keys {
		keys[i] = fmt.Sprintf("data/%012d", i)
	}
	every := func(step int) iter.Seq2[rec, error] {
		return func(yield func(rec, error) bool) {
			for i := 0; i < len(keys); i += step {
				if !yield(rec{Key: keys[i]}, nil) {
					return
				}
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		both := 0
		err := JoinByKey(every(2), every(1), recKey, recKey, func(_ string, a, b *rec) error {
			if a != nil && b != nil {
				both++
			}
			return nil
		})
		if err != nil || both != n {
			b.Fatalf("%d pairs, %v", both, err)
		}
	}
	b.ReportMetric(float64(2*n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}
