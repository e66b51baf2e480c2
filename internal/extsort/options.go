package extsort

import (
	"errors"
	"fmt"
	"reflect"
)

// Defaults for the zero fields of Options.
const (
	// DefaultMemoryBytes is the records' budget in memory: big enough that
	// a run holds about a million inventory rows, small enough for a
	// laptop running two sorts at once.
	DefaultMemoryBytes = 64 << 20
	// DefaultFanIn bounds the runs merged at once. 64 readers of
	// DefaultBufferBytes take 4 MiB and 64 open files; 64 runs of 64 MiB
	// (4 GiB of records) still merge in one pass.
	DefaultFanIn = 64
	// DefaultBufferBytes is the buffer of each run file read or written:
	// large enough that a merge reads each file in long sequential reads.
	DefaultBufferBytes = 64 << 10
	// recordSlack is added to the size of T in the default per-record
	// overhead: the record's 4-byte index in the sort, the rounding of the
	// allocations it points to (strings) and the spare capacity of the
	// slices that hold the records and indexes.
	recordSlack = 20
)

// Options tune a Sorter. The zero value of each field means its default.
type Options struct {
	// MemoryBytes is the budget of the records held in memory: when the
	// next record would take the buffer past it, the buffer is sorted and
	// written to disk as a run. Each record counts its encoded size plus
	// RecordOverhead. 0 means DefaultMemoryBytes.
	MemoryBytes int64
	// RecordOverhead is what each buffered record costs beyond its
	// encoded size. 0 means the size of T plus 20 bytes (its index in the
	// sort, allocation rounding), which is close for records made of
	// strings and numbers.
	RecordOverhead int64
	// FanIn is the most run files open (and read buffers held) at once;
	// more runs than that are merged in several passes. At least 2;
	// 0 means DefaultFanIn.
	FanIn int
	// BufferBytes is the buffer of each run file read or written.
	// 0 means DefaultBufferBytes.
	BufferBytes int
	// Dir is where the sorter makes its private temporary directory.
	// "" means os.TempDir().
	Dir string
}

// withDefaults returns o with the defaults of T set, or an error naming
// the first field out of range.
func withDefaults[T any](o Options) (Options, error) {
	switch {
	case o.MemoryBytes < 0:
		return o, fmt.Errorf("extsort: MemoryBytes %d < 0", o.MemoryBytes)
	case o.RecordOverhead < 0:
		return o, fmt.Errorf("extsort: RecordOverhead %d < 0", o.RecordOverhead)
	case o.FanIn < 0 || o.FanIn == 1:
		return o, fmt.Errorf("extsort: FanIn %d: want 0 (default) or at least 2", o.FanIn)
	case o.BufferBytes < 0:
		return o, fmt.Errorf("extsort: BufferBytes %d < 0", o.BufferBytes)
	}
	if o.MemoryBytes == 0 {
		o.MemoryBytes = DefaultMemoryBytes
	}
	if o.RecordOverhead == 0 {
		o.RecordOverhead = int64(reflect.TypeFor[T]().Size()) + recordSlack
	}
	if o.FanIn == 0 {
		o.FanIn = DefaultFanIn
	}
	if o.BufferBytes == 0 {
		o.BufferBytes = DefaultBufferBytes
	}
	return o, nil
}

// Errors of the Sorter's life cycle. Errors about a run file are
// *RunError; those of JoinByKey are *OrderError.
var (
	// ErrSorted is returned by Add once Sorted was called, and yielded by a
	// second iteration: a Sorter sorts once.
	ErrSorted = errors.New("extsort: already sorted (a Sorter sorts once)")
	// ErrClosed is returned by Add and yielded by Sorted after Close.
	ErrClosed = errors.New("extsort: sorter is closed")
	// ErrCorrupt is wrapped by a *RunError when a run file is not what the
	// sorter wrote: bad header, truncated, checksum or count mismatch.
	ErrCorrupt = errors.New("corrupt run file")
)

// RunError is an error reading a run file: which file, where, and why.
type RunError struct {
	Path   string // the run file
	Offset int64  // the byte where the bad record or trailer starts
	Err    error  // errors.Is(Err, ErrCorrupt) for corruption; else I/O or decode
}

func (e *RunError) Error() string {
	return fmt.Sprintf("extsort: run file %s at byte %d: %v", e.Path, e.Offset, e.Err)
}

// Unwrap returns e.Err.
func (e *RunError) Unwrap() error { return e.Err }
