package extsort

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
)

// seq yields keys as recs (N their index), then err if not nil; stopped
// is set once the sequence's cleanup ran.
func seq(keys []string, err error, stopped *bool) iter.Seq2[rec, error] {
	return func(yield func(rec, error) bool) {
		defer func() {
			if stopped != nil {
				*stopped = true
			}
		}()
		for i, k := range keys {
			if !yield(rec{Key: k, N: int64(i)}, nil) {
				return
			}
		}
		if err != nil {
			yield(rec{}, err)
		}
	}
}

func recKey(r rec) string { return r.Key }

// joined renders what fn saw: "k:a" (a only), "k:b", "k:ab".
func join(a, b iter.Seq2[rec, error], fail string) ([]string, error) {
	var got []string
	err := JoinByKey(a, b, recKey, recKey, func(k string, ra, rb *rec) error {
		s := k + ":"
		if ra != nil {
			s += "a"
		}
		if rb != nil {
			s += "b"
		}
		got = append(got, s)
		if k == fail {
			return errFn
		}
		return nil
	})
	return got, err
}

var (
	errFn    = errors.New("fn says stop")
	errInput = errors.New("input broke")
)

func TestJoinByKey(t *testing.T) {
	for _, tc := range []struct {
		name    string
		a, b    []string
		errA    error
		fail    string // fn fails on this key
		want    []string
		wantErr error
	}{
		{"both empty", nil, nil, nil, "", nil, nil},
		{"a only", []string{"x", "y"}, nil, nil, "", []string{"x:a", "y:a"}, nil},
		{"b only", nil, []string{"x"}, nil, "", []string{"x:b"}, nil},
		{"interleaved", []string{"a", "c", "d", "f"}, []string{"b", "c", "e", "f", "g"}, nil, "",
			[]string{"a:a", "b:b", "c:ab", "d:a", "e:b", "f:ab", "g:b"}, nil},
		{"byte order, not locale", []string{"B", "a", "\xc3\xa9"}, []string{"a", "b"}, nil, "",
			[]string{"B:a", "a:ab", "b:b", "\xc3\xa9:a"}, nil},
		{"a goes backwards", []string{"a", "c", "b"}, []string{"a", "b", "c"}, nil, "",
			[]string{"a:ab", "b:b", "c:ab"}, ErrUnsorted}, // found on reading past c
		{"b repeats a key", []string{"a", "b"}, []string{"a", "a"}, nil, "",
			[]string{"a:ab"}, ErrDuplicateKey},
		{"input error", []string{"a", "b"}, []string{"c"}, errInput, "",
			[]string{"a:a", "b:a"}, errInput},
		{"fn error", []string{"a", "b", "c"}, []string{"b"}, nil, "b",
			[]string{"a:a", "b:ab"}, errFn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stoppedA, stoppedB bool
			got, err := join(seq(tc.a, tc.errA, &stoppedA), seq(tc.b, nil, &stoppedB), tc.fail)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if !stoppedA || !stoppedB {
				t.Errorf("inputs not stopped: a %v, b %v", stoppedA, stoppedB)
			}
		})
	}
}

func TestJoinOrderErrorSaysWhere(t *testing.T) {
	_, err := join(seq([]string{"a"}, nil, nil), seq([]string{"a", "c", "b"}, nil, nil), "")
	var oe *OrderError
	if !errors.As(err, &oe) || oe.Input != "b" || oe.Index != 2 || oe.Prev != "c" || oe.Key != "b" {
		t.Fatalf("got %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"b" after "c"`) || !strings.Contains(msg, "input b") {
		t.Errorf("message %q", msg)
	}
}

// TestJoinSorted joins two unsorted sets through two Sorters, as verify
// will: every key comes once, on the sides that have it.
func TestJoinSorted(t *testing.T) {
	const n = 3000
	sa := newSorter(t, Options{MemoryBytes: 4 << 10})
	sb := newSorter(t, Options{MemoryBytes: 4 << 10})
	for i := range n {
		k := fmt.Sprintf("k%05d", (i*7919)%n) // a permutation of 0..n-1
		if i%3 != 0 {
			sa.Add(rec{Key: k})
		}
		if i%5 != 0 {
			sb.Add(rec{Key: k})
		}
	}
	counts := map[string]int{}
	prev := ""
	err := JoinByKey(sa.Sorted(t.Context()), sb.Sorted(context.Background()), recKey, recKey,
		func(k string, a, b *rec) error {
			if k <= prev {
				return fmt.Errorf("%q after %q", k, prev)
			}
			prev = k
			counts[fmt.Sprint(a != nil, b != nil)]++
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// i%3==0 lacks a, i%5==0 lacks b; i%15==0 is in neither.
	want := map[string]int{"true true": n - n/3 - n/5 + n/15, "true false": n/5 - n/15, "false true": n/3 - n/15}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", counts, want)
	}
}
