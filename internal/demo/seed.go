package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// shot is one shot of a show in the sample library.
type shot struct {
	show, name string
	artist     string
	status     string // tag on its frames ("" = frames untagged)
	movies     int    // versions of its editorial movie
}

// The sample library: 5 shots, three awkward (a space, a '+', unicode).
var shots = []shot{
	{show: "alpha", name: "sh010", artist: "mina", status: "final", movies: 3},
	{show: "alpha", name: "sh020", artist: "tomas", status: "final", movies: 3},
	{show: "bravo", name: "sh010+fx", artist: "ines", movies: 2},
	{show: "été", name: "plan 010", artist: "léa", status: "wip", movies: 2},
	{show: "été", name: "plan 020", artist: "kofi", movies: 2},
}

const (
	framesPerShot = 400 // 2000 frames
	thumbsPerShot = 120 // 600 thumbs
	firstFrame    = 1001
	seedWorkers   = 32
)

const (
	KiB = 1 << 10
	MiB = 1 << 20
)

// object is one sample object to put into the primary bucket.
type object struct {
	key                string
	size               int
	body               []byte // fixed content (meta.json); random bytes of size otherwise
	contentType        string
	cacheControl       string
	contentDisposition string
	metadata           map[string]string
	tagging            string
}

// sampleObjects lists the library under prefix (e.g. "shows"), with random sizes.
func sampleObjects(prefix string, rng *rand.Rand) []object {
	between := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }
	var objs []object
	for _, s := range shots {
		dir := path.Join(prefix, s.show, s.name)
		for i := range framesPerShot {
			n := firstFrame + i
			o := object{
				key:         fmt.Sprintf("%s/frames/%s.%04d.exr", dir, s.name, n),
				size:        between(4*KiB, 64*KiB),
				contentType: "image/x-exr",
				metadata:    map[string]string{"artist": s.artist, "frame": fmt.Sprint(n)},
			}
			if s.status != "" {
				o.tagging = "dept=comp&status=" + s.status
			}
			objs = append(objs, o)
		}
		for i := range thumbsPerShot {
			n := firstFrame + i*framesPerShot/thumbsPerShot
			o := object{
				key:          fmt.Sprintf("%s/thumbs/%s.%04d.jpg", dir, s.name, n),
				size:         between(2*KiB, 8*KiB),
				contentType:  "image/jpeg",
				cacheControl: "public, max-age=86400",
			}
			if i%2 == 0 {
				o.metadata = map[string]string{"frame": fmt.Sprint(n)}
			}
			objs = append(objs, o)
		}
		for v := 1; v <= s.movies; v++ {
			file := fmt.Sprintf("%s_v%d.mov", s.name, v)
			objs = append(objs, object{
				key:                dir + "/movies/" + file,
				size:               between(1*MiB, 4*MiB),
				contentType:        "video/quicktime",
				contentDisposition: fmt.Sprintf("attachment; filename=%q", file),
				metadata:           map[string]string{"artist": s.artist, "version": fmt.Sprint(v)},
				tagging:            "dept=editorial&status=review",
			})
		}
		meta, _ := json.MarshalIndent(map[string]any{
			"show": s.show, "shot": s.name, "artist": s.artist,
			"frame_range": []int{firstFrame, firstFrame + framesPerShot - 1}, "fps": 24,
		}, "", "  ")
		objs = append(objs, object{
			key: dir + "/meta.json", size: len(meta), body: meta,
			contentType: "application/json", metadata: map[string]string{"artist": s.artist},
		})
	}
	return objs
}

// seed puts objs into bucket with seedWorkers concurrent PutObject calls and
// returns the bytes written.
func seed(ctx context.Context, c *s3.Client, bucket string, objs []object) (int64, error) {
	var total atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(seedWorkers)
	for i, o := range objs {
		g.Go(func() error {
			body := o.body
			if body == nil {
				body = make([]byte, o.size)
				var key [32]byte
				key[0], key[1] = byte(i), byte(i>>8)
				rand.NewChaCha8(key).Read(body) //nolint:errcheck // never fails
			}
			in := &s3.PutObjectInput{
				Bucket:      aws.String(bucket),
				Key:         aws.String(o.key),
				Body:        bytes.NewReader(body),
				ContentType: aws.String(o.contentType),
				Metadata:    o.metadata,
			}
			if o.cacheControl != "" {
				in.CacheControl = aws.String(o.cacheControl)
			}
			if o.contentDisposition != "" {
				in.ContentDisposition = aws.String(o.contentDisposition)
			}
			if o.tagging != "" {
				in.Tagging = aws.String(o.tagging)
			}
			if _, err := c.PutObject(ctx, in); err != nil {
				return fmt.Errorf("put %s: %w", o.key, err)
			}
			total.Add(int64(len(body)))
			return nil
		})
	}
	err := g.Wait()
	return total.Load(), err
}
