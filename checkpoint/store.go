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
	note     string // the holder note this process wrote
	size     int64  // the file's size in use at the last Apply
}

// releaseFrom is the checkpoint size from which each Apply releases the
// checkpoint's mapped pages (releaseMapped): below it, what the map adds
// to a run's RSS is small, whatever the order of the keys.
var releaseFrom int64 = 16 << 20

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
	}
	s.note = writeHolder(path, o.ReadOnly)
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

// Close closes the store and removes the holder note if it is still ours.
func (s *Store) Close() error {
	if b, err := os.ReadFile(holderPath(s.path)); err == nil && string(b) == s.note {
		os.Remove(holderPath(s.path))
	}
	return s.db.Close()
}

// holder note: who holds the lock, for a second process's error message.
func holderPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".holder")
}

// writeHolder writes (atomically: temp file and rename) who holds the
// checkpoint, for the message another process gets. Best effort: it only
// improves a message.
func writeHolder(path string, readOnly bool) string {
	host, _ := os.Hostname()
	what := "backfill"
	if readOnly {
		what = "backfill status"
	}
	note := fmt.Sprintf("%s, pid %d on host %s, since %s", what, os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	tmp, err := os.CreateTemp(filepath.Dir(path), ".holder-*")
	if err != nil {
		return note
	}
	_, werr := tmp.WriteString(note)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), holderPath(path)) != nil {
		os.Remove(tmp.Name())
	}
	return note
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

// get returns a copy of one value (nil when absent).
func (s *Store) get(bucket, key []byte) ([]byte, error) {
	var v []byte
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			if got := b.Get(key); got != nil {
				v = append([]byte{}, got...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", s.path, err)
	}
	return v, nil
}

// Spec returns the stored spec, or nil for a checkpoint no run has begun.
func (s *Store) Spec() (Spec, error) {
	v, err := s.get(bMeta, kSpec)
	if err != nil || v == nil {
		return nil, err
	}
	var sp Spec
	if err := json.Unmarshal(v, &sp); err != nil {
		return nil, fmt.Errorf("%s: %w (its job spec is unreadable: %v)", s.path, ErrNotCheckpoint, err)
	}
	return sp, nil
}

// HasObjects reports whether any object is recorded.
func (s *Store) HasObjects() (bool, error) {
	has := false
	err := s.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bObjects).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}

// Adopt adds to the recorded spec the keys of add it does not have (a
// checkpoint written by an earlier backfill, before those keys were part
// of a job's identity), and returns their names. Keys it has are left
// alone: Begin judges them. A store without a spec adopts nothing.
func (s *Store) Adopt(add Spec) ([]string, error) {
	old, err := s.Spec()
	if err != nil || old == nil {
		return nil, err
	}
	var adopted []string
	for _, k := range sortedKeys(add) {
		if _, ok := old[k]; !ok {
			old[k] = add[k]
			adopted = append(adopted, k)
		}
	}
	if len(adopted) == 0 {
		return nil, nil
	}
	js, err := json.Marshal(old)
	if err != nil {
		return nil, err
	}
	return adopted, s.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSpec, js) })
}

// Amend sets keys of the recorded spec to set's values: the parts of a
// job's spec a later run may change without making it another job. A
// store without a spec amends nothing.
func (s *Store) Amend(set Spec) error {
	old, err := s.Spec()
	if err != nil || old == nil {
		return err
	}
	changed := false
	for k, v := range set {
		if old[k] != v {
			old[k], changed = v, true
		}
	}
	if !changed {
		return nil
	}
	js, err := json.Marshal(old)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSpec, js) })
}

// Begin starts a run on this checkpoint: a new checkpoint records the
// spec; an existing one must have the same spec (or reset empties it
// first). cutoff (objects modified after it are left to live replication)
// is recorded as the last run's, for status.
func (s *Store) Begin(spec Spec, cutoff time.Time, reset bool) error {
	if reset {
		if err := s.reset(); err != nil {
			return err
		}
	}
	old, err := s.Spec()
	if err != nil {
		return err
	}
	if old != nil {
		if diffs := diffSpec(old, spec); len(diffs) > 0 {
			return &SpecError{Path: s.path, Diffs: diffs}
		}
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if err := m.Put(kCutoff, []byte(cutoff.UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		if err := m.Put(kSpec, js); err != nil {
			return err
		}
		return m.Put(kLastRun, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	})
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
		if err := resetAux(tx); err != nil {
			return err
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
