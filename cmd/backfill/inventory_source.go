package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"sync"
	"sync/atomic"

	"fmt"
	"golang.org/x/sync/errgroup"
	"hash/fnv"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/inventory"
)

// inventorySource streams the objects of an S3 Inventory delivery (CSV):
// the current version of each key under the source prefix, with the
// inventory's own size, ETag, date and storage class, and the skips its
// fields decide (replication status, archive tiers). The manifest, its
// checksum and every data file's MD5 are checked, and every row read,
// before anything is copied. The replica is not listed: the engine HEADs
// it per object.
type inventorySource struct {
	m               *inventory.InventoryManifest
	files           []dataFile
	bucket          string
	prefix          string
	includeArchived bool
	shard, shards   uint64 // --shard I/N: keys whose hash is I-1 mod N (0/0: all)
	// resumed maps the data files an earlier run started to their
	// watermark (the relative key of the last row settled in file order).
	resumed map[string]string
	// delivery is the manifest.json read (what --inventory resolved to).
	delivery string
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
func (s *inventorySource) replicationSkip(r inventory.InventoryRow) string {
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

var deliveryRE = regexp.MustCompile(`(^|/)(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/manifest\.json$`)

// dataFile is one data file to read: where it is, how messages name it,
// and its shard in the checkpoint ("file:" + its key in the manifest).
type dataFile struct {
	path, name, shard string
}

// fileShard is the checkpoint shard of a data file.
func fileShard(key string) string { return "file:" + key }

// loadInventory finds, fetches and checks an inventory delivery. arg is a
// local manifest.json, s3://.../manifest.json, or s3://BUCKET/PREFIX/ under
// which the newest delivery (or the one of date, a YYYY-MM-DD prefix) is used.
// Data files an earlier run finished (finished reports their shard) are
// neither fetched nor read again.
func loadInventory(ctx context.Context, arg, date string, c *awsconf.Client, fromBucket string, finished func(shard string) bool) (src *inventorySource, cleanup func(), err error) {
	var temps []string
	clean := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	defer func() {
		if err != nil {
			clean()
		}
	}()
	get := func(bucket, key string) ([]byte, error) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
		}
		defer out.Body.Close()
		return io.ReadAll(out.Body)
	}
	var manifest, checksum []byte
	// dataPath fetches (if need be) and checks one data file against its
	// MD5checksum, and says where it is and how to name it.
	var dataPath func(ctx context.Context, f inventory.InventoryFile) (string, string, error)
	var mu sync.Mutex
	if rest, ok := strings.CutPrefix(arg, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, nil, usageErrorf("--inventory %q: no bucket", arg)
		}
		if !strings.HasSuffix(key, "manifest.json") {
			if key, err = newestDelivery(ctx, c, bucket, key, date, fromBucket); err != nil {
				return nil, nil, err
			}
		}
		if manifest, err = get(bucket, key); err != nil {
			return nil, nil, err
		}
		if checksum, err = get(bucket, strings.TrimSuffix(key, "manifest.json")+"manifest.checksum"); err != nil {
			return nil, nil, err
		}
		arg = "s3://" + bucket + "/" + key
		dataPath = func(ctx context.Context, f inventory.InventoryFile) (string, string, error) {
			name := "s3://" + bucket + "/" + f.Key
			h := md5.New() // taken as the file arrives: one pass
			path, err := downloadTemp(ctx, c, bucket, f.Key, "backfill-inventory-*", h)
			if err != nil {
				return "", "", fmt.Errorf("%s: data file %s: %w", arg, name, err)
			}
			mu.Lock()
			temps = append(temps, path)
			mu.Unlock()
			return path, name, inventory.CheckSum(f, h.Sum(nil), name)
		}
	} else {
		if manifest, err = os.ReadFile(arg); err != nil {
			return nil, nil, fmt.Errorf("--inventory: %w", err)
		}
		if checksum, err = os.ReadFile(filepath.Join(filepath.Dir(arg), "manifest.checksum")); err != nil {
			return nil, nil, fmt.Errorf("--inventory: %w", err)
		}
		// A delivery copied to disk keeps S3's layout: config-ID/DATE/manifest.json
		// beside config-ID/data/*.
		dataPath = func(_ context.Context, f inventory.InventoryFile) (string, string, error) {
			p := filepath.Join(filepath.Dir(arg), "..", "data", filepath.Base(f.Key))
			fh, err := os.Open(p)
			if err != nil {
				return "", "", fmt.Errorf("%s: data file %s: %w", arg, p, err)
			}
			defer fh.Close()
			return p, p, inventory.CheckData(f, bufio.NewReaderSize(fh, 1<<20), p)
		}
	}
	m, err := inventory.ParseInventoryManifest(manifest, checksum, arg)
	if err != nil {
		return nil, nil, err
	}
	if miss := m.MissingColumns(); m.FileFormat == "CSV" && len(miss) > 0 {
		return nil, nil, fmt.Errorf("%s: fileSchema has no %s: backfill needs them to copy safely (the copy's if-match, the replica comparison, --min-age); add them to the inventory configuration's optional fields", arg, strings.Join(miss, ", "))
	}
	if m.SourceBucket != fromBucket {
		return nil, nil, fmt.Errorf("%s: an inventory of bucket %q, but the source is %q", arg, m.SourceBucket, fromBucket)
	}
	src = &inventorySource{m: m, bucket: fromBucket, delivery: arg}
	// The data files are fetched and checked readers at a time; their
	// order stays the manifest's.
	files := make([]*dataFile, len(m.Files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for i, f := range m.Files {
		if finished != nil && finished(fileShard(f.Key)) {
			continue
		}
		g.Go(func() error {
			path, name, err := dataPath(gctx, f)
			if err != nil {
				return err
			}
			files[i] = &dataFile{path: path, name: name, shard: fileShard(f.Key)}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	for _, df := range files {
		if df != nil {
			src.files = append(src.files, *df)
		}
	}
	return src, clean, nil
}

// newestDelivery finds the newest complete delivery (manifest.json and
// manifest.checksum both there) under prefix, or the newest whose date
// starts with date. S3 writes DEST-PREFIX/SOURCE-BUCKET/CONFIG-ID/DATE/:
// given a prefix above the source bucket, only the deliveries of the
// source bucket count; several configurations under it are refused
// rather than mixed (name the CONFIG-ID folder).
func newestDelivery(ctx context.Context, c *awsconf.Client, bucket, prefix, date, fromBucket string) (string, error) {
	keys := map[string]bool{}
	var found []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("look for inventory deliveries in s3://%s/%s: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			keys[k] = true
			if m := deliveryRE.FindStringSubmatch(k); m != nil && strings.HasPrefix(m[2], date) {
				found = append(found, k)
			}
		}
	}
	var complete, ofBucket []string
	for _, k := range found {
		if keys[strings.TrimSuffix(k, "manifest.json")+"manifest.checksum"] {
			complete = append(complete, k)
		}
	}
	for _, k := range complete {
		if seg := strings.Split(k, "/"); len(seg) >= 4 && seg[len(seg)-4] == fromBucket {
			ofBucket = append(ofBucket, k)
		}
	}
	if len(ofBucket) > 0 {
		complete = ofBucket
	}
	configs := map[string]bool{}
	for _, k := range complete {
		configs[path.Dir(path.Dir(k))] = true
	}
	if len(configs) > 1 {
		names := slices.Sorted(maps.Keys(configs))
		return "", fmt.Errorf("several inventory configurations under s3://%s/%s: %s; give --inventory the one to use (s3://%s/%s/)",
			bucket, prefix, strings.Join(names, ", "), bucket, names[0])
	}
	sort.Slice(complete, func(i, j int) bool {
		return deliveryRE.FindStringSubmatch(complete[i])[2] < deliveryRE.FindStringSubmatch(complete[j])[2]
	})
	if len(complete) == 0 {
		what := "no inventory delivery (DATE/manifest.json with its manifest.checksum)"
		if date != "" {
			what += " of " + date
		}
		if len(found) > 0 {
			what += fmt.Sprintf(" complete (%d without manifest.checksum)", len(found))
		}
		return "", fmt.Errorf("%s under s3://%s/%s", what, bucket, prefix)
	}
	return complete[len(complete)-1], nil
}

// readers bounds the data files read at once.
const readers = 4

// rows calls fn for every row of every data file, reading up to readers
// files at once (memory stays a few pages per file); start and end, when
// set, are called around each file, in that file's goroutine. Rows of
// one file arrive in order.
func (s *inventorySource) rows(ctx context.Context, fn func(df dataFile, r inventory.InventoryRow) error, start, end func(df dataFile) error) error {
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

func (s *inventorySource) readFile(ctx context.Context, df dataFile, fn func(df dataFile, r inventory.InventoryRow) error) error {
	f, err := os.Open(df.path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r interface {
		Next() (inventory.InventoryRow, error)
	}
	if s.m.FileFormat == "Parquet" {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		pr, err := inventory.NewParquetReader(f, fi.Size(), df.name)
		if err != nil {
			return err
		}
		if miss := pr.MissingColumns(); len(miss) > 0 {
			return &inventory.ParseError{File: df.name, Err: fmt.Errorf("no %s column: backfill needs them to copy safely (the copy's if-match, the replica comparison, --min-age)", strings.Join(miss, ", "))}
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
			err = &inventory.ParseError{File: df.name, Line: row.Line, Err: fmt.Errorf("bucket %q, but the inventory is of %q", row.Bucket, s.bucket)}
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
	err := s.rows(ctx, func(_ dataFile, r inventory.InventoryRow) error {
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
func (s *inventorySource) wanted(r inventory.InventoryRow) bool {
	return r.IsLatest && !r.IsDeleteMarker && s.wantedKey(r)
}

// wantedKey: a key under the source prefix, in this machine's shard.
func (s *inventorySource) wantedKey(r inventory.InventoryRow) bool {
	return strings.HasPrefix(r.Key, s.prefix) && inShard(r.Key, s.shard, s.shards)
}

// entry is the engine's entry for the current version of a key.
func (s *inventorySource) entry(shard string, r inventory.InventoryRow) inventory.Entry {
	e := inventory.Entry{Rel: r.Key[len(s.prefix):], Shard: shard, Source: inventory.Object{Bucket: r.Bucket, Key: r.Key,
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

func validShard(s string) bool {
	_, _, err := parseShard(s)
	return err == nil
}

func validStatuses(s string) bool {
	_, err := parseStatuses(s)
	return err == nil
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

func (s *inventorySource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	send := func(e inventory.Entry) error {
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
	return s.rows(ctx, func(df dataFile, r inventory.InventoryRow) error {
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
		return send(inventory.Entry{Kind: inventory.KindShardFound, Shard: df.shard})
	}, func(df dataFile) error {
		return send(inventory.Entry{Kind: inventory.KindShardDone, Shard: df.shard})
	})
}
