package extsort

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// A run file is the sorted records of one spill or one merge:
//
//	magic    "bfxsort1"
//	record*  uvarint(len+1) crc32c(payload) as 4 bytes little-endian, payload
//	trailer  uvarint(0) uvarint(count of records)
//
// The checksum catches a flipped bit, the trailer a file cut at a record
// boundary; either is a *RunError wrapping ErrCorrupt, never a wrong record.
const runMagic = "bfxsort1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// runWriter writes one run file.
type runWriter struct {
	path  string
	f     *os.File
	w     *bufio.Writer
	n     uint64 // records written
	bytes int64  // bytes written
	hdr   [binary.MaxVarintLen64 + 4]byte
}

// createRun creates the run file at path (0600, which must not exist) and
// writes its header through w, which it resets onto the file.
func createRun(path string, w *bufio.Writer) (*runWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("extsort: create run: %w", err)
	}
	w.Reset(f)
	rw := &runWriter{path: path, f: f, w: w}
	if _, err := w.WriteString(runMagic); err != nil {
		rw.abort()
		return nil, fmt.Errorf("extsort: write %s: %w", path, err)
	}
	rw.bytes = int64(len(runMagic))
	return rw, nil
}

// write appends one encoded record.
func (rw *runWriter) write(rec []byte) error {
	h := binary.AppendUvarint(rw.hdr[:0], uint64(len(rec))+1)
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(rec, castagnoli))
	if _, err := rw.w.Write(h); err != nil {
		return fmt.Errorf("extsort: write %s: %w", rw.path, err)
	}
	if _, err := rw.w.Write(rec); err != nil {
		return fmt.Errorf("extsort: write %s: %w", rw.path, err)
	}
	rw.n++
	rw.bytes += int64(len(h) + len(rec))
	return nil
}

// finish writes the trailer, flushes and closes the file. The file is
// not synced: a run lives only as long as its sort, which a crash ends.
func (rw *runWriter) finish() error {
	t := binary.AppendUvarint(rw.hdr[:0], 0)
	t = binary.AppendUvarint(t, rw.n)
	_, err := rw.w.Write(t)
	if err == nil {
		err = rw.w.Flush()
	}
	rw.w.Reset(nil)
	if cerr := rw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extsort: write %s: %w", rw.path, err)
	}
	rw.bytes += int64(len(t))
	return nil
}

// abort closes and removes an unfinished run file.
func (rw *runWriter) abort() {
	rw.w.Reset(nil)
	rw.f.Close()
	os.Remove(rw.path)
}

// runReader reads the records of one run file, in order.
type runReader[T any] struct {
	path  string
	f     *os.File
	r     *bufio.Reader
	codec Codec[T]
	size  int64  // of the file
	off   int64  // of the next record
	n     uint64 // records read
	buf   []byte // the current record's bytes
	done  bool
}

// openRun opens a run file and checks its header.
func openRun[T any](path string, codec Codec[T], bufSize int) (*runReader[T], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("extsort: open run: %w", err)
	}
	rr := &runReader[T]{path: path, f: f, r: bufio.NewReaderSize(f, bufSize), codec: codec}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, rr.fail(err)
	}
	rr.size = fi.Size()
	magic := make([]byte, len(runMagic))
	if _, err := io.ReadFull(rr.r, magic); err != nil || string(magic) != runMagic {
		f.Close()
		return nil, rr.fail(fmt.Errorf("%w: bad header", ErrCorrupt))
	}
	rr.off = int64(len(runMagic))
	return rr, nil
}

// fail makes err a *RunError at the current offset.
func (rr *runReader[T]) fail(err error) error {
	return &RunError{Path: rr.path, Offset: rr.off, Err: err}
}

// uvarint reads one uvarint; a file that ends in it is corrupt.
func (rr *runReader[T]) uvarint() (uint64, int, error) {
	p, err := rr.r.Peek(binary.MaxVarintLen64)
	if len(p) == 0 {
		if err == io.EOF {
			return 0, 0, fmt.Errorf("%w: truncated (no trailer)", ErrCorrupt)
		}
		return 0, 0, err
	}
	v, n := binary.Uvarint(p)
	if n <= 0 {
		return 0, 0, fmt.Errorf("%w: bad length", ErrCorrupt)
	}
	rr.r.Discard(n)
	return v, n, nil
}

// next returns the next record, or io.EOF after the trailer.
func (rr *runReader[T]) next() (T, error) {
	var zero T
	if rr.done {
		return zero, io.EOF
	}
	l, n, err := rr.uvarint()
	if err != nil {
		return zero, rr.fail(err)
	}
	if l == 0 {
		return zero, rr.trailer(n)
	}
	l--
	if l > uint64(rr.size-rr.off) {
		return zero, rr.fail(fmt.Errorf("%w: record of %d bytes past the end of the file", ErrCorrupt, l))
	}
	if cap(rr.buf) < int(l)+4 {
		rr.buf = make([]byte, int(l)+4)
	}
	b := rr.buf[:int(l)+4]
	if _, err := io.ReadFull(rr.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: truncated record", ErrCorrupt)
		}
		return zero, rr.fail(err)
	}
	if crc32.Checksum(b[4:], castagnoli) != binary.LittleEndian.Uint32(b) {
		return zero, rr.fail(fmt.Errorf("%w: checksum mismatch in record %d", ErrCorrupt, rr.n))
	}
	v, err := rr.codec.Decode(b[4:])
	if err != nil {
		return zero, rr.fail(fmt.Errorf("decode record %d: %w", rr.n, err))
	}
	rr.off += int64(n) + int64(len(b))
	rr.n++
	return v, nil
}

// trailer checks the record count and that nothing follows it.
func (rr *runReader[T]) trailer(n int) error {
	rr.off += int64(n)
	count, _, err := rr.uvarint()
	if err != nil {
		return rr.fail(err)
	}
	if count != rr.n {
		return rr.fail(fmt.Errorf("%w: trailer counts %d records, read %d", ErrCorrupt, count, rr.n))
	}
	switch _, err := rr.r.ReadByte(); {
	case err == nil:
		return rr.fail(fmt.Errorf("%w: bytes after the trailer", ErrCorrupt))
	case err != io.EOF:
		return rr.fail(err)
	}
	rr.done = true
	return io.EOF
}

func (rr *runReader[T]) close() error { return rr.f.Close() }
