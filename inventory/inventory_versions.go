package inventory

import (
	"bufio"
	"context"
	bin "encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// --all-versions needs every row of a key together, but S3 Inventory data
// files are not sorted: a key's versions may be anywhere in any file. So
// the rows of the wanted keys are first spilled to partition files on
// disk, by hash of the key; then each partition (a bounded share of the
// rows) is read back, sorted by key and sent, one entry per key. Each
// partition is a shard of the checkpoint ("versions:NNN"), its keys in
// sorted order, so a resumed run skips finished partitions and the
// settled keys of a started one (the data files are read again to spill).

// rowsPerPartition bounds the rows held in memory at once.
const rowsPerPartition = 200_000

// partitions is how many partition files n rows are spread over: a power
// of two, the same for the same inventory, so that a resume finds them as
// they were.
func partitions(n int) int {
	p := 1
	for p*rowsPerPartition < n && p < 4096 {
		p *= 2
	}
	return p
}

func partShard(i int) string { return fmt.Sprintf("versions:%04d", i) }

// spilled is one row as a partition file keeps it.
type spilled struct {
	row       InventoryRow
	file, seq int // where it was read: ties of date keep S3's order
}

func putString(b []byte, s string) []byte {
	b = bin.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeRow(b []byte, r InventoryRow, file int) []byte {
	b = putString(b, r.Key)
	b = putString(b, r.Bucket)
	b = putString(b, r.VersionID)
	b = putString(b, r.ETag)
	b = putString(b, r.StorageClass)
	b = putString(b, r.ReplicationStatus)
	b = putString(b, r.IntelligentTieringAccessTier)
	b = bin.AppendVarint(b, r.Size)
	b = bin.AppendVarint(b, r.LastModified.UnixNano())
	b = bin.AppendUvarint(b, uint64(file))
	b = bin.AppendUvarint(b, uint64(r.Line))
	var flags byte
	if r.IsLatest {
		flags |= 1
	}
	if r.IsDeleteMarker {
		flags |= 2
	}
	if r.LastModified.IsZero() {
		flags |= 4
	}
	return append(b, flags)
}

func decodeRow(r *bufio.Reader) (spilled, error) {
	str := func() (string, error) {
		n, err := bin.ReadUvarint(r)
		if err != nil {
			return "", err
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b), err
	}
	var sp spilled
	var err error
	row := &sp.row
	for _, f := range []*string{&row.Key, &row.Bucket, &row.VersionID, &row.ETag, &row.StorageClass, &row.ReplicationStatus, &row.IntelligentTieringAccessTier} {
		if *f, err = str(); err != nil {
			if f == &row.Key && err == io.EOF {
				return sp, io.EOF
			}
			return sp, fmt.Errorf("partition file: %w", io.ErrUnexpectedEOF)
		}
	}
	var nanos int64
	var file, line uint64
	if row.Size, err = bin.ReadVarint(r); err == nil {
		if nanos, err = bin.ReadVarint(r); err == nil {
			if file, err = bin.ReadUvarint(r); err == nil {
				line, err = bin.ReadUvarint(r)
			}
		}
	}
	flags, ferr := r.ReadByte()
	if err != nil || ferr != nil {
		return sp, fmt.Errorf("partition file: %w", io.ErrUnexpectedEOF)
	}
	row.IsLatest, row.IsDeleteMarker, row.Line = flags&1 != 0, flags&2 != 0, int(line)
	if flags&4 == 0 {
		row.LastModified = time.Unix(0, nanos).UTC()
	}
	sp.file, sp.seq = int(file), int(line)
	return sp, nil
}

// spill writes the rows of the wanted keys (delete markers included) to
// partition files in a private temporary folder.
func (s *inventorySource) spill(ctx context.Context, n int) (paths []string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "backfill-versions-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	p := partitions(n)
	type part struct {
		mu  sync.Mutex
		f   *os.File
		w   *bufio.Writer
		buf []byte
	}
	parts := make([]*part, p)
	for i := range parts {
		path := fmt.Sprintf("%s/%04d", dir, i)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		parts[i] = &part{f: f, w: bufio.NewWriterSize(f, 32<<10)}
		paths = append(paths, path)
	}
	fileIdx := map[string]int{}
	for i, df := range s.files {
		fileIdx[df.shard] = i
	}
	err = s.rows(ctx, func(df dataFile, r InventoryRow) error {
		if !s.wantedKey(r) {
			return nil
		}
		h := fnv.New64a()
		h.Write([]byte(r.Key))
		pt := parts[h.Sum64()%uint64(p)]
		pt.mu.Lock()
		defer pt.mu.Unlock()
		pt.buf = encodeRow(pt.buf[:0], r, fileIdx[df.shard])
		_, err := pt.w.Write(pt.buf)
		return err
	}, nil, nil)
	for _, pt := range parts {
		if ferr := pt.w.Flush(); err == nil {
			err = ferr
		}
		if cerr := pt.f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return paths, cleanup, nil
}

// streamVersions sends one entry per key, partition by partition.
func (s *inventorySource) streamVersions(ctx context.Context, send func(Entry) error) error {
	paths, cleanup, err := s.spill(ctx, s.versionRows)
	if err != nil {
		return err
	}
	defer cleanup()
	for i, path := range paths {
		shard := partShard(i)
		if s.finished[shard] {
			continue
		}
		skipTo, resumed := s.resumed[shard]
		if !resumed {
			if err := send(Entry{Kind: KindShardFound, Shard: shard}); err != nil {
				return err
			}
		}
		rows, err := readPartition(path)
		if err != nil {
			return err
		}
		for start := 0; start < len(rows); {
			end := start + 1
			for end < len(rows) && rows[end].row.Key == rows[start].row.Key {
				end++
			}
			key := rows[start].row.Key
			group := rows[start:end]
			start = end
			if skipTo != "" {
				if key[len(s.prefix):] == skipTo {
					skipTo = ""
				}
				continue
			}
			if e, ok := s.groupEntry(shard, key, group); ok {
				if err := send(e); err != nil {
					return err
				}
			}
		}
		if err := send(Entry{Kind: KindShardDone, Shard: shard}); err != nil {
			return err
		}
	}
	return nil
}

// readPartition reads a partition's rows, by key, each key's rows in
// S3's order (as read).
func readPartition(path string) ([]spilled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var rows []spilled
	for {
		sp, err := decodeRow(r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, sp)
	}
	slices.SortFunc(rows, func(a, b spilled) int {
		if c := strings.Compare(a.row.Key, b.row.Key); c != 0 {
			return c
		}
		if a.file != b.file {
			return a.file - b.file
		}
		return a.seq - b.seq
	})
	return rows, nil
}

// groupEntry makes the entry of a key's versions: its current version as
// Source and the non-current ones in Older, oldest first, so the engine
// copies them in an order that leaves the newest the replica's current
// version. A key whose current version is a delete marker has its
// versions skipped (delete-marker): copying them would bring back in the
// replica a key the source has deleted. ok is false when the key has no
// version to copy.
//
// The replica's version list, not the rows' replication statuses, says
// which versions a key with several already has; a key with one version
// is decided as without --all-versions.
func (s *inventorySource) groupEntry(shard, key string, group []spilled) (Entry, bool) {
	var versions []InventoryRow
	markerOnTop := false
	for _, sp := range group {
		switch r := sp.row; {
		case r.IsDeleteMarker:
			markerOnTop = markerOnTop || r.IsLatest
		default:
			versions = append(versions, r)
		}
	}
	if len(versions) == 0 {
		return Entry{}, false
	}
	if len(versions) == 1 && versions[0].IsLatest && !markerOnTop {
		return s.entry(shard, versions[0]), true
	}
	// S3 lists a key's versions newest first: reversed, ties of date keep
	// that order; then by date, the current version last.
	slices.Reverse(versions)
	slices.SortStableFunc(versions, func(a, b InventoryRow) int {
		if a.IsLatest != b.IsLatest {
			if a.IsLatest {
				return 1
			}
			return -1
		}
		return a.LastModified.Compare(b.LastModified)
	})
	objs := make([]Object, len(versions))
	for i, r := range versions {
		v := r.VersionID
		if v == "" {
			v = "null" // the version written before versioning was enabled
		}
		objs[i] = Object{Bucket: r.Bucket, Key: r.Key, VersionID: v, Size: r.Size, ETag: r.ETag,
			LastModified: r.LastModified, StorageClass: r.StorageClass, Archived: r.Archived()}
	}
	n := len(objs) - 1
	e := Entry{Rel: key[len(s.prefix):], Shard: shard, Source: objs[n], Older: objs[:n]}
	if markerOnTop {
		e.SkipReason = "delete-marker"
	}
	return e, true
}
