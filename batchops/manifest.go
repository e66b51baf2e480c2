package batchops

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

var createManifest = report.CreateManifest

// keyDigest is an order-free digest of a manifest's rows: the rows'
// SHA-256 sums added lane by lane, and their count. The same objects give
// the same digest whatever order the dry run found them in.
type keyDigest struct {
	lanes [4]uint64
	n     int64
}

func (d *keyDigest) add(bucket, key, version string) {
	h := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	for i := range d.lanes {
		d.lanes[i] += binary.BigEndian.Uint64(h[8*i:])
	}
	d.n++
}

func (d *keyDigest) String() string {
	var b [40]byte
	for i, l := range d.lanes {
		binary.BigEndian.PutUint64(b[8*i:], l)
	}
	binary.BigEndian.PutUint64(b[32:], uint64(d.n))
	s := sha256.Sum256(b[:])
	return hex.EncodeToString(s[:])
}

// manifest is a finished manifest file: its path, rows, and digest.
type manifest struct {
	path     string
	rows     int64
	versions bool
	digest   string
	gone     int64 // rows dropped because the object was deleted since
}

// versionAPI finds an object's current version.
type versionAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// finalize writes the job's manifest from the collected rows: as they
// are, or, when fill is set, with every row's version id (a HEAD of each
// object without one, concurrency at a time; a versioned bucket's null
// version is "null"). Objects deleted since they were listed are dropped.
func finalize(ctx context.Context, rows string, api versionAPI, fill bool, concurrency int) (*manifest, error) {
	out, err := os.CreateTemp("", "backfill-batchops-manifest-*.csv")
	if err != nil {
		return nil, err
	}
	out.Close()
	mf, err := createManifest(out.Name())
	if err != nil {
		return nil, err
	}
	m := &manifest{path: out.Name(), versions: fill}
	var d keyDigest
	write := func(bucket, key, version string) error {
		d.add(bucket, key, version)
		m.rows++
		return mf.Write(bucket, key, version)
	}
	if fill {
		err = fillVersions(ctx, rows, api, concurrency, write, &m.gone)
	} else {
		err = eachRow(rows, func(bucket, key, version string) error {
			m.versions = version != ""
			return write(bucket, key, version)
		})
	}
	if cerr := mf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(m.path)
		return nil, err
	}
	m.digest = d.String()
	return m, nil
}

// eachRow reads the collector's rows file.
func eachRow(path string, fn func(bucket, key, version string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 3
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the manifest rows: %w", err)
		}
		key, err := url.PathUnescape(rec[1])
		if err != nil {
			return fmt.Errorf("read the manifest rows: %w", err)
		}
		if err := fn(rec[0], key, rec[2]); err != nil {
			return err
		}
	}
}

type row struct{ bucket, key, version string }

// fillVersions gives every row a version id, looking up the current one
// of the rows without.
func fillVersions(ctx context.Context, path string, api versionAPI, concurrency int, write func(b, k, v string) error, gone *int64) error {
	g, gctx := errgroup.WithContext(ctx)
	in, done := make(chan row, concurrency), make(chan row, concurrency)
	g.Go(func() error {
		defer close(in)
		return eachRow(path, func(b, k, v string) error {
			select {
			case in <- row{b, k, v}:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	var workers errgroup.Group
	for range max(concurrency, 1) {
		workers.Go(func() error { return versionWorker(gctx, api, in, done) })
	}
	g.Go(func() error { defer close(done); return workers.Wait() })
	g.Go(func() error {
		for r := range done {
			if r.version == "" {
				*gone++
				continue
			}
			if err := write(r.bucket, r.key, r.version); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

func versionWorker(ctx context.Context, api versionAPI, in <-chan row, out chan<- row) error {
	for r := range in {
		if r.version == "" {
			h, err := api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.key)})
			switch code := s3err.Code(err); {
			case err == nil:
				r.version = aws.ToString(h.VersionId)
				if r.version == "" {
					r.version = "null"
				}
			case code == "NoSuchKey" || code == "NotFound" || code == "HTTP404":
				// deleted since it was listed: dropped (r.version stays "")
			default:
				return fmt.Errorf("find the version of s3://%s/%s for the manifest: %w", r.bucket, r.key, err)
			}
		}
		select {
		case out <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// checkManifest reads a manifest as Batch Operations will, before the job
// is created (AWS reports a bad manifest only later, as a failed job):
// no header row, every key URL-encoded so it decodes to itself, one
// bucket, every row with a version id or none. want is the row count it
// must have.
func checkManifest(m *manifest, bucket, prefix string, want int64) error {
	f, err := os.Open(m.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := inventory.NewManifestReader(f, "the manifest backfill wrote")
	r.Bucket, r.Prefix = bucket, prefix
	var n int64
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("check of the manifest before the job: %w", err)
		}
		if (row.VersionID != "") != m.versions {
			return fmt.Errorf("check of the manifest before the job: line %d: version column not as written", row.Line)
		}
		n++
	}
	if n != want {
		return fmt.Errorf("check of the manifest before the job: %d rows read back, %d written", n, want)
	}
	return nil
}
