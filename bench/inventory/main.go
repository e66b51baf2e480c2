// Command inventory measures how fast backfill reads an S3 Inventory
// delivery: a generated N-row inventory, split into data files as S3
// splits a large one, is parsed row by row (CSV: gzip, CSV, fileSchema
// columns, form-decoded keys, timestamps; Parquet: columns by name) and
// each row decided (current version, replication status, archive tier),
// as a `copy --inventory` or `plan --inventory` run does before copying.
// The files are read four at a time, as backfill reads them. Reports
// rows/s with one core and with two, and peak RSS.
//
//	go run ./bench/inventory -rows 10000000 -files 8 -formats csv,parquet
package main

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/bench/internal/peak"
	"github.com/backfill-dev/backfill/inventory"
)

const schema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, IntelligentTieringAccessTier"

// readers is how many data files backfill reads at once.
const readers = 4

func main() {
	rows := flag.Int("rows", 10_000_000, "rows in the generated inventory")
	files := flag.Int("files", 8, "data files the rows are split into")
	formats := flag.String("formats", "csv,parquet", "formats to measure")
	read := flag.String("read", "", "(internal) read the data files in this folder and report, in a child process so its RSS is the reading's alone")
	format := flag.String("format", "csv", "(internal) with -read")
	procs := flag.Int("procs", 1, "(internal) with -read: GOMAXPROCS")
	flag.Parse()
	if *read != "" {
		if err := readAll(*read, *format, *procs, *rows); err != nil {
			fmt.Fprintln(os.Stderr, "inventory bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*rows, *files, strings.Split(*formats, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "inventory bench:", err)
		os.Exit(1)
	}
}

var (
	classes = []string{"STANDARD", "STANDARD", "STANDARD_IA", "GLACIER", "INTELLIGENT_TIERING"}
	repl    = []string{"", "", "COMPLETED", "FAILED", "PENDING"}
)

func key(i int) string {
	return fmt.Sprintf("shows/show%02d/sh%03d/frames/plate v%d.%07d.exr", i%40, i%700, i%3, i)
}

// pqRow is a row as S3 Inventory writes Parquet: snake_case columns.
type pqRow struct {
	Bucket            string `parquet:"bucket"`
	Key               string `parquet:"key"`
	VersionID         string `parquet:"version_id,optional"`
	IsLatest          bool   `parquet:"is_latest"`
	IsDeleteMarker    bool   `parquet:"is_delete_marker"`
	Size              int64  `parquet:"size"`
	LastModifiedDate  int64  `parquet:"last_modified_date,timestamp(millisecond)"`
	ETag              string `parquet:"e_tag"`
	StorageClass      string `parquet:"storage_class"`
	ReplicationStatus string `parquet:"replication_status,optional"`
	TieringTier       string `parquet:"intelligent_tiering_access_tier,optional"`
}

func generate(dir, format string, n, files int) ([]string, int64, error) {
	var paths []string
	var total int64
	per := (n + files - 1) / files
	for f := range files {
		p := filepath.Join(dir, fmt.Sprintf("part-%d.%s", f, format))
		out, err := os.Create(p)
		if err != nil {
			return nil, 0, err
		}
		bw := bufio.NewWriterSize(out, 1<<20)
		lo, hi := f*per, min(n, (f+1)*per)
		switch format {
		case "csv":
			zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
			for i := lo; i < hi; i++ {
				fmt.Fprintf(zw, "\"studio-media\",\"%s\",\"\",\"true\",\"false\",\"%d\",\"2025-06-%02dT10:20:30.000Z\",\"%032x\",\"%s\",\"false\",\"%s\",\"SSE-S3\",\"\"\n",
					url.QueryEscape(key(i)), 4096+i%60000, 1+i%28, i, classes[i%5], repl[i%5])
			}
			if err := zw.Close(); err != nil {
				return nil, 0, err
			}
		case "parquet":
			w := parquet.NewGenericWriter[pqRow](bw, parquet.Compression(&parquet.Snappy))
			batch := make([]pqRow, 0, 4096)
			base := time.Date(2025, 6, 1, 10, 20, 30, 0, time.UTC)
			for i := lo; i < hi; i++ {
				batch = append(batch, pqRow{Bucket: "studio-media", Key: key(i), IsLatest: true, Size: int64(4096 + i%60000),
					LastModifiedDate: base.AddDate(0, 0, i%28).UnixMilli(), ETag: fmt.Sprintf("%032x", i), StorageClass: classes[i%5],
					ReplicationStatus: repl[i%5]})
				if len(batch) == cap(batch) || i == hi-1 {
					if _, err := w.Write(batch); err != nil {
						return nil, 0, err
					}
					batch = batch[:0]
				}
			}
			if err := w.Close(); err != nil {
				return nil, 0, err
			}
		default:
			return nil, 0, fmt.Errorf("format %q: csv or parquet", format)
		}
		if err := bw.Flush(); err != nil {
			return nil, 0, err
		}
		size, _ := out.Seek(0, io.SeekEnd)
		total += size
		out.Close()
		paths = append(paths, p)
	}
	return paths, total, nil
}

type rowReader interface {
	Next() (inventory.InventoryRow, error)
}

func open(m *inventory.InventoryManifest, format, path string) (rowReader, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if format == "parquet" {
		fi, _ := f.Stat()
		r, err := inventory.NewParquetReader(f, fi.Size(), path)
		return r, func() { f.Close() }, err
	}
	r, err := m.NewReader(bufio.NewReaderSize(f, 1<<20), path)
	return r, func() { f.Close() }, err
}

func manifest() (*inventory.InventoryManifest, error) {
	js := []byte(`{"sourceBucket":"studio-media","fileFormat":"CSV","fileSchema":"` + schema + `","files":[{"key":"k","size":1,"MD5checksum":"x"}]}`)
	sum := md5.Sum(js)
	return inventory.ParseInventoryManifest(js, []byte(hex.EncodeToString(sum[:])), "manifest.json")
}

func run(n, files int, formats []string) error {
	dir, err := os.MkdirTemp("", "bench-inventory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Printf("| format | rows | data files | MB | GOMAXPROCS | rows/s | rows/s per core | peak RSS of the reader |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, format := range formats {
		sub := filepath.Join(dir, format)
		if err := os.Mkdir(sub, 0o755); err != nil {
			return err
		}
		t0 := time.Now()
		_, size, err := generate(sub, format, n, files)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "generated %d rows of %s in %d files, %.0f MB, in %s\n", n, format, files, float64(size)/1e6, time.Since(t0).Round(time.Second))
		for _, procs := range []int{1, 2} {
			out, err := exec.Command(self, "-read", sub, "-format", format, "-procs", fmt.Sprint(procs), "-rows", fmt.Sprint(n)).Output()
			if err != nil {
				return fmt.Errorf("%s with %d cores: %w", format, procs, err)
			}
			var rate float64
			var rss int64
			if _, err := fmt.Sscanf(string(out), "rate=%f rss=%d", &rate, &rss); err != nil {
				return fmt.Errorf("reader said %q: %w", out, err)
			}
			fmt.Printf("| %s | %d | %d | %.0f | %d | %.0f | %.0f | %.0f MB |\n", format, n, files, float64(size)/1e6, procs, rate, rate/float64(procs), float64(rss)/1024)
		}
		os.RemoveAll(sub)
	}
	return nil
}

// readAll reads every data file in dir, four at a time, deciding each
// row, and prints the rate and this process's peak RSS.
func readAll(dir, format string, procs, n int) error {
	runtime.GOMAXPROCS(procs)
	m, err := manifest()
	if err != nil {
		return err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "part-*"))
	if err != nil {
		return err
	}
	var count atomic.Int64
	decided := make([]atomic.Int64, 5)
	start := time.Now()
	g := errgroup.Group{}
	g.SetLimit(readers)
	for _, p := range paths {
		g.Go(func() error {
			r, done, err := open(m, format, p)
			if err != nil {
				return err
			}
			defer done()
			var c int64
			var d [5]int64
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				c++
				switch {
				case !row.IsLatest || row.IsDeleteMarker || row.Bucket != "studio-media":
					d[0]++
				case row.ReplicationSkip() != "":
					d[1]++
				case row.Archived():
					d[2]++
				case row.LastModified.IsZero():
					d[3]++
				default:
					d[4]++
				}
			}
			count.Add(c)
			for i := range d {
				decided[i].Add(d[i])
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	el := time.Since(start)
	if count.Load() != int64(n) || decided[4].Load() == 0 || decided[3].Load() != 0 {
		return fmt.Errorf("%s: read %d rows of %d (decisions %v)", format, count.Load(), n, decided)
	}
	kib, _ := peak.RSS(0) // not ru_maxrss: it would count the parent's pages too
	fmt.Printf("rate=%f rss=%d\n", float64(count.Load())/el.Seconds(), kib)
	return nil
}
