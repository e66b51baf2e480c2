package main

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// framesPerEpisode is how many objects share one episode folder.
const framesPerEpisode = 400

type seedObject struct {
	key  string
	size int
}

// mediaMix lays out n objects the way a studio's primary bucket looks: image
// sequences under shows/SS/EE/frames/, their thumbnails under thumbs/ and a
// few editorial attachments, 10 episodes per show. Keys and sizes are a
// function of seed and n only.
func mediaMix(n, minSize, maxSize int, seed uint64) []seedObject {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	objs := make([]seedObject, n)
	for i := range objs {
		ep := i / framesPerEpisode
		s, e := ep/10+1, ep%10+1
		var key string
		switch x := r.IntN(100); {
		case x < 80:
			key = fmt.Sprintf("shows/s%02d/e%02d/frames/%06d.dpx", s, e, i)
		case x < 95:
			key = fmt.Sprintf("thumbs/s%02d/e%02d/%06d.jpg", s, e, i)
		default:
			key = fmt.Sprintf("editorial/s%02d/e%02d/note-%06d.pdf", s, e, i)
		}
		objs[i] = seedObject{key: key, size: minSize + r.IntN(maxSize-minSize+1)}
	}
	return objs
}

// seedBucket creates bucket and writes the objects straight into its folder
// in versitygw's posix backend (which serves files placed there as objects),
// with the ETag versitygw serves set to the content's real MD5, as S3's is
// for a single-part object, a Content-Type by extension and user metadata.
// Far faster than one PutObject per object.
func seedBucket(ctx context.Context, srv *s3test.Server, bucket string, objs []seedObject, seed uint64) (int64, error) {
	if err := srv.CreateBucket(ctx, bucket, false); err != nil {
		return 0, err
	}
	root := filepath.Join(srv.RootDir, bucket)
	dirs := map[string]bool{}
	var total int64
	for _, o := range objs {
		dirs[filepath.Dir(filepath.Join(root, o.key))] = true
		total += int64(o.size)
	}
	for d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	g, _ := errgroup.WithContext(ctx)
	workers := runtime.NumCPU()
	for w := range workers {
		g.Go(func() error {
			var buf []byte
			for i := w; i < len(objs); i += workers {
				o := objs[i]
				if cap(buf) < o.size {
					buf = make([]byte, o.size)
				}
				b := buf[:o.size]
				var s [32]byte
				binary.LittleEndian.PutUint64(s[:], seed)
				binary.LittleEndian.PutUint64(s[8:], uint64(i))
				rand.NewChaCha8(s).Read(b) //nolint:errcheck // never fails
				path := filepath.Join(root, o.key)
				if err := os.WriteFile(path, b, 0o644); err != nil {
					return err
				}
				etag := fmt.Sprintf("%x", md5.Sum(b))
				for _, x := range [][2]string{
					{"user.etag", etag},
					{"user.content-type", contentType(o.key)},
					{"user.metadata", userMetadata(o.key)},
				} {
					if err := syscall.Setxattr(path, x[0], []byte(x[1]), 0); err != nil {
						return fmt.Errorf("user xattrs are needed on %s: %w", srv.RootDir, err)
					}
				}
			}
			return nil
		})
	}
	return total, g.Wait()
}

// contentType is the Content-Type a seeded object is served with, by the
// key's extension, as a studio's upload tool would set it, with a parameter
// no type guesser adds: a tool that sets a type from the file name instead
// of copying the source's shows.
func contentType(key string) string {
	t := "application/octet-stream"
	switch filepath.Ext(key) {
	case ".dpx":
		t = "image/x-dpx"
	case ".jpg":
		t = "image/jpeg"
	case ".pdf":
		t = "application/pdf"
	}
	return t + "; source=bench"
}

// seedMetadata is a seeded object's user metadata (x-amz-meta-*): the show
// and episode from the key, which a copy must keep.
func seedMetadata(key string) map[string]string {
	m := map[string]string{"origin": "bench"}
	if parts := strings.Split(key, "/"); len(parts) >= 3 {
		m["show"], m["episode"] = parts[1], parts[2]
	}
	return m
}

// userMetadata is seedMetadata(key) in the JSON form versitygw's posix
// backend keeps in the user.metadata attribute (a map of string to string).
func userMetadata(key string) string {
	b, err := json.Marshal(seedMetadata(key))
	if err != nil {
		panic(err) // a map[string]string always marshals
	}
	return string(b)
}

// emptyBucket removes every object of bucket from the server's folder (the
// bucket itself stays), to keep the server's folder small between runs.
func emptyBucket(srv *s3test.Server, bucket string) error {
	root := filepath.Join(srv.RootDir, bucket)
	ents, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// parseSize reads 4096, 4KiB, 64KiB, 1MiB.
func parseSize(s string) (int, error) {
	mult := 1
	t := strings.TrimSpace(s)
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1000}, {"MB", 1000 * 1000}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(t))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 4096, 4KiB, 1MiB)", s)
	}
	return n * mult, nil
}
