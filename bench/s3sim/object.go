package s3sim

import (
	"crypto/md5"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxCopy is the largest object CopyObject copies (and part UploadPartCopy makes).
const maxCopy = 5 << 30

// checkVersion answers for a versionId other than "null" (nothing is versioned).
func (s *Sim) checkVersion(rq *request, v string) bool {
	if v == "" || v == "null" {
		return true
	}
	s.fail(rq, http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.")
	return false
}

// objectAt finds the live object bucket/key, answering NoSuchBucket or NoSuchKey.
func (s *Sim) objectAt(rq *request, bucketName, key string) (entry, bool) {
	b := s.bucketOf(rq, bucketName)
	if b == nil {
		return entry{}, false
	}
	b.mu.RLock()
	e, ok := b.lookup(key)
	b.mu.RUnlock()
	if !ok {
		s.fail(rq, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	}
	return e, ok
}

// preconditions checks the If-* headers (prefix "" for GET/HEAD, or
// "X-Amz-Copy-Source-" for a copy's source) against e. It returns the
// failing status (412, or 304 for GET/HEAD's not-modified cases), or 0.
func preconditions(h http.Header, prefix string, e *entry) int {
	etag := etagString(e.etag, e.parts)
	mtime := time.Unix(0, e.mtime).Truncate(time.Second)
	notModified := http.StatusNotModified
	if prefix != "" {
		notModified = http.StatusPreconditionFailed
	}
	if v := h.Get(prefix + "If-Match"); v != "" && !etagIn(v, etag) {
		return http.StatusPreconditionFailed
	}
	if v := h.Get(prefix + "If-Unmodified-Since"); v != "" && h.Get(prefix+"If-Match") == "" {
		if t, err := http.ParseTime(v); err == nil && mtime.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if v := h.Get(prefix + "If-None-Match"); v != "" {
		if etagIn(v, etag) {
			return notModified
		}
	} else if v := h.Get(prefix + "If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mtime.After(t) {
			return notModified
		}
	}
	return 0
}

// etagIn reports whether a comma-separated If-Match list names etag (or is "*").
func etagIn(list, etag string) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || strings.Trim(v, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

func (s *Sim) failPrecondition(rq *request, status int) {
	if status == http.StatusNotModified {
		rq.w.WriteHeader(status)
		return
	}
	s.fail(rq, status, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
}

func objectHeaders(h http.Header, e *entry) {
	h.Set("ETag", etagString(e.etag, e.parts))
	h.Set("Last-Modified", time.Unix(0, e.mtime).UTC().Format(http.TimeFormat))
	e.meta.setHeaders(h, e.key)
	h.Set("Accept-Ranges", "bytes")
	if e.class != 0 {
		h.Set("x-amz-storage-class", storageClasses[e.class])
	}
}

// getObject answers HeadObject and GetObject; GET's content is synthesized
// (deterministic, not what was put, not matching the ETag).
func (s *Sim) getObject(rq *request) {
	if !s.checkVersion(rq, rq.q.Get("versionId")) {
		return
	}
	e, ok := s.objectAt(rq, rq.bucket, rq.key)
	if !ok {
		return
	}
	if st := preconditions(rq.r.Header, "", &e); st != 0 {
		s.failPrecondition(rq, st)
		return
	}
	h := rq.w.Header()
	objectHeaders(h, &e)
	first, last, ranged, ok := parseRange(rq.r.Header.Get("Range"), e.size)
	if !ok {
		h.Del("ETag")
		s.fail(rq, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable")
		return
	}
	status := http.StatusOK
	if ranged {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(first, 10)+"-"+strconv.FormatInt(last, 10)+"/"+strconv.FormatInt(e.size, 10))
	}
	h.Set("Content-Length", strconv.FormatInt(last-first+1, 10))
	rq.w.WriteHeader(status)
	if rq.r.Method == http.MethodHead || e.size == 0 {
		return
	}
	f := fnv.New64a()
	f.Write([]byte(e.key))
	io.Copy(rq.w, &synth{off: first, end: last + 1, shift: int64(f.Sum64() % uint64(len(pattern)))}) //nolint:errcheck
}

func (s *Sim) putObject(rq *request) {
	b := s.bucketOf(rq, rq.bucket)
	if b == nil {
		return
	}
	class, ok := classIndex(rq.r.Header.Get("X-Amz-Storage-Class"))
	if !ok {
		s.fail(rq, http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid")
		return
	}
	size, sum, err := readBody(rq.r)
	if err != nil {
		s.fail(rq, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	if want := rq.r.Header.Get("X-Amz-Decoded-Content-Length"); want != "" && want != strconv.FormatInt(size, 10) {
		s.fail(rq, http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")
		return
	}
	e := entry{key: rq.key, size: size, mtime: time.Now().UnixNano(), etag: sum, class: class, meta: metaFrom(rq.r.Header)}
	b.mu.Lock()
	b.store(e)
	b.mu.Unlock()
	rq.w.Header().Set("ETag", etagString(sum, 0))
	rq.w.WriteHeader(http.StatusOK)
}

func (s *Sim) deleteObject(rq *request) {
	b := s.bucketOf(rq, rq.bucket)
	if b == nil || !s.checkVersion(rq, rq.q.Get("versionId")) {
		return
	}
	b.mu.Lock()
	b.store(entry{key: rq.key, dead: true})
	b.mu.Unlock()
	rq.w.WriteHeader(http.StatusNoContent)
}

// copySource reads x-amz-copy-source: "[/]bucket/key[?versionId=v]", the
// key URL-encoded.
func copySource(h string) (bucket, key, version string, ok bool) {
	path, query, _ := strings.Cut(h, "?")
	path, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	if err != nil {
		return "", "", "", false
	}
	bucket, key, _ = strings.Cut(path, "/")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", "", "", false
		}
		version = q.Get("versionId")
	}
	return bucket, key, version, bucket != "" && key != ""
}

// source finds a copy's source object and checks its x-amz-copy-source-if-* headers.
func (s *Sim) source(rq *request) (e entry, srcBucket string, ok bool) {
	sb, sk, sv, ok := copySource(rq.r.Header.Get("X-Amz-Copy-Source"))
	if !ok {
		s.fail(rq, http.StatusBadRequest, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
		return entry{}, "", false
	}
	if !s.checkVersion(rq, sv) {
		return entry{}, "", false
	}
	if e, ok = s.objectAt(rq, sb, sk); !ok {
		return e, "", false
	}
	if st := preconditions(rq.r.Header, "X-Amz-Copy-Source-", &e); st != 0 {
		s.failPrecondition(rq, st)
		return e, "", false
	}
	return e, sb, true
}

func (s *Sim) copyObject(rq *request) {
	src, sb, ok := s.source(rq)
	if !ok {
		return
	}
	b := s.bucketOf(rq, rq.bucket)
	if b == nil {
		return
	}
	h := rq.r.Header
	md := strings.ToUpper(h.Get("X-Amz-Metadata-Directive"))
	if md != "" && md != "COPY" && md != "REPLACE" {
		s.fail(rq, http.StatusBadRequest, "InvalidArgument", "Unknown metadata directive.")
		return
	}
	class, ok := classIndex(h.Get("X-Amz-Storage-Class"))
	if !ok {
		s.fail(rq, http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid")
		return
	}
	if src.size > maxCopy {
		s.fail(rq, http.StatusBadRequest, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
		return
	}
	if sb == rq.bucket && src.key == rq.key && md != "REPLACE" && h.Get("X-Amz-Storage-Class") == "" &&
		h.Get("X-Amz-Server-Side-Encryption") == "" {
		s.fail(rq, http.StatusBadRequest, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		return
	}
	e := entry{key: rq.key, size: src.size, mtime: time.Now().UnixNano(), etag: src.etag, class: class, meta: src.meta}
	switch {
	case md == "REPLACE":
		e.meta = metaFrom(h)
	case src.key != rq.key:
		e.meta = src.meta.fixed(src.key) // a seeded source's headers follow its own key
	}
	if src.parts > 0 {
		// A copy in one request is stored in one part: a new, single-part ETag.
		e.etag = md5.Sum(append([]byte("copy:"), src.etag[:]...))
	}
	b.mu.Lock()
	b.store(e)
	b.mu.Unlock()
	x := newXB("CopyObjectResult")
	x.elemTime("LastModified", time.Unix(0, e.mtime)).elem("ETag", etagString(e.etag, 0))
	x.send(rq.w, http.StatusOK, "CopyObjectResult")
}

// tagging answers the object tagging operations: objects have no tags.
func (s *Sim) tagging(rq *request) {
	if _, ok := s.objectAt(rq, rq.bucket, rq.key); !ok {
		return
	}
	io.Copy(io.Discard, rq.r.Body) //nolint:errcheck // tags are not kept
	switch rq.op {
	case "GetObjectTagging":
		newXB("Tagging").open("TagSet").close("TagSet").send(rq.w, http.StatusOK, "Tagging")
	case "PutObjectTagging":
		rq.w.WriteHeader(http.StatusOK)
	default:
		rq.w.WriteHeader(http.StatusNoContent)
	}
}
