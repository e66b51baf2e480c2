// Command verifyinv measures `backfill verify` between two S3 Inventory
// deliveries (the primary's and the replica's) of many rows: its time,
// peak RSS, and whether it found exactly the differences planted. The
// inventories are written to local disk in S3's layout; the simulator
// (bench/s3sim) only answers the buckets' preflight, so the run measures
// the inventory readers, the sort on disk and the join. It prints a
// markdown table.
//
//	go run ./bench/verifyinv -rows 1000000
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/backfill-dev/backfill/bench/internal/peak"
	"github.com/backfill-dev/backfill/bench/s3sim"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in the primary's inventory")
	files := flag.Int("files", 8, "data files per inventory")
	bin := flag.String("backfill", "bin/backfill", "the backfill binary")
	maxRSS := flag.Int("max-rss-mib", 512, "the target: peak RSS under this many MiB")
	flag.Parse()
	if err := run(*rows, *files, *bin, *maxRSS); err != nil {
		fmt.Fprintln(os.Stderr, "verifyinv:", err)
		os.Exit(1)
	}
}

// planted are the differences written into the replica's inventory: of
// every 200 rows one is missing and one has another ETag (content-differs,
// the replica's row older); of every 1000, one extra row.
type planted struct{ missing, differs, extra int }

func run(rows, files int, bin string, maxRSS int) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (run `make build` first)", err)
	}
	dir, err := os.MkdirTemp("", "bench-verifyinv-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sim, err := s3sim.Start(s3sim.Options{})
	if err != nil {
		return err
	}
	defer sim.Close()
	for _, b := range []string{"primary", "replica"} {
		if err := sim.Seed(b, 0, nil); err != nil {
			return err
		}
	}
	t0 := time.Now()
	src, dst, want, err := writeInventories(dir, rows, files)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote two inventories of %d rows in %.1f s\n", rows, time.Since(t0).Seconds())
	rep := filepath.Join(dir, "report.json")
	args := []string{"verify", "--from", "s3://primary", "--to", "s3://replica", "--inventory", src, "--dest-inventory", dst,
		"--min-age", "0s", "--no-progress", "--report", rep}
	wall, rss, cpu, err := measure(bin, args, dir, sim.URL())
	if err != nil {
		return err
	}
	exact, got, err := findings(rep, want)
	if err != nil {
		return err
	}
	met := "met"
	if !exact || rss > float64(maxRSS) {
		met = "NOT met"
	}
	fmt.Printf("| rows | time (s) | CPU (s) | peak RSS (MiB) | found exactly the planted differences | target (RSS < %d MiB, exact) |\n|---|---|---|---|---|---|\n", maxRSS)
	fmt.Printf("| %d | %.1f | %.1f | %.0f | %s (%s) | %s |\n", rows, wall, cpu, rss, yes(exact), got, met)
	fmt.Printf("\n(%d CPUs, %s, load average at the end: %s)\n", runtime.NumCPU(), runtime.Version(), loadavg())
	if !exact {
		return fmt.Errorf("the verify's findings (%s) are not the planted differences", got)
	}
	return nil
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// writeInventories writes the two deliveries and returns their
// manifest.json paths and the planted differences.
func writeInventories(dir string, rows, files int) (src, dst string, p planted, err error) {
	when := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	line := func(bucket, key string, size int64, etag string, t time.Time) string {
		return fmt.Sprintf("%q,%q,%q,%q,%q,%q,%q\n", bucket, key, fmt.Sprint(size), t.Format("2006-01-02T15:04:05.000Z"), etag, "STANDARD", "SSE-S3")
	}
	var sb, db []strings.Builder
	sb, db = make([]strings.Builder, files), make([]strings.Builder, files)
	for i := range rows {
		key := fmt.Sprintf("shows/s%02d/seq%04d/shot%07d.exr", i/100000, i/1000%100, i)
		etag := fmt.Sprintf("%032x", i*2654435761)
		size := int64(1<<20 + i%65536)
		f := i % files
		sb[f].WriteString(line("primary", key, size, etag, when.Add(time.Hour)))
		switch {
		case i%200 == 7:
			p.missing++
		case i%200 == 11:
			p.differs++
			db[f].WriteString(line("replica", key, size, fmt.Sprintf("%032x", i*7), when))
		default:
			db[f].WriteString(line("replica", key, size, etag, when.Add(2*time.Hour)))
		}
		if i%1000 == 13 {
			p.extra++
			db[f].WriteString(line("replica", key+".extra", 10, etag, when))
		}
	}
	if src, err = delivery(filepath.Join(dir, "inv-primary"), "primary", sb); err != nil {
		return
	}
	dst, err = delivery(filepath.Join(dir, "inv-replica"), "replica", db)
	return
}

// EncryptionStatus, as `backfill setup` configures an inventory: it lets
// a verify compare two single-part ETags as MD5s.
const schema = "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass, EncryptionStatus"

// delivery lays out one inventory delivery as S3 writes it.
func delivery(dir, bucket string, data []strings.Builder) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		return "", err
	}
	var list []string
	for i := range data {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(data[i].String())) //nolint:errcheck
		zw.Close()
		name := fmt.Sprintf("part-%d.csv.gz", i)
		if err := os.WriteFile(filepath.Join(dir, "data", name), b.Bytes(), 0o600); err != nil {
			return "", err
		}
		sum := md5.Sum(b.Bytes())
		list = append(list, fmt.Sprintf(`{"key":"inv/%s/c/data/%s","size":%d,"MD5checksum":%q}`, bucket, name, b.Len(), hex.EncodeToString(sum[:])))
	}
	// Taken the day after the rows' dates (2026-11-01): a verify counts
	// too-new from the inventory's own time.
	taken := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC).UnixMilli()
	m := fmt.Sprintf(`{"sourceBucket":%q,"destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"%d","fileFormat":"CSV","fileSchema":%q,"files":[%s]}`,
		bucket, taken, schema, strings.Join(list, ","))
	mdir := filepath.Join(dir, "2026-11-02T01-00Z")
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return "", err
	}
	sum := md5.Sum([]byte(m))
	if err := os.WriteFile(filepath.Join(mdir, "manifest.checksum"), []byte(hex.EncodeToString(sum[:])+"\n"), 0o600); err != nil {
		return "", err
	}
	path := filepath.Join(mdir, "manifest.json")
	return path, os.WriteFile(path, []byte(m), 0o600)
}

// measure runs the verify and watches its peak RSS.
func measure(bin string, args []string, dir, url string) (wall, rssMiB, cpu float64, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=s3sim", "AWS_SECRET_ACCESS_KEY=s3simsecret", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_S3="+url, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"TMPDIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	w := peak.Watch(cmd.Process.Pid)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				w.Poll()
			case <-done:
				return
			}
		}
	}()
	runErr := cmd.Wait()
	close(done)
	wall = time.Since(start).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		return 0, 0, 0, fmt.Errorf("verify exited %d (%v), want 3:\n%s", code, runErr, out.String())
	}
	return wall, float64(w.Max()) / 1024, cpu, nil
}

// findings reads the report and compares its classes with the planted.
func findings(path string, want planted) (bool, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, "", err
	}
	var rep struct {
		Classes map[string]struct{ Count int } `json:"classes"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return false, "", err
	}
	c := func(k string) int { return rep.Classes[k].Count }
	got := fmt.Sprintf("missing %d, content-differs %d, extra %d", c("missing"), c("content-differs"), c("extra"))
	exact := c("missing") == want.missing && c("content-differs") == want.differs && c("extra") == want.extra &&
		c("size-differs")+c("replica-newer")+c("unverified")+c("metadata-differs")+c("replication-failed") == 0
	return exact, got, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
