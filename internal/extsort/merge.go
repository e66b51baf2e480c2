package extsort

import (
	"container/heap"
	"context"
	"errors"
	"io"
	"os"
	"slices"
)

// checkEvery is how many records pass between two looks at ctx and Close.
const checkEvery = 1024

// source is one sorted input of a merge: a run file or the memory tail.
type source[T any] interface {
	next() (T, error) // io.EOF after the last record
	close() error
}

// memSource yields the records in memory in sorted order.
type memSource[T any] struct {
	recs  []T
	order []int32 // indexes of recs, sorted
	i     int
}

func (m *memSource[T]) next() (T, error) {
	if m.i == len(m.order) {
		var zero T
		return zero, io.EOF
	}
	m.i++
	return m.recs[m.order[m.i-1]], nil
}

func (m *memSource[T]) close() error { return nil }

// head is a source's current record; rank is the source's place in
// insertion order, which breaks ties so the merge is stable.
type head[T any] struct {
	v    T
	rank int
}

// mergeHeap is a min-heap of the sources' heads, for container/heap.
type mergeHeap[T any] struct {
	items []head[T]
	cmp   func(a, b T) int
}

func (h *mergeHeap[T]) Len() int      { return len(h.items) }
func (h *mergeHeap[T]) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap[T]) Less(i, j int) bool {
	if c := h.cmp(h.items[i].v, h.items[j].v); c != 0 {
		return c < 0
	}
	return h.items[i].rank < h.items[j].rank
}
func (h *mergeHeap[T]) Push(x any) { h.items = append(h.items, x.(head[T])) }
func (h *mergeHeap[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// merger k-way merges sources given in insertion order.
type merger[T any] struct {
	h    mergeHeap[T]
	srcs []source[T]
}

// newMerger reads each source's first record. On error the sources are
// closed.
func newMerger[T any](srcs []source[T], cmp func(a, b T) int) (*merger[T], error) {
	m := &merger[T]{h: mergeHeap[T]{cmp: cmp, items: make([]head[T], 0, len(srcs))}, srcs: srcs}
	for i, src := range srcs {
		v, err := src.next()
		if err == io.EOF {
			continue
		}
		if err != nil {
			m.close()
			return nil, err
		}
		m.h.items = append(m.h.items, head[T]{v, i})
	}
	heap.Init(&m.h)
	return m, nil
}

// next returns the least record, or io.EOF when every source is done.
func (m *merger[T]) next() (T, error) {
	if len(m.h.items) == 0 {
		var zero T
		return zero, io.EOF
	}
	top := m.h.items[0]
	v, err := m.srcs[top.rank].next()
	switch {
	case err == io.EOF:
		heap.Pop(&m.h)
	case err != nil:
		var zero T
		return zero, err
	default:
		m.h.items[0].v = v
		heap.Fix(&m.h, 0)
	}
	return top.v, nil
}

func (m *merger[T]) close() error {
	var errs []error
	for _, src := range m.srcs {
		errs = append(errs, src.close())
	}
	return errors.Join(errs...)
}

// merge yields every record in order: straight from memory when nothing
// was spilled, else by merging the runs and the sorted tail in memory.
func (s *Sorter[T]) merge(ctx context.Context, yield func(T, error) bool) error {
	var src source[T] = &memSource[T]{recs: s.buf, order: s.sortBuf()}
	if len(s.runs) > 0 {
		m, err := s.mergeAll(ctx)
		if err != nil {
			return err
		}
		src = m
	}
	defer src.close()
	for i := 0; ; i++ {
		if i%checkEvery == 0 {
			if err := s.alive(ctx); err != nil {
				return err
			}
		}
		v, err := src.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !yield(v, nil) {
			return nil
		}
	}
}

// mergeAll brings the runs within the fan-in (the tail counting as one)
// and returns the merger of the runs and the tail.
func (s *Sorter[T]) mergeAll(ctx context.Context) (*merger[T], error) {
	tail := 0
	if len(s.buf) > 0 {
		tail = 1
	}
	if err := s.reduce(ctx, tail); err != nil {
		return nil, err
	}
	srcs, err := s.openRuns(s.runs)
	if err != nil {
		return nil, err
	}
	return newMerger(append(srcs, &memSource[T]{recs: s.buf, order: s.order}), s.cmp)
}

// alive says why an iteration must end now, if it must.
func (s *Sorter[T]) alive(ctx context.Context) error {
	if s.state == closed {
		return ErrClosed
	}
	return ctx.Err()
}

// reduce merges runs until, with extra more sources, at most FanIn are
// left. Each merge takes contiguous runs (stability needs neighbours),
// only as many as the excess asks, walking down the list and starting
// again at its head, so the runs are merged about evenly.
func (s *Sorter[T]) reduce(ctx context.Context, extra int) error {
	fan := s.opts.FanIn
	for i := 0; len(s.runs)+extra > fan; i++ {
		k := min(fan, len(s.runs)+extra-fan+1)
		if i+k > len(s.runs) {
			i = 0
		}
		path, err := s.mergeRuns(ctx, s.runs[i:i+k])
		if err != nil {
			return err
		}
		for _, p := range s.runs[i : i+k] {
			os.Remove(p)
		}
		s.runs = slices.Replace(s.runs, i, i+k, path)
		s.stats.Merges++
	}
	return nil
}

// mergeRuns merges the given runs into a new run and returns its path.
func (s *Sorter[T]) mergeRuns(ctx context.Context, paths []string) (string, error) {
	srcs, err := s.openRuns(paths)
	if err != nil {
		return "", err
	}
	m, err := newMerger(srcs, s.cmp)
	if err != nil {
		return "", err
	}
	defer m.close()
	rw, err := s.createRun()
	if err != nil {
		return "", err
	}
	for i := 0; ; i++ {
		if i%checkEvery == 0 {
			if err := s.alive(ctx); err != nil {
				rw.abort()
				return "", err
			}
		}
		v, err := m.next()
		if err == io.EOF {
			break
		}
		if err == nil {
			s.scratch = s.codec.Append(s.scratch[:0], v)
			err = rw.write(s.scratch)
		}
		if err != nil {
			rw.abort()
			return "", err
		}
	}
	if err := rw.finish(); err != nil {
		os.Remove(rw.path)
		return "", err
	}
	s.stats.BytesWritten += rw.bytes
	return rw.path, nil
}

// openRuns opens run files as merge sources; on error none stay open.
func (s *Sorter[T]) openRuns(paths []string) ([]source[T], error) {
	srcs := make([]source[T], 0, len(paths)+1)
	for _, p := range paths {
		rr, err := openRun(p, s.codec, s.opts.BufferBytes)
		if err != nil {
			for _, src := range srcs {
				src.close()
			}
			return nil, err
		}
		srcs = append(srcs, rr)
	}
	return srcs, nil
}
