package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State of an object in the checkpoint.
type State uint8

// States.
const (
	Done     State = 1 // copied (or found identical in the replica) and confirmed
	Failed   State = 2 // the last attempt failed
	Archived State = 3 // skipped: in an archive tier, it needs a restore before a copy
)

func (s State) String() string {
	switch s {
	case Done:
		return "done"
	case Failed:
		return "failed"
	case Archived:
		return "archived"
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Record is what the checkpoint knows of one object version.
type Record struct {
	State State
	// Source object as it was when recorded.
	ETag         string
	Size         int64
	LastModified time.Time
	StorageClass string
	// Failure details (State == Failed).
	Code     string
	Message  string
	Attempts int
	// When the record was last written (the last attempt).
	When time.Time
}

// ObjectKey makes the objects-bucket key of a relative key and version id.
// Keys holding a NUL byte are stored as they are; only a NUL followed by a
// version id could collide, which S3 keys in practice never hold.
func ObjectKey(key, versionID string) []byte {
	if versionID == "" && key != "" {
		return []byte(key)
	}
	return []byte(key + "\x00" + versionID)
}

// SplitObjectKey is the inverse of ObjectKey.
func SplitObjectKey(k []byte) (key, versionID string) {
	key, versionID, _ = strings.Cut(string(k), "\x00")
	return key, versionID
}

const maxMessage = 512

// encode: state, uvarint size, varint lastModified (unix s), varint when
// (unix s), string etag; failed adds string code, string message, uvarint
// attempts. Strings are uvarint length + bytes.
func (r Record) encode() []byte {
	b := make([]byte, 0, 48+len(r.ETag))
	b = append(b, byte(r.State))
	b = binary.AppendUvarint(b, uint64(max(r.Size, 0)))
	b = binary.AppendVarint(b, unixOrZero(r.LastModified))
	b = binary.AppendVarint(b, unixOrZero(r.When))
	b = appendString(b, r.ETag)
	b = appendString(b, r.StorageClass)
	if r.State == Failed {
		msg := r.Message
		if len(msg) > maxMessage {
			msg = msg[:maxMessage]
		}
		b = appendString(b, r.Code)
		b = appendString(b, msg)
		b = binary.AppendUvarint(b, uint64(max(r.Attempts, 0)))
	}
	return b
}

var errBadRecord = errors.New("bad record")

func decodeRecord(b []byte) (Record, error) {
	var r Record
	if len(b) < 1 {
		return r, errBadRecord
	}
	r.State = State(b[0])
	b = b[1:]
	size, n := binary.Uvarint(b)
	if n <= 0 {
		return r, errBadRecord
	}
	r.Size, b = int64(size), b[n:]
	lm, n := binary.Varint(b)
	if n <= 0 {
		return r, errBadRecord
	}
	b = b[n:]
	when, n := binary.Varint(b)
	if n <= 0 {
		return r, errBadRecord
	}
	b = b[n:]
	r.LastModified, r.When = fromUnix(lm), fromUnix(when)
	var ok bool
	if r.ETag, b, ok = readString(b); !ok {
		return r, errBadRecord
	}
	if r.StorageClass, b, ok = readString(b); !ok {
		return r, errBadRecord
	}
	if r.State == Failed {
		if r.Code, b, ok = readString(b); !ok {
			return r, errBadRecord
		}
		if r.Message, b, ok = readString(b); !ok {
			return r, errBadRecord
		}
		att, n := binary.Uvarint(b)
		if n <= 0 {
			return r, errBadRecord
		}
		r.Attempts = int(att)
	}
	return r, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return "", b, false
	}
	return string(b[n : n+int(l)]), b[n+int(l):], true
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// shardKey is a shard's key in the shards bucket ("s" + prefix: bbolt
// keys cannot be empty, and the root shard's prefix is "").
func shardKey(prefix string) []byte { return []byte("s" + prefix) }

// Shard is the listing state of one relative prefix.
type Shard struct {
	Prefix string
	Depth  int
	// Watermark: every object of the shard with a relative key <= it is
	// settled. "" means nothing yet.
	Watermark string
	// Complete: the shard was listed to its end and everything in it settled.
	Complete bool
	// Mode: how the shard is listed (0 undecided, 1 by folder, 2 flat);
	// opaque here, kept for the lister.
	Mode uint8
}

func (s Shard) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(s.Depth))
	c := byte(0)
	if s.Complete {
		c = 1
	}
	b = append(b, c, s.Mode)
	return appendString(b, s.Watermark)
}

func decodeShard(prefix string, b []byte) (Shard, error) {
	s := Shard{Prefix: prefix}
	d, n := binary.Uvarint(b)
	if n <= 0 || len(b) < n+2 {
		return s, errBadRecord
	}
	s.Depth, s.Complete, s.Mode = int(d), b[n] == 1, b[n+1]
	var ok bool
	if s.Watermark, _, ok = readString(b[n+2:]); !ok {
		return s, errBadRecord
	}
	return s, nil
}

func diffSpec(old, cur Spec) []string {
	var diffs []string
	seen := map[string]bool{}
	for _, k := range sortedKeys(old) {
		seen[k] = true
		if old[k] != cur[k] {
			diffs = append(diffs, fmt.Sprintf("%s was %q, now %q", k, old[k], cur[k]))
		}
	}
	for _, k := range sortedKeys(cur) {
		if !seen[k] && cur[k] != "" {
			diffs = append(diffs, fmt.Sprintf("%s was %q, now %q", k, "", cur[k]))
		}
	}
	return diffs
}

func joinDiffs(d []string) string { return strings.Join(d, "; ") }

func sortedKeys(m Spec) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
