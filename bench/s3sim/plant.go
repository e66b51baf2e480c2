package s3sim

import (
	"errors"
	"sync"
	"time"
)

// Put writes an object's facts straight into a bucket (created if needed),
// without a request: a benchmark plants differences with it. ETag must be
// a quoted 32-hex MD5, with or without "-N"; the object gets the seed's
// default headers for its key.
func (s *Sim) Put(bucketName string, o Object) error {
	sum, parts, ok := parseETag(o.ETag)
	if !ok {
		return errors.New("s3sim: Put: bad ETag " + o.ETag)
	}
	class, ok := classIndex(o.StorageClass)
	if !ok {
		return errors.New("s3sim: Put: bad storage class " + o.StorageClass)
	}
	s.CreateBucket(bucketName)
	s.mu.RLock()
	b := s.buckets[bucketName]
	s.mu.RUnlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.store(entry{key: o.Key, size: o.Size, mtime: o.LastModified.UnixNano(), etag: sum, parts: parts, class: class, meta: seedMeta(o.Key)})
	return nil
}

// Delete removes an object from a bucket without a request.
func (s *Sim) Delete(bucketName, key string) {
	s.mu.RLock()
	b := s.buckets[bucketName]
	s.mu.RUnlock()
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.store(entry{key: key, dead: true})
}

// ceiling is one token bucket for every request that names a bucket
// (listings, HEADs and copies alike): S3 throttling a whole workload, as
// SetCeiling sets it.
type ceiling struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// SetCeiling limits all requests naming a bucket, together, to rate per
// second (0: none), with a burst of burst requests (0: one second of the
// rate); the bucket starts full. Over it, requests are answered 503
// SlowDown after the latency, as the per-prefix limits are.
func (s *Sim) SetCeiling(rate, burst float64) {
	s.ceil.mu.Lock()
	defer s.ceil.mu.Unlock()
	if burst <= 0 {
		burst = rate
	}
	s.ceil.rate, s.ceil.burst, s.ceil.tokens, s.ceil.last = rate, burst, burst, time.Now()
}

func (c *ceiling) allow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rate <= 0 {
		return true
	}
	now := time.Now()
	c.tokens = min(c.burst, c.tokens+now.Sub(c.last).Seconds()*c.rate)
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}
