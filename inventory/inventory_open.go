package inventory

import (
	"bufio"
	"context"
	"crypto/md5"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

var deliveryRE = regexp.MustCompile(`(^|/)(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/manifest\.json$`)

// dataFile is one data file to read: where it is, how messages name it,
// and its shard in the checkpoint ("file:" + its key in the manifest).
type dataFile struct {
	path, name, shard string
}

// fileShard is the checkpoint shard of a data file.
func fileShard(key string) string { return "file:" + key }

// openInventory finds, fetches and checks the delivery, and reads every
// row once. With the job's state, finished data files (or --all-versions
// partitions) are passed over and started ones resume after their
// watermark.
func openInventory(ctx context.Context, spec Spec, deps Deps) (*Source, error) {
	finished, resumed, err := inventoryProgress(deps.State)
	if err != nil {
		return nil, err
	}
	where := location{arg: spec.Inventory, date: spec.InventoryDate, pinned: spec.Delivery, fromBucket: spec.From.Bucket}
	inv, cleanup, err := loadInventory(ctx, where, deps.Source, func(shard string) bool { return finished[shard] })
	if err != nil {
		return nil, fmt.Errorf("%w (nothing was copied)", err)
	}
	inv.prefix, inv.includeArchived, inv.allVersions, inv.finished = spec.From.Prefix, spec.IncludeArchived, spec.AllVersions, finished
	inv.resumed = map[string]string{}
	for _, sh := range resumed {
		inv.resumed[sh.Prefix] = sh.Watermark
	}
	if spec.Shard != "" {
		inv.shard, inv.shards, _ = parseShard(spec.Shard) // checked by Validate
	}
	if spec.ReplicationStatus != "" {
		inv.copyStatuses, _ = parseStatuses(spec.ReplicationStatus)
	}
	n, err := inv.check(ctx)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("inventory: %w (nothing was copied)", err)
	}
	if inv.replica, err = openReplicaSide(ctx, spec, deps); err != nil {
		cleanup()
		return nil, fmt.Errorf("%w (nothing was copied)", err)
	}
	if inv.replica != nil {
		inner := cleanup
		cleanup = func() { inv.replica.close(); inner() }
	}
	src := &Source{stream: inv, cleanup: cleanup, Delivery: inv.delivery, TrackShards: deps.State != nil, Resume: resumed, Notes: inv.notes,
		ReplicaLookup: inv.lookupText(spec)}
	if n == 0 {
		src.Empty = fmt.Sprintf("The inventory %s lists no current object under %s: nothing to do.", spec.Inventory, spec.From)
	}
	return src, nil
}

// inventoryProgress reads which data files (or partitions) earlier runs
// finished, and the started ones to resume.
func inventoryProgress(state State) (finished map[string]bool, resumed []ShardState, err error) {
	finished = map[string]bool{}
	if state == nil {
		return finished, nil, nil
	}
	shards, err := state.Shards()
	if err != nil {
		return nil, nil, err
	}
	for _, sh := range shards {
		if strings.HasPrefix(sh.Prefix, "file:") || strings.HasPrefix(sh.Prefix, "versions:") {
			finished[sh.Prefix] = sh.Complete
			if !sh.Complete {
				resumed = append(resumed, sh)
			}
		}
	}
	return finished, resumed, nil
}

// location is where --inventory points: a local manifest.json,
// s3://.../manifest.json, or s3://BUCKET/PREFIX/ under which the newest
// delivery (or the one of date, a YYYY-MM-DD prefix of its folder) is
// used; pinned, when set, is the delivery the job started from, which a
// resumed job keeps reading under a prefix even when a newer one lands.
type location struct {
	arg, date, pinned, fromBucket string
}

// loadInventory finds, fetches and checks an inventory delivery. Data
// files an earlier run finished (finished reports their shard) are
// neither fetched nor read again.
func loadInventory(ctx context.Context, where location, c SourceAPI, finished func(shard string) bool) (src *inventorySource, cleanup func(), err error) {
	var d delivery = &localDelivery{path: where.arg}
	var notes []string
	if rest, ok := strings.CutPrefix(where.arg, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if !strings.HasSuffix(key, "manifest.json") {
			if key, notes, err = resolveDelivery(ctx, c, bucket, key, where); err != nil {
				return nil, nil, err
			}
		}
		d = &s3Delivery{c: c, bucket: bucket, key: key}
	}
	defer func() {
		if err != nil {
			d.cleanup()
		}
	}()
	m, err := readManifest(ctx, d, where.fromBucket)
	if err != nil {
		return nil, nil, err
	}
	src = &inventorySource{m: m, bucket: where.fromBucket, delivery: d.name(), notes: notes}
	if src.files, err = fetchData(ctx, d, m, finished); err != nil {
		return nil, nil, err
	}
	return src, d.cleanup, nil
}

// resolveDelivery finds the delivery under prefix: the newest (or the one
// of where.date), unless the job is resumed with its own delivery, which
// it keeps, saying so when a newer one has landed.
func resolveDelivery(ctx context.Context, c ListAPI, bucket, prefix string, where location) (string, []string, error) {
	newest, err := newestDelivery(ctx, c, bucket, prefix, where.date, where.fromBucket)
	pinnedKey, pinned := strings.CutPrefix(where.pinned, "s3://"+bucket+"/")
	if !pinned || where.date != "" || !strings.HasPrefix(pinnedKey, prefix) {
		return newest, nil, err
	}
	if err == nil && newest != pinnedKey {
		return pinnedKey, []string{fmt.Sprintf("A newer inventory delivery has landed (s3://%s/%s); this run resumed the delivery the job started from (s3://%s/%s). "+
			"To copy from the newer one once this job is done, run the same command with --reset (objects already in the replica are skipped as exists).",
			bucket, newest, bucket, pinnedKey)}, nil
	}
	return pinnedKey, nil, nil
}

// readManifest reads and checks a delivery's manifest.json.
func readManifest(ctx context.Context, d delivery, fromBucket string) (*InventoryManifest, error) {
	manifest, checksum, err := d.manifest(ctx)
	if err != nil {
		return nil, err
	}
	arg := d.name()
	m, err := ParseInventoryManifest(manifest, checksum, arg)
	if err != nil {
		return nil, err
	}
	if miss := m.MissingColumns(); m.FileFormat == "CSV" && len(miss) > 0 {
		return nil, fmt.Errorf("%s: fileSchema has no %s: backfill needs them to copy safely (the copy's if-match, the replica comparison, --min-age); add them to the inventory configuration's optional fields", arg, strings.Join(miss, ", "))
	}
	if m.SourceBucket != fromBucket {
		return nil, fmt.Errorf("%s: an inventory of bucket %q, but the source is %q", arg, m.SourceBucket, fromBucket)
	}
	return m, nil
}

// fetchData fetches and checks the data files, readers at a time; their
// order stays the manifest's.
func fetchData(ctx context.Context, d delivery, m *InventoryManifest, finished func(shard string) bool) ([]dataFile, error) {
	files := make([]*dataFile, len(m.Files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for i, f := range m.Files {
		if finished != nil && finished(fileShard(f.Key)) {
			continue
		}
		g.Go(func() error {
			path, name, err := d.data(gctx, f)
			if err != nil {
				return err
			}
			files[i] = &dataFile{path: path, name: name, shard: fileShard(f.Key)}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []dataFile
	for _, df := range files {
		if df != nil {
			out = append(out, *df)
		}
	}
	return out, nil
}

// delivery is where an inventory delivery's files are.
type delivery interface {
	name() string // the manifest.json, as messages and the job spec name it
	manifest(ctx context.Context) (manifest, checksum []byte, err error)
	// data returns a checked local copy of one data file (checked against
	// its MD5checksum) and how to name it.
	data(ctx context.Context, f InventoryFile) (path, name string, err error)
	cleanup()
}

// s3Delivery is a delivery in S3: data files are fetched to private temp
// files, their MD5 taken as they arrive.
type s3Delivery struct {
	c           SourceAPI
	bucket, key string
	mu          sync.Mutex
	temps       []string
}

func (d *s3Delivery) name() string { return "s3://" + d.bucket + "/" + d.key }

func (d *s3Delivery) get(ctx context.Context, key string) ([]byte, error) {
	return getAll(ctx, d.c, d.bucket, key)
}

func (d *s3Delivery) manifest(ctx context.Context) (manifest, checksum []byte, err error) {
	if manifest, err = d.get(ctx, d.key); err != nil {
		return nil, nil, err
	}
	checksum, err = d.get(ctx, strings.TrimSuffix(d.key, "manifest.json")+"manifest.checksum")
	return manifest, checksum, err
}

func (d *s3Delivery) data(ctx context.Context, f InventoryFile) (string, string, error) {
	name := "s3://" + d.bucket + "/" + f.Key
	h := md5.New() // taken as the file arrives: one pass
	path, err := downloadTemp(ctx, d.c, d.bucket, f.Key, "backfill-inventory-*", h)
	if err != nil {
		return "", "", fmt.Errorf("%s: data file %s: %w", d.name(), name, err)
	}
	d.mu.Lock()
	d.temps = append(d.temps, path)
	d.mu.Unlock()
	return path, name, CheckSum(f, h.Sum(nil), name)
}

func (d *s3Delivery) cleanup() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.temps {
		os.Remove(t)
	}
	d.temps = nil
}

// localDelivery is a delivery copied to disk, keeping S3's layout:
// config-ID/DATE/manifest.json beside config-ID/data/*.
type localDelivery struct{ path string }

func (d *localDelivery) name() string { return d.path }

func (d *localDelivery) manifest(context.Context) (manifest, checksum []byte, err error) {
	if manifest, err = os.ReadFile(d.path); err != nil {
		return nil, nil, fmt.Errorf("--inventory: %w", err)
	}
	if checksum, err = os.ReadFile(filepath.Join(filepath.Dir(d.path), "manifest.checksum")); err != nil {
		return nil, nil, fmt.Errorf("--inventory: %w", err)
	}
	return manifest, checksum, nil
}

func (d *localDelivery) data(_ context.Context, f InventoryFile) (string, string, error) {
	p := filepath.Join(filepath.Dir(d.path), "..", "data", filepath.Base(f.Key))
	fh, err := os.Open(p)
	if err != nil {
		return "", "", fmt.Errorf("%s: data file %s: %w", d.path, p, err)
	}
	defer fh.Close()
	return p, p, CheckData(f, bufio.NewReaderSize(fh, 1<<20), p)
}

func (d *localDelivery) cleanup() {}

// newestDelivery finds the newest complete delivery (manifest.json and
// manifest.checksum both there) under prefix, or the newest whose date
// starts with date. S3 writes DEST-PREFIX/SOURCE-BUCKET/CONFIG-ID/DATE/:
// given a prefix above the source bucket, only the deliveries of the
// source bucket count; several configurations under it are refused
// rather than mixed (name the CONFIG-ID folder).
func newestDelivery(ctx context.Context, c ListAPI, bucket, prefix, date, fromBucket string) (string, error) {
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
