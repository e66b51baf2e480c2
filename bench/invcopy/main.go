// Command invcopy measures an inventory-driven copy into an empty replica
// on the S3 simulator (bench/s3sim): the requests per object, the time,
// and backfill's peak RSS, for each replica lookup (a listing of the
// replica joined with the inventory's keys on local disk, the default;
// or one HEAD per object).
//
//	make build && go run ./bench/invcopy                       # 100,000 objects, 25 ms
//	go run ./bench/invcopy -objects 1000000 -lookups list      # memory at a million rows
//
// The inventory is a local delivery (manifest.json, manifest.checksum,
// gzipped CSV data files) of the seeded objects in a random order, as S3
// writes it (its rows are not sorted); backfill reads it with --inventory
// PATH, so the simulator sees only the copy's requests. Targets (issue
// 19): at most 1.01 requests per object with the default lookup, and a
// 1M-row copy under 512 MiB RSS.
package main

import (
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/backfill-dev/backfill/bench/internal/child"
	"github.com/backfill-dev/backfill/bench/s3sim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "invcopy:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("objects", 100000, "objects in the primary and rows in its inventory")
	files := flag.Int("files", 8, "inventory data files")
	latency := flag.Duration("latency", 25*time.Millisecond, "added latency per request")
	lookups := flag.String("lookups", "list,head", "the replica lookups to run, comma-separated (list, head)")
	bin := flag.String("backfill", "bin/backfill", "backfill binary (`make build`)")
	rssTarget := flag.Float64("rss-target", 512, "peak RSS backfill must stay under with the default lookup, MiB")
	flag.Parse()
	backfill, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	sim, err := s3sim.Start(s3sim.Options{})
	if err != nil {
		return err
	}
	defer sim.Close()
	if err := sim.Seed("primary", *n, func(i int) (string, int64) {
		return fmt.Sprintf("shows/s%02d/e%02d/frames/%06d.dpx", i/50000, i/1000%50, i%1000), 4096 + int64(i*7919%65536)
	}); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-invcopy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	manifest, err := writeInventory(sim, dir, *files)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d objects; their inventory (%d gzipped CSV files, rows in a random order) written in %.1f s\n\n", *n, *files, time.Since(t0).Seconds())
	env, err := child.Env(dir, sim.URL())
	if err != nil {
		return err
	}
	sim.SetLatency(*latency)
	fmt.Printf("%d objects, %s per request, empty replica\n\n", *n, *latency)
	fmt.Println("| replica lookup | wall s | objects/s | requests by operation | requests per object | peak RSS MiB | CPU s | replica complete | target |")
	fmt.Println("|---|---:|---:|---|---:|---:|---:|---|---|")
	for _, lookup := range strings.Split(*lookups, ",") {
		sim.DropBucket("replica")
		sim.CreateBucket("replica")
		sim.ResetCounts()
		args := []string{backfill, "copy", "--from", "s3://primary", "--to", "s3://replica", "--no-progress", "--inventory", manifest,
			"--checkpoint", filepath.Join(dir, lookup+".db")}
		if lookup != "list" {
			args = append(args, "--replica-lookup", lookup)
		}
		r, err := child.Run(args, env, filepath.Join(dir, lookup+".log"))
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, tail(r.Log))
		counts := sim.Counts()
		total := int64(0)
		for _, c := range counts {
			total += c
		}
		perObject := float64(total) / float64(*n)
		complete := check(sim, *n)
		if r.ExitErr != nil {
			complete = fmt.Sprintf("exited (%v); %s", r.ExitErr, complete)
		}
		target := "-"
		if lookup == "list" {
			ok := perObject <= 1.01 && strings.HasPrefix(complete, "yes")
			target = fmt.Sprintf("<= 1.01 requests/object: %s", met(ok))
			if *n >= 1000000 {
				target += fmt.Sprintf("; RSS < %.0f MiB: %s", *rssTarget, met(r.PeakMiB < *rssTarget))
			}
		}
		fmt.Printf("| %s | %.1f | %.0f | %s | %.4f | %.0f | %.1f | %s | %s |\n", lookup, r.Wall, float64(*n)/r.Wall, countText(counts), perObject, r.PeakMiB, r.CPU(), complete, target)
	}
	return nil
}

// writeInventory writes a delivery of the primary's objects in a random
// order, spread over files data files, and returns its manifest.json.
func writeInventory(sim *s3sim.Sim, dir string, files int) (string, error) {
	var rows []string
	err := sim.Walk(context.Background(), "primary", "", func(o s3sim.Object) bool {
		rows = append(rows, fmt.Sprintf("%q,%q,%q,%q,%q,%q\n", "primary", url.QueryEscape(o.Key), fmt.Sprint(o.Size),
			o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"), strings.Trim(o.ETag, `"`), o.StorageClass))
		return true
	})
	if err != nil {
		return "", err
	}
	rand.New(rand.NewPCG(19, 20)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	data := filepath.Join(dir, "inv", "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", err
	}
	var list []string
	for f := range files {
		name := fmt.Sprintf("part-%03d.csv.gz", f)
		path := filepath.Join(data, name)
		fh, err := os.Create(path)
		if err != nil {
			return "", err
		}
		h := md5.New()
		zw := gzip.NewWriter(fh)
		for i := f; i < len(rows); i += files {
			zw.Write([]byte(rows[i])) //nolint:errcheck // checked at Close
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
		fh.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		h.Write(b)
		list = append(list, fmt.Sprintf(`{"key":"inv/primary/config/data/%s","size":%d,"MD5checksum":%q}`, name, len(b), hex.EncodeToString(h.Sum(nil))))
	}
	js := fmt.Sprintf(`{"sourceBucket":"primary","destinationBucket":"arn:aws:s3:::inventories","version":"2016-11-30","creationTimestamp":"1732406400000","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate, ETag, StorageClass","files":[%s]}`,
		strings.Join(list, ","))
	mdir := filepath.Join(dir, "inv", "2026-11-23T01-00Z")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return "", err
	}
	sum := md5.Sum([]byte(js))
	if err := os.WriteFile(filepath.Join(mdir, "manifest.checksum"), []byte(hex.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		return "", err
	}
	m := filepath.Join(mdir, "manifest.json")
	return m, os.WriteFile(m, []byte(js), 0o600)
}

// check compares the replica with the primary: every object, same size
// and ETag.
func check(sim *s3sim.Sim, n int) string {
	same := 0
	sim.Walk(context.Background(), "replica", "", func(o s3sim.Object) bool { //nolint:errcheck
		if src, ok := sim.Lookup("primary", o.Key); ok && src.Size == o.Size && src.ETag == o.ETag {
			same++
		}
		return true
	})
	if same == n && sim.Len("replica") == n {
		return fmt.Sprintf("yes: %d with the source's size and ETag", same)
	}
	return fmt.Sprintf("NO: %d objects, %d of %d equal to the source", sim.Len("replica"), same, n)
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func countText(m map[string]int64) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func tail(s string) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > 6 {
		ls = ls[len(ls)-6:]
	}
	return strings.Join(ls, "\n")
}
