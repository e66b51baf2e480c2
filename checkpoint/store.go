package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Format is the value of meta/format in every checkpoint this version writes.
const Format = "backfill-checkpoint/1"

var (
	bMeta    = []byte("meta")
	bObjects = []byte("objects")
	bShards  = []byte("shards")
	bUploads = []byte("uploads")

	kFormat   = []byte("format")
	kSpec     = []byte("spec")
	kCutoff   = []byte("cutoff")
	kCreated  = []byte("created")
	kLastRun  = []byte("last_run")
	kCounters = []byte("counters")
)

// Sentinel errors.
var (
	// ErrLocked: another process holds the checkpoint.
	ErrLocked = errors.New("checkpoint is held by another backfill run")
	// ErrNotCheckpoint: the file is not a backfill checkpoint, or is corrupt.
	ErrNotCheckpoint = errors.New("not a backfill checkpoint")
	// ErrSpecMismatch: the checkpoint belongs to a different job.
	ErrSpecMismatch = errors.New("checkpoint belongs to a different job")
)

// LockedError names the file and, when known, who holds it.
type LockedError struct {
	Path   string
	Holder string // "pid 123 on host x since ..." or ""
}

func (e *LockedError) Error() string {
	if e.Holder != "" {
		return fmt.Sprintf("%s: %v (%s)", e.Path, ErrLocked, e.Holder)
	}
	return fmt.Sprintf("%s: %v", e.Path, ErrLocked)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Store is an open checkpoint. Its methods are safe for concurrent use, but
// writes are meant to come from one goroutine.
type Store struct {
	db       *bolt.DB
	path     string
	readOnly bool
}

// Options for Open.
type Options struct {
	// Timeout waiting for the file lock (0 = 1s).
	Timeout time.Duration
	// ReadOnly opens an existing checkpoint for reading (status); it still
	// waits for the lock a writer holds.
	ReadOnly bool
}

// Open opens (or creates, unless ReadOnly) the checkpoint at path.
func Open(path string, o Options) (s *Store, err error) {
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", path, err)
		}
	} else if err := checkHeader(path); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil { // bbolt panics on some corrupt files
			s, err = nil, fmt.Errorf("%s: %w (corrupt: %v)", path, ErrNotCheckpoint, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &LockedError{Path: path, Holder: readHolder(path)}
		}
		if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
			return nil, fmt.Errorf("%s: %w (%v)", path, ErrNotCheckpoint, err)
		}
		return nil, fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	s = &Store{db: db, path: path, readOnly: o.ReadOnly}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	if !o.ReadOnly {
		if err := os.Chmod(path, 0o600); err != nil {
			db.Close()
			return nil, err
		}
		writeHolder(path)
	}
	return s, nil
}

// checkHeader refuses, before bbolt touches it, an existing non-empty file
// that does not start like a bbolt file.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open checkpoint %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s: %w (it is a directory)", path, ErrNotCheckpoint)
	}
	if fi.Size() == 0 {
		return nil
	}
	hdr := make([]byte, 32)
	n, _ := f.ReadAt(hdr, 0)
	// bbolt's meta page: page header (16 bytes) then magic 0xED0CDAED.
	if n < 20 || !(hdr[16] == 0xED && hdr[17] == 0xDA && hdr[18] == 0x0C && hdr[19] == 0xED) {
		return fmt.Errorf("%s: %w (not a bbolt file)", path, ErrNotCheckpoint)
	}
	return nil
}

func (s *Store) init() error {
	check := func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil {
			return fmt.Errorf("%s: %w (a bbolt file without backfill's meta bucket)", s.path, ErrNotCheckpoint)
		}
		if f := string(m.Get(kFormat)); f != Format {
			return fmt.Errorf("%s: %w (format %q, want %q)", s.path, ErrNotCheckpoint, f, Format)
		}
		return nil
	}
	if s.readOnly {
		return s.view(check)
	}
	return s.update(func(tx *bolt.Tx) error {
		fresh := tx.Bucket(bMeta) == nil
		if fresh {
			// A new file, or an empty bbolt file: only if it has no other buckets.
			other := false
			tx.ForEach(func(name []byte, _ *bolt.Bucket) error { other = true; return nil }) //nolint:errcheck
			if other {
				return fmt.Errorf("%s: %w (a bbolt file of something else)", s.path, ErrNotCheckpoint)
			}
		}
		for _, b := range [][]byte{bMeta, bObjects, bShards, bUploads} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		if fresh {
			if err := m.Put(kFormat, []byte(Format)); err != nil {
				return err
			}
			if err := m.Put(kCreated, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
				return err
			}
		}
		return check(tx)
	})
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Close closes the store and removes the holder note.
func (s *Store) Close() error {
	if !s.readOnly {
		os.Remove(holderPath(s.path))
	}
	return s.db.Close()
}

// holder note: who holds the lock, for a second process's error message.
func holderPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".holder")
}

func writeHolder(path string) {
	host, _ := os.Hostname()
	note := fmt.Sprintf("pid %d on host %s since %s", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	os.WriteFile(holderPath(path), []byte(note), 0o600) //nolint:errcheck // best effort: only improves a message
}

func readHolder(path string) string {
	b, err := os.ReadFile(holderPath(path))
	if err != nil {
		return ""
	}
	return "held by " + string(b)
}

// Spec is a job's identity: name -> value pairs (source, destination,
// filters, copy options). Two runs with different specs are different jobs.
type Spec map[string]string

// SpecError lists how a checkpoint's spec differs from a run's.
type SpecError struct {
	Path  string
	Diffs []string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("%s: %v: %s (use --reset to start this job over, or another --checkpoint)", e.Path, ErrSpecMismatch, joinDiffs(e.Diffs))
}

func (e *SpecError) Is(target error) bool { return target == ErrSpecMismatch }

func (s *Store) get(bucket, key []byte) []byte {
	var v []byte
	s.view(func(tx *bolt.Tx) error { //nolint:errcheck // View returns fn's error only
		if b := tx.Bucket(bucket); b != nil {
			v = append([]byte(nil), b.Get(key)...)
		}
		return nil
	})
	return v
}

// Spec returns the stored spec, or nil for a new checkpoint.
func (s *Store) Spec() Spec {
	v := s.get(bMeta, kSpec)
	if v == nil {
		return nil
	}
	var sp Spec
	if json.Unmarshal(v, &sp) != nil {
		return nil
	}
	return sp
}

// Begin starts a run on this checkpoint: a new checkpoint records spec and
// cutoff; an existing one must have the same spec (or reset empties it
// first). It returns the job's cutoff: the one stored when the job began.
func (s *Store) Begin(spec Spec, cutoff time.Time, reset bool) (time.Time, error) {
	if reset {
		if err := s.reset(); err != nil {
			return time.Time{}, err
		}
	}
	if old := s.Spec(); old != nil {
		if diffs := diffSpec(old, spec); len(diffs) > 0 {
			return time.Time{}, &SpecError{Path: s.path, Diffs: diffs}
		}
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return time.Time{}, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if v := m.Get(kCutoff); v != nil {
			if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil {
				cutoff = t
			}
		} else if err := m.Put(kCutoff, []byte(cutoff.UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		if err := m.Put(kSpec, js); err != nil {
			return err
		}
		return m.Put(kLastRun, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	})
	return cutoff, err
}

func (s *Store) reset() error {
	return s.update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bObjects, bShards, bUploads} {
			if err := tx.DeleteBucket(b); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		m := tx.Bucket(bMeta)
		for _, k := range [][]byte{kSpec, kCutoff, kCounters} {
			if err := m.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// view and update run a transaction, turning a bbolt panic (which it raises
// on some corrupt pages) into an ErrNotCheckpoint error.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverCorrupt(&err)
	return s.db.View(fn)
}

func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverCorrupt(&err)
	return s.db.Update(fn)
}

func (s *Store) recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: %w (corrupt: %v)", s.path, ErrNotCheckpoint, r)
	}
}
