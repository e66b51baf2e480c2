package inventory

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// inventorySource streams the objects of an S3 Inventory delivery (CSV):
// the current version of each key under the source prefix, with the
// inventory's own size, ETag, date and storage class, and the skips its
// fields decide (replication status, archive tiers). The manifest, its
// checksum and every data file's MD5 are checked, and every row read,
// before anything is copied. The replica is not listed: the engine HEADs
// it per object, unless replica is set: then the rows are joined with the
// replica's listing or inventory first (inventory_join.go).
type inventorySource struct {
	m               *InventoryManifest
	files           []dataFile
	bucket          string
	prefix          string
	includeArchived bool
	shard, shards   uint64 // --shard I/N: keys whose hash is I-1 mod N (0/0: all)
	// resumed maps the data files an earlier run started to their
	// watermark (the relative key of the last row settled in file order).
	resumed map[string]string
	// delivery is the manifest.json read (what --inventory resolved to);
	// notes are what the user should know of it (a newer delivery).
	delivery string
	notes    []string
	// parquetStatus: a Parquet data file read had a replication_status
	// column.
	parquetStatus atomic.Bool
	// copyStatuses, when set (--replication-status), are the replication
	// statuses to copy ("" for none); others are skipped with their reason.
	copyStatuses map[string]bool
	// allVersions (--all-versions): every version of a key, not only the
	// current one, as one entry (inventory_versions.go); versionRows is
	// the rows of the wanted keys (check counts them); finished are the
	// partitions an earlier run finished.
	allVersions bool
	versionRows int
	finished    map[string]bool
	// replica, when set, is where the run learns what the replica holds
	// (inventory_join.go); nil: the engine HEADs it per object.
	replica *replicaSide
}

// parseStatuses reads --replication-status: a comma-separated list of
// COMPLETED, COMPLETE, PENDING, FAILED, REPLICA, NONE (no status).
func parseStatuses(s string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, v := range strings.Split(s, ",") {
		v = strings.ToUpper(strings.TrimSpace(v))
		switch v {
		case "NONE":
			m[""] = true
		case "COMPLETED", "COMPLETE", "PENDING", "FAILED", "REPLICA":
			m[v] = true
		default:
			return nil, fmt.Errorf("--replication-status %q: %q is not one of COMPLETED, PENDING, FAILED, REPLICA, NONE", s, v)
		}
	}
	return m, nil
}

// replicationSkip is the skip reason of a row's replication status.
func (s *inventorySource) replicationSkip(r InventoryRow) string {
	if s.copyStatuses == nil {
		return r.ReplicationSkip()
	}
	if s.copyStatuses[r.ReplicationStatus] {
		return ""
	}
	if reason := r.ReplicationSkip(); reason != "" {
		return reason
	}
	return "replication-status" // FAILED or none, not chosen
}

// readers bounds the data files read at once.
const readers = 4

// rows calls fn for every row of every data file, reading up to readers
// files at once (memory stays a few pages per file); start and end, when
// set, are called around each file, in that file's goroutine. Rows of
// one file arrive in order.
func (s *inventorySource) rows(ctx context.Context, fn func(df dataFile, r InventoryRow) error, start, end func(df dataFile) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for _, df := range s.files {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if start != nil {
				if err := start(df); err != nil {
					return err
				}
			}
			if err := s.readFile(ctx, df, fn); err != nil {
				return err
			}
			if end != nil {
				return end(df)
			}
			return nil
		})
	}
	return g.Wait()
}

func (s *inventorySource) readFile(ctx context.Context, df dataFile, fn func(df dataFile, r InventoryRow) error) error {
	f, err := os.Open(df.path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r interface {
		Next() (InventoryRow, error)
	}
	if s.m.FileFormat == "Parquet" {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		pr, err := NewParquetReader(f, fi.Size(), df.name)
		if err != nil {
			return err
		}
		if pr.Has("replication_status") {
			s.parquetStatus.Store(true)
		}
		if miss := pr.MissingColumns(); len(miss) > 0 {
			return &ParseError{File: df.name, Err: fmt.Errorf("no %s column: backfill needs them to copy safely (the copy's if-match, the replica comparison, --min-age)", strings.Join(miss, ", "))}
		}
		r = pr
	} else if r, err = s.m.NewReader(bufio.NewReaderSize(f, 1<<20), df.name); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil && row.Bucket != s.bucket {
			err = &ParseError{File: df.name, Line: row.Line, Err: fmt.Errorf("bucket %q, but the inventory is of %q", row.Bucket, s.bucket)}
		}
		if err == nil {
			err = fn(df, row)
		}
		if err != nil {
			return err
		}
	}
}

// check reads every row and counts the objects the job covers.
func (s *inventorySource) check(ctx context.Context) (int, error) {
	var n, all atomic.Int64
	err := s.rows(ctx, func(_ dataFile, r InventoryRow) error {
		if s.wanted(r) || s.allVersions && s.wantedKey(r) && !r.IsDeleteMarker {
			n.Add(1)
		}
		if s.allVersions && s.wantedKey(r) {
			all.Add(1)
		}
		return nil
	}, nil, nil)
	s.versionRows = int(all.Load())
	return int(n.Load()), err
}

// wanted: the current version of a key under the source prefix, in this
// machine's shard.
func (s *inventorySource) wanted(r InventoryRow) bool {
	return r.IsLatest && !r.IsDeleteMarker && s.wantedKey(r)
}

// wantedKey: a key under the source prefix, in this machine's shard.
func (s *inventorySource) wantedKey(r InventoryRow) bool {
	return strings.HasPrefix(r.Key, s.prefix) && inShard(r.Key, s.shard, s.shards)
}

// entry is the engine's entry for the current version of a key.
func (s *inventorySource) entry(shard string, r InventoryRow) Entry {
	e := Entry{Rel: r.Key[len(s.prefix):], Shard: shard, Source: Object{Bucket: r.Bucket, Key: r.Key,
		Size: r.Size, ETag: r.ETag, LastModified: r.LastModified, StorageClass: r.StorageClass}}
	switch {
	case s.replicationSkip(r) != "":
		e.SkipReason = s.replicationSkip(r)
	case r.Archived() && r.StorageClass == "INTELLIGENT_TIERING" && !s.includeArchived:
		e.SkipReason = "archived"
	}
	return e
}

// inShard: a deterministic 1/n of the keys, by FNV-1a hash of the key, so
// n machines sharing one inventory never copy the same key.
func inShard(key string, i, n uint64) bool {
	if n <= 1 {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()%n == i-1
}

// parseShard reads I/N (1 <= I <= N).
func parseShard(s string) (i, n uint64, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(a, 10, 32)
	n, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || n == 0 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 1 <= I <= N, e.g. 2/4", s)
	}
	return i, n, nil
}

func (s *inventorySource) Stream(ctx context.Context, out chan<- Entry) error {
	send := func(e Entry) error {
		select {
		case out <- e:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// Each data file is a shard of the checkpoint, in the file's row order:
	// a resumed file is read again but its rows up to the watermark are
	// passed over; a finished one was not even fetched. Files are read in
	// parallel, so where to resume is kept per file.
	var mu sync.Mutex
	skipTo := map[string]string{}
	// passed reports whether key is at or below the watermark of its
	// file's resume.
	passed := func(df dataFile, key string) bool {
		mu.Lock()
		defer mu.Unlock()
		skip := skipTo[df.shard]
		if skip != "" && key == skip {
			delete(skipTo, df.shard)
		}
		return skip != ""
	}
	if s.allVersions {
		return s.streamVersions(ctx, send)
	}
	if s.replica != nil {
		return s.streamJoined(ctx, send)
	}
	return s.rows(ctx, func(df dataFile, r InventoryRow) error {
		if !s.wanted(r) || passed(df, r.Key) {
			return nil
		}
		return send(s.entry(df.shard, r))
	}, func(df dataFile) error {
		if w, ok := s.resumed[df.shard]; ok {
			if w != "" {
				mu.Lock()
				skipTo[df.shard] = s.prefix + w // watermarks are relative keys
				mu.Unlock()
			}
			return nil
		}
		return send(Entry{Kind: KindShardFound, Shard: df.shard})
	}, func(df dataFile) error {
		return send(Entry{Kind: KindShardDone, Shard: df.shard})
	})
}
