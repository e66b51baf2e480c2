// Command inventory measures how fast backfill reads an S3 Inventory CSV
// delivery: a generated N-row CSV.gz data file is parsed row by row (gzip,
// CSV, fileSchema columns, form-decoded keys, timestamps) and each row
// decided (current version, replication status, archive tier), as a
// `copy --inventory` run does before copying. Reports rows/s and peak RSS.
//
//	go run ./bench/inventory -rows 10000000
package main

import (
	"bufio"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/backfill-dev/backfill/inventory"
)

const schema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, IntelligentTieringAccessTier"

func main() {
	rows := flag.Int("rows", 10_000_000, "rows in the generated data file")
	flag.Parse()
	if err := run(*rows); err != nil {
		fmt.Fprintln(os.Stderr, "inventory bench:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	f, err := os.CreateTemp("", "bench-inventory-*.csv.gz")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	t0 := time.Now()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	classes := []string{"STANDARD", "STANDARD", "STANDARD_IA", "GLACIER", "INTELLIGENT_TIERING"}
	repl := []string{"", "", "COMPLETED", "FAILED", "PENDING"}
	for i := range n {
		key := url.QueryEscape(fmt.Sprintf("shows/show%02d/sh%03d/frames/plate v%d.%07d.exr", i%40, i%700, i%3, i))
		fmt.Fprintf(zw, "\"studio-media\",\"%s\",\"\",\"true\",\"false\",\"%d\",\"2025-06-%02dT10:20:30.000Z\",\"%032x\",\"%s\",\"false\",\"%s\",\"SSE-S3\",\"\"\n",
			key, 4096+i%60000, 1+i%28, i, classes[i%5], repl[i%5])
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	size, _ := f.Seek(0, io.SeekEnd)
	f.Close()
	fmt.Printf("generated %d rows, %.0f MB gzipped, in %s\n", n, float64(size)/1e6, time.Since(t0).Round(time.Second))

	js := []byte(`{"sourceBucket":"studio-media","fileFormat":"CSV","fileSchema":"` + schema + `","files":[{"key":"k","size":1,"MD5checksum":"x"}]}`)
	sum := md5.Sum(js)
	m, err := inventory.ParseInventoryManifest(js, []byte(hex.EncodeToString(sum[:])), "manifest.json")
	if err != nil {
		return err
	}
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		in, err := os.Open(f.Name())
		if err != nil {
			return err
		}
		start := time.Now()
		r, err := m.NewReader(bufio.NewReaderSize(in, 1<<20), "data.csv.gz")
		if err != nil {
			return err
		}
		decided := map[string]int{}
		count := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			count++
			switch {
			case !row.IsLatest || row.IsDeleteMarker:
				decided["not current"]++
			case row.ReplicationSkip() != "":
				decided[row.ReplicationSkip()]++
			case row.Archived():
				decided["archived"]++
			default:
				decided["copy"]++
			}
		}
		in.Close()
		d := time.Since(start)
		fmt.Printf("GOMAXPROCS=%d: %d rows in %s: %.0f rows/s; decisions %v\n", procs, count, d.Round(time.Millisecond), float64(count)/d.Seconds(), decided)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("peak RSS: %.0f MB\n", float64(ru.Maxrss)/1024)
	return nil
}
