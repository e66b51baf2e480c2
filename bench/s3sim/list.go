package s3sim

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

type listReq struct {
	prefix, delim string
	after         string // exclusive: keys and common prefixes <= after are skipped
	max           int
}

type listRes struct {
	objs      []entry
	prefixes  []string
	truncated bool
	last      string // the last key or common prefix returned
}

// successor is the least string greater than every string starting with p.
func successor(p string) (string, bool) {
	b := []byte(p)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// list is one page of a listing. A delimiter listing skips each common
// prefix's keys with one seek, so it costs per folder, not per key.
func (b *bucket) list(q listReq) listRes {
	var res listRes
	b.mu.RLock()
	defer b.mu.RUnlock()
	start := q.prefix
	if q.after >= start {
		start = q.after + "\x00"
	}
	cur := b.seek(start)
	n := 0
	for {
		k, ok := cur.peekKey()
		if !ok || !strings.HasPrefix(k, q.prefix) {
			return res
		}
		if q.delim != "" {
			if j := strings.Index(k[len(q.prefix):], q.delim); j >= 0 {
				cp := k[:len(q.prefix)+j+len(q.delim)]
				next, more := successor(cp)
				if cp > q.after {
					if n == q.max {
						res.truncated = q.max > 0
						return res
					}
					res.prefixes = append(res.prefixes, cp)
					res.last = cp
					n++
				}
				if !more {
					return res
				}
				cur.seekTo(next)
				continue
			}
		}
		if n == q.max {
			res.truncated = q.max > 0
			return res
		}
		e, _ := cur.next()
		res.objs = append(res.objs, e)
		res.last = e.key
		n++
	}
}

func (s *Sim) listObjects(rq *request) {
	b := s.bucketOf(rq, rq.bucket)
	if b == nil {
		return
	}
	q := rq.q
	v2 := rq.op == "ListObjectsV2"
	enc := q.Get("encoding-type")
	if enc != "" && enc != "url" {
		s.fail(rq, http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request")
		return
	}
	lr := listReq{prefix: q.Get("prefix"), delim: q.Get("delimiter"), max: 1000}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(rq, http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
			return
		}
		lr.max = min(n, 1000)
	}
	token, hasToken := q.Get("continuation-token"), q.Has("continuation-token")
	switch {
	case v2 && hasToken:
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			s.fail(rq, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
			return
		}
		lr.after = string(raw)
	case v2:
		lr.after = q.Get("start-after")
	default:
		lr.after = q.Get("marker")
	}
	res := b.list(lr)

	e := func(s string) string { return s }
	if enc == "url" {
		e = urlEncode
	}
	x := newXB("ListBucketResult")
	x.elem("Name", rq.bucket).elem("Prefix", e(lr.prefix))
	if v2 {
		if q.Has("start-after") {
			x.elem("StartAfter", e(q.Get("start-after")))
		}
		if hasToken {
			x.elem("ContinuationToken", token)
		}
		if res.truncated {
			x.elem("NextContinuationToken", base64.RawURLEncoding.EncodeToString([]byte(res.last)))
		}
		x.elemInt("KeyCount", int64(len(res.objs)+len(res.prefixes)))
	} else {
		x.elem("Marker", e(lr.after))
		if res.truncated && lr.delim != "" {
			x.elem("NextMarker", e(res.last))
		}
	}
	x.elemInt("MaxKeys", int64(lr.max))
	if lr.delim != "" {
		x.elem("Delimiter", e(lr.delim))
	}
	if enc != "" {
		x.elem("EncodingType", enc)
	}
	x.elemBool("IsTruncated", res.truncated)
	owner := !v2 || q.Get("fetch-owner") == "true"
	var lastM int64 = -1
	var lastMs []byte
	for i := range res.objs {
		o := &res.objs[i]
		x.open("Contents").elem("Key", e(o.key))
		if o.mtime != lastM {
			lastM, lastMs = o.mtime, time.Unix(0, o.mtime).UTC().AppendFormat(lastMs[:0], isoTime)
		}
		x.open("LastModified")
		x.b = append(x.b, lastMs...)
		x.close("LastModified")
		x.elem("ETag", etagString(o.etag, o.parts)).elemInt("Size", o.size)
		if owner {
			x.open("Owner").elem("ID", ownerID).elem("DisplayName", ownerName).close("Owner")
		}
		x.elem("StorageClass", storageClasses[o.class]).close("Contents")
	}
	for _, p := range res.prefixes {
		x.open("CommonPrefixes").elem("Prefix", e(p)).close("CommonPrefixes")
	}
	x.send(rq.w, http.StatusOK, "ListBucketResult")
}

const (
	ownerID   = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
	ownerName = "s3sim"
)

func (s *Sim) listBuckets(rq *request) {
	s.mu.RLock()
	bs := make([]*bucket, 0, len(s.buckets))
	for _, b := range s.buckets {
		bs = append(bs, b)
	}
	s.mu.RUnlock()
	slices.SortFunc(bs, func(a, b *bucket) int { return strings.Compare(a.name, b.name) })
	x := newXB("ListAllMyBucketsResult")
	x.open("Owner").elem("ID", ownerID).elem("DisplayName", ownerName).close("Owner").open("Buckets")
	for _, b := range bs {
		x.open("Bucket").elem("Name", b.name).elemTime("CreationDate", b.created).close("Bucket")
	}
	x.close("Buckets").send(rq.w, http.StatusOK, "ListAllMyBucketsResult")
}

// bucketInfo answers HeadBucket, GetBucketLocation and GetBucketVersioning.
func (s *Sim) bucketInfo(rq *request) {
	if s.bucketOf(rq, rq.bucket) == nil {
		return
	}
	switch rq.op {
	case "HeadBucket":
		rq.w.Header().Set("x-amz-bucket-region", s.opts.Region)
		rq.w.WriteHeader(http.StatusOK)
	case "GetBucketLocation":
		x := newXB("LocationConstraint")
		if s.opts.Region != "us-east-1" {
			x.b = appendEscaped(x.b, s.opts.Region)
		}
		x.send(rq.w, http.StatusOK, "LocationConstraint")
	default:
		newXB("VersioningConfiguration").send(rq.w, http.StatusOK, "VersioningConfiguration")
	}
}

func (s *Sim) createBucket(rq *request) {
	io.Copy(io.Discard, rq.r.Body) //nolint:errcheck // a CreateBucketConfiguration is not read
	n := rq.bucket
	if len(n) < 3 || len(n) > 63 || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
		s.fail(rq, http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.")
		return
	}
	s.mu.Lock()
	exists := s.buckets[n] != nil
	if !exists {
		s.buckets[n] = &bucket{name: n, created: time.Now().UTC()}
	}
	s.mu.Unlock()
	if exists {
		s.fail(rq, http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
		return
	}
	rq.w.Header().Set("Location", "/"+n)
	rq.w.WriteHeader(http.StatusOK)
}

func (s *Sim) deleteBucket(rq *request) {
	s.mu.Lock()
	b := s.buckets[rq.bucket]
	empty := false
	if b != nil {
		b.mu.RLock()
		empty = b.live == 0
		b.mu.RUnlock()
		if empty {
			delete(s.buckets, rq.bucket)
		}
	}
	s.mu.Unlock()
	switch {
	case b == nil:
		s.fail(rq, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	case !empty:
		s.fail(rq, http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
	default:
		rq.w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Sim) deleteObjects(rq *request) {
	b := s.bucketOf(rq, rq.bucket)
	if b == nil {
		return
	}
	var in struct {
		Quiet   bool
		Objects []struct{ Key string } `xml:"Object"`
	}
	if err := xml.NewDecoder(io.LimitReader(rq.r.Body, 4<<20)).Decode(&in); err != nil || len(in.Objects) > 1000 {
		s.fail(rq, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
		return
	}
	b.mu.Lock()
	for _, o := range in.Objects {
		b.store(entry{key: o.Key, dead: true})
	}
	b.mu.Unlock()
	x := newXB("DeleteResult")
	if !in.Quiet {
		for _, o := range in.Objects {
			x.open("Deleted").elem("Key", o.Key).close("Deleted")
		}
	}
	x.send(rq.w, http.StatusOK, "DeleteResult")
}
