package batchops

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"slices"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

// collector is the dry run's engine.Observer: every object the copy would
// copy becomes a row of the job's manifest (a private temp file, rows
// bucket,escaped-key,version with the version possibly empty), or, above
// MaxCopySize, an entry of the large list. What the filters skip never
// reaches it. Result is called from the engine's collector goroutine
// only; the other methods after the run.
type collector struct {
	f       *os.File
	w       *csv.Writer
	rows    int64
	bytes   int64
	version int64 // rows with a version id
	classes map[string]int64
	large   []inventory.Object
	lbytes  int64
	err     error
}

func newCollector() (*collector, error) {
	f, err := os.CreateTemp("", "backfill-batchops-rows-*.csv")
	if err != nil {
		return nil, err
	}
	return &collector{f: f, w: csv.NewWriter(bufio.NewWriterSize(f, 1<<20)), classes: map[string]int64{}}, nil
}

var _ engine.Observer = (*collector)(nil)

func (c *collector) Result(r *engine.Result) {
	if r.Outcome != engine.WouldCopy || c.err != nil {
		return
	}
	o := r.Entry.Source
	if o.Size > MaxCopySize {
		c.large = append(c.large, o)
		c.lbytes += o.Size
		return
	}
	class := o.StorageClass
	if class == "" {
		class = "STANDARD"
	}
	c.classes[class]++
	c.rows++
	c.bytes += o.Size
	if o.VersionID != "" {
		c.version++
	}
	c.err = c.w.Write([]string{o.Bucket, s3url.EscapeKey(o.Key), o.VersionID})
}

// close flushes the rows; the file stays until remove.
func (c *collector) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil && c.err == nil {
		c.err = err
	}
	if err := c.f.Close(); err != nil && c.err == nil {
		c.err = err
	}
	if c.err != nil {
		return fmt.Errorf("write the manifest rows: %w", c.err)
	}
	return nil
}

func (c *collector) remove() { os.Remove(c.f.Name()) }

// mixedVersions reports whether some rows have a version id and some do
// not: a manifest must be one or the other.
func (c *collector) mixedVersions() bool { return c.version > 0 && c.version < c.rows }

// storageClass is the one class of every object in the job, or "" with
// the classes when there are several.
func (c *collector) storageClass() (string, []string) {
	classes := make([]string, 0, len(c.classes))
	for k := range c.classes {
		classes = append(classes, k)
	}
	slices.Sort(classes)
	if len(classes) == 1 {
		return classes[0], nil
	}
	for i, k := range classes {
		classes[i] = fmt.Sprintf("%s %d", k, c.classes[k])
	}
	return "", classes
}

// writeLarge writes the objects over MaxCopySize to a Batch Operations
// CSV manifest at path (0600), with version ids only if all have one.
func (c *collector) writeLarge(path string) error {
	all := len(c.large) > 0
	for _, o := range c.large {
		all = all && o.VersionID != ""
	}
	mf, err := createManifest(path)
	if err != nil {
		return err
	}
	for _, o := range c.large {
		v := ""
		if all {
			v = o.VersionID
		}
		if err := mf.Write(o.Bucket, o.Key, v); err != nil {
			mf.Close()
			return err
		}
	}
	return mf.Close()
}
