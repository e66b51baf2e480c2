package s3sim

import (
	"context"
	"errors"
	"time"
)

// CreateBucket creates an empty bucket (an existing one is left as it is).
func (s *Sim) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[name] == nil {
		s.buckets[name] = &bucket{name: name, created: time.Now().UTC()}
	}
}

// DropBucket forgets a bucket and everything in it (between benchmark runs).
func (s *Sim) DropBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets, name)
}

// Seed fills bucket (created if needed; it must hold no objects) with n
// objects named and sized by gen(0..n-1), all with LastModified
// Options.SeedTime and storage class STANDARD. Keys need not come in order
// (sorted ones skip a sort); a repeated key keeps its last size.
func (s *Sim) Seed(bucketName string, n int, gen func(i int) (key string, size int64)) error {
	s.CreateBucket(bucketName)
	s.mu.RLock()
	b := s.buckets[bucketName]
	s.mu.RUnlock()
	sd := buildSeeded(n, gen, s.opts.SeedTime)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.live > 0 || b.seed != nil || b.w.n > 0 {
		return errors.New("s3sim: Seed: bucket " + bucketName + " is not empty")
	}
	b.seed, b.live = sd, sd.len()
	return nil
}

// Len is the number of objects in a bucket (0 if it does not exist).
func (s *Sim) Len(bucketName string) int {
	s.mu.RLock()
	b := s.buckets[bucketName]
	s.mu.RUnlock()
	if b == nil {
		return 0
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.live
}

// Lookup returns the object at key.
func (s *Sim) Lookup(bucketName, key string) (Object, bool) {
	s.mu.RLock()
	b := s.buckets[bucketName]
	s.mu.RUnlock()
	if b == nil {
		return Object{}, false
	}
	b.mu.RLock()
	e, ok := b.lookup(key)
	b.mu.RUnlock()
	return e.object(), ok
}

// Walk calls fn for each object under prefix in key order until fn returns
// false. It holds the bucket's lock a thousand objects at a time, so writes
// may interleave.
func (s *Sim) Walk(ctx context.Context, bucketName, prefix string, fn func(Object) bool) error {
	s.mu.RLock()
	b := s.buckets[bucketName]
	s.mu.RUnlock()
	if b == nil {
		return errors.New("s3sim: no bucket " + bucketName)
	}
	after := ""
	for {
		res := b.list(listReq{prefix: prefix, after: after, max: 1000})
		for i := range res.objs {
			if !fn(res.objs[i].object()) {
				return nil
			}
		}
		if !res.truncated {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		after = res.last
	}
}
