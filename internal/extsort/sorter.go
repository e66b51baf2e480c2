package extsort

import (
	"bufio"
	"context"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// Codec turns a record into bytes and back, for the run files.
//
// Append appends the encoding of v to dst and returns the extended slice.
// Decode decodes one record from exactly the bytes Append produced (the
// sorter keeps the length). src is reused once Decode returns: the record
// must not point into it (string(src[i:j]) copies).
type Codec[T any] interface {
	Append(dst []byte, v T) []byte
	Decode(src []byte) (T, error)
}

// Stats count what a Sorter did.
type Stats struct {
	Records      int64 // added
	Runs         int   // sorted runs written while adding (0: all fit in memory)
	Merges       int   // merges of runs into a new run before the last merge
	BytesWritten int64 // to run files, merges included
}

type state int

const (
	adding state = iota
	sorted
	closed
)

// Sorter sorts records of type T in memory bounded by Options.MemoryBytes,
// spilling sorted runs to a private temporary directory. Add the records,
// range over Sorted once, then Close. A Sorter is not safe for concurrent
// use.
type Sorter[T any] struct {
	cmp   func(a, b T) int
	codec Codec[T]
	opts  Options

	buf     []T     // records not yet in a run, in insertion order
	order   []int32 // indexes of buf in sorted order, once sorted
	used    int64   // their cost against opts.MemoryBytes
	scratch []byte
	w       *bufio.Writer // shared by every run written

	dir     string   // the private temp dir, made at the first spill
	runs    []string // run files, oldest records first
	nextRun int      // names run files
	state   state
	err     error // sticky: a failed spill ends the sort
	stats   Stats
}

// New returns a Sorter ordering records by cmp (negative when a sorts
// before b, as slices.SortFunc takes), encoded by codec in run files. It
// touches no disk until the first run is written.
func New[T any](cmp func(a, b T) int, codec Codec[T], opts Options) (*Sorter[T], error) {
	if cmp == nil || codec == nil {
		return nil, fmt.Errorf("extsort: New needs a compare func and a codec")
	}
	o, err := withDefaults[T](opts)
	if err != nil {
		return nil, err
	}
	return &Sorter[T]{cmp: cmp, codec: codec, opts: o}, nil
}

// Add buffers v. When v would take the buffer past the budget, the buffer
// is first sorted and written as a run; a record larger than the whole
// budget makes a run of its own. An error writing a run is returned by
// this and every later call.
func (s *Sorter[T]) Add(v T) error {
	if err := s.usable(); err != nil {
		return err
	}
	s.scratch = s.codec.Append(s.scratch[:0], v)
	cost := int64(len(s.scratch)) + s.opts.RecordOverhead
	if len(s.buf) > 0 && s.used+cost > s.opts.MemoryBytes || len(s.buf) == math.MaxInt32 {
		if err := s.spill(); err != nil {
			s.err = err
			return err
		}
	}
	s.buf = append(s.buf, v)
	s.used += cost
	s.stats.Records++
	return nil
}

// usable says why the Sorter takes no more records, if it does not.
func (s *Sorter[T]) usable() error {
	switch {
	case s.state == closed:
		return ErrClosed
	case s.err != nil:
		return s.err
	case s.state == sorted:
		return ErrSorted
	}
	return nil
}

// spill sorts the buffer and writes it as the next run.
func (s *Sorter[T]) spill() error {
	rw, err := s.createRun()
	if err != nil {
		return err
	}
	for _, i := range s.sortBuf() {
		s.scratch = s.codec.Append(s.scratch[:0], s.buf[i])
		if err := rw.write(s.scratch); err != nil {
			rw.abort()
			return err
		}
	}
	if err := rw.finish(); err != nil {
		os.Remove(rw.path)
		return err
	}
	s.runs = append(s.runs, rw.path)
	s.stats.Runs++
	s.stats.BytesWritten += rw.bytes
	clear(s.buf) // let the records' strings go
	s.buf, s.used = s.buf[:0], 0
	return nil
}

// sortBuf returns the indexes of the buffered records in sorted order.
// Sorting indexes with ties broken by index is stable, and each swap
// moves 4 bytes instead of a T (slices.SortStableFunc was 3x slower).
func (s *Sorter[T]) sortBuf() []int32 {
	s.order = s.order[:0]
	for i := range s.buf {
		s.order = append(s.order, int32(i))
	}
	slices.SortFunc(s.order, func(a, b int32) int {
		if c := s.cmp(s.buf[a], s.buf[b]); c != 0 {
			return c
		}
		return int(a) - int(b)
	})
	return s.order
}

// createRun creates the next run file, and the temp dir at first use.
func (s *Sorter[T]) createRun() (*runWriter, error) {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.opts.Dir, "backfill-extsort-*") // 0700
		if err != nil {
			return nil, fmt.Errorf("extsort: %w", err)
		}
		s.dir = dir
		s.w = bufio.NewWriterSize(nil, s.opts.BufferBytes)
	}
	s.nextRun++
	return createRun(filepath.Join(s.dir, fmt.Sprintf("run-%06d", s.nextRun)), s.w)
}

// Sorted ends adding and returns the records in cmp order, records that
// compare equal in the order they were added. It is single use: calling
// it or ranging over its result a second time yields ErrSorted.
//
// An error (a corrupt run, ctx done, Close called) is yielded once, with
// the zero T, and ends the sequence. Breaking out of the loop is a clean
// early stop. Either way, when the loop ends every run file is closed and
// removed and the buffered records are dropped.
func (s *Sorter[T]) Sorted(ctx context.Context) iter.Seq2[T, error] {
	err := s.usable()
	if err == nil {
		s.state = sorted
	}
	return func(yield func(T, error) bool) {
		var zero T
		switch {
		case err != nil:
			yield(zero, err)
			return
		case s.state == closed:
			yield(zero, ErrClosed)
			return
		}
		err = ErrSorted // for a second range
		defer func() {
			s.buf, s.order = nil, nil
			s.removeRuns()
		}()
		if err := s.merge(ctx, yield); err != nil {
			yield(zero, err)
		}
	}
}

// Stats returns what the Sorter did so far.
func (s *Sorter[T]) Stats() Stats { return s.stats }

// Close drops the buffered records and removes the temp dir and every
// file in it. It may be called at any time, more than once; an iteration
// under way yields ErrClosed at its next record.
func (s *Sorter[T]) Close() error {
	s.state = closed
	s.buf, s.order, s.scratch = nil, nil, nil
	return s.removeRuns()
}

// removeRuns removes the temp dir (with its runs), if any.
func (s *Sorter[T]) removeRuns() error {
	s.runs = nil
	if s.dir == "" {
		return nil
	}
	dir := s.dir
	s.dir = ""
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("extsort: remove temp dir: %w", err)
	}
	return nil
}
