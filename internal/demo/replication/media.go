package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// medium is one sample media object.
type medium struct {
	key, contentType string
	size             int
	meta             map[string]string
}

var shows = []string{"alpha", "bravo", "charlie"}

// library lists n media objects: per shot, EXR frames, a JPEG thumbnail
// every tenth frame, and an editorial movie.
func library(prefix string, n int, rng *rand.Rand) []medium {
	var out []medium
	for shot := 10; len(out) < n; shot += 10 {
		show := shows[(shot/10)%len(shows)]
		dir := fmt.Sprintf("%s%s/sh%03d/", prefix, show, shot)
		for f := 1001; f <= 1100 && len(out) < n; f++ {
			out = append(out, medium{key: fmt.Sprintf("%sframes/sh%03d.%04d.exr", dir, shot, f), contentType: "image/x-exr",
				size: 2<<10 + rng.IntN(14<<10), meta: map[string]string{"frame": fmt.Sprint(f), "show": show}})
			if f%10 == 3 {
				out = append(out, medium{key: fmt.Sprintf("%sthumbs/sh%03d.%04d.jpg", dir, shot, f), contentType: "image/jpeg",
					size: 1<<10 + rng.IntN(4<<10), meta: map[string]string{"frame": fmt.Sprint(f)}})
			}
		}
		out = append(out, medium{key: fmt.Sprintf("%smovies/sh%03d_v1.mov", dir, shot), contentType: "video/quicktime",
			size: 64<<10 + rng.IntN(64<<10), meta: map[string]string{"version": "1"}})
	}
	return out[:n]
}

// seed puts n sample media objects under prefix, 16 at a time.
func seed(ctx context.Context, c *s3.Client, bucket, prefix string, n int) (int, int64, error) {
	objs := library(prefix, n, rand.New(rand.NewPCG(2026, 22)))
	var total atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, o := range objs {
		g.Go(func() error {
			total.Add(int64(o.size))
			return put(ctx, c, bucket, o, uint64(i))
		})
	}
	return len(objs), total.Load(), g.Wait()
}

func put(ctx context.Context, c *s3.Client, bucket string, o medium, seed uint64) error {
	body := make([]byte, o.size)
	r := rand.New(rand.NewPCG(seed, uint64(o.size)))
	for i := range body {
		body[i] = byte(r.UintN(256))
	}
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(body),
		ContentType: aws.String(o.contentType), Metadata: o.meta})
	if err != nil {
		return fmt.Errorf("put %s: %w", o.key, err)
	}
	return nil
}

// writer adds new media and overwrites existing ones every 20 ms until
// stopped, as a studio keeps working during a backfill.
type writer struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error

	mu                   sync.Mutex
	touched              map[string]bool
	written, overwritten int
}

func startWriter(ctx context.Context, c *s3.Client) *writer {
	ctx, cancel := context.WithCancel(ctx)
	w := &writer{cancel: cancel, done: make(chan struct{}), touched: map[string]bool{}}
	existing := library(prefix, seedCount, rand.New(rand.NewPCG(2026, 22)))
	rng := rand.New(rand.NewPCG(7, 7))
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			o := medium{key: fmt.Sprintf("%sdelta/sh%03d/frames/sh%03d.%04d.exr", prefix, 900+i/50, 900+i/50, 1001+i%50),
				contentType: "image/x-exr", size: 2<<10 + rng.IntN(8<<10), meta: map[string]string{"written": "during the backfill"}}
			overwrite := i%3 == 2
			if overwrite {
				o = existing[rng.IntN(len(existing))]
				o.meta = map[string]string{"revision": fmt.Sprint(i)}
			}
			if err := put(ctx, c, srcBucket, o, uint64(1_000_000+i)); err != nil {
				if ctx.Err() == nil {
					w.err = err
				}
				return
			}
			w.record(o.key, overwrite)
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *writer) record(key string, overwrite bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.touched[key] = true
	if overwrite {
		w.overwritten++
	} else {
		w.written++
	}
}

// stop ends the writer and returns what it did.
func (w *writer) stop() (written, overwritten int, err error) {
	w.cancel()
	<-w.done
	if errors.Is(w.err, context.Canceled) {
		w.err = nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.written, w.overwritten, w.err
}

// keys are the keys the writer wrote.
func (w *writer) keys() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var ks []string
	for k := range w.touched {
		ks = append(ks, k)
	}
	return ks
}

func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
