package s3sim

import (
	"cmp"
	"crypto/md5"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// minPart is the smallest part S3 completes, except the last.
const minPart = 5 << 20

type upload struct {
	id, bucket, key string
	initiated       time.Time
	class           uint8
	meta            *meta // the object's headers, given when the upload began
	mu              sync.Mutex
	parts           map[int32]part
	done            bool // completed or aborted
}

type part struct {
	size  int64
	etag  [16]byte
	mtime int64
}

func (s *Sim) createUpload(rq *request) {
	if s.bucketOf(rq, rq.bucket) == nil {
		return
	}
	class, ok := classIndex(rq.r.Header.Get("X-Amz-Storage-Class"))
	if !ok {
		s.fail(rq, http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid")
		return
	}
	u := &upload{id: fmt.Sprintf("%016x%016x", s.upSeq.Add(1), rand.Uint64()), bucket: rq.bucket, key: rq.key,
		initiated: time.Now().UTC(), class: class, meta: metaFrom(rq.r.Header), parts: map[int32]part{}}
	s.upMu.Lock()
	s.uploads[u.id] = u
	s.upMu.Unlock()
	x := newXB("InitiateMultipartUploadResult")
	x.elem("Bucket", u.bucket).elem("Key", u.key).elem("UploadId", u.id)
	x.send(rq.w, http.StatusOK, "InitiateMultipartUploadResult")
}

// uploadOf finds the request's upload, answering NoSuchUpload.
func (s *Sim) uploadOf(rq *request) *upload {
	s.upMu.Lock()
	u := s.uploads[rq.q.Get("uploadId")]
	s.upMu.Unlock()
	if u == nil || u.bucket != rq.bucket || u.key != rq.key {
		s.fail(rq, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
		return nil
	}
	return u
}

// uploadPart answers UploadPart (body drained, MD5 kept) and UploadPartCopy
// (x-amz-copy-source-range; the part's ETag is derived from the source's).
func (s *Sim) uploadPart(rq *request) {
	u := s.uploadOf(rq)
	if u == nil {
		return
	}
	pn, err := strconv.Atoi(rq.q.Get("partNumber"))
	if err != nil || pn < 1 || pn > 10000 {
		s.fail(rq, http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
		return
	}
	var p part
	copying := rq.op == "UploadPartCopy"
	if copying {
		src, _, ok := s.source(rq)
		if !ok {
			return
		}
		first, last := int64(0), src.size-1
		if r := rq.r.Header.Get("X-Amz-Copy-Source-Range"); r != "" {
			a, b, found := strings.Cut(strings.TrimPrefix(r, "bytes="), "-")
			first, err = strconv.ParseInt(a, 10, 64)
			var err2 error
			last, err2 = strconv.ParseInt(b, 10, 64)
			if !strings.HasPrefix(r, "bytes=") || !found || err != nil || err2 != nil || first < 0 || last < first || last >= src.size {
				s.fail(rq, http.StatusBadRequest, "InvalidArgument", "Range specified is not valid for source object of size: "+strconv.FormatInt(src.size, 10))
				return
			}
		}
		if last-first+1 > maxCopy {
			s.fail(rq, http.StatusBadRequest, "InvalidRequest", "The specified copy range is larger than the maximum part size")
			return
		}
		p = part{size: last - first + 1, etag: md5.Sum(fmt.Appendf(src.etag[:], "%d-%d", first, last))}
	} else {
		size, sum, err := readBody(rq.r)
		if err != nil {
			s.fail(rq, http.StatusBadRequest, "IncompleteBody", err.Error())
			return
		}
		p = part{size: size, etag: sum}
	}
	p.mtime = time.Now().UnixNano()
	u.mu.Lock()
	done := u.done
	if !done {
		u.parts[int32(pn)] = p
	}
	u.mu.Unlock()
	if done {
		s.fail(rq, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	if !copying {
		rq.w.Header().Set("ETag", etagString(p.etag, 0))
		rq.w.WriteHeader(http.StatusOK)
		return
	}
	x := newXB("CopyPartResult")
	x.elemTime("LastModified", time.Unix(0, p.mtime)).elem("ETag", etagString(p.etag, 0))
	x.send(rq.w, http.StatusOK, "CopyPartResult")
}

func (s *Sim) completeUpload(rq *request) {
	u := s.uploadOf(rq)
	if u == nil {
		return
	}
	b := s.bucketOf(rq, rq.bucket)
	if b == nil {
		return
	}
	var in struct {
		Parts []struct {
			PartNumber int32
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.NewDecoder(io.LimitReader(rq.r.Body, 8<<20)).Decode(&in); err != nil || len(in.Parts) == 0 {
		s.fail(rq, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		s.fail(rq, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	h := md5.New()
	var size int64
	for i, cp := range in.Parts {
		if i > 0 && cp.PartNumber <= in.Parts[i-1].PartNumber {
			s.fail(rq, http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
			return
		}
		p, ok := u.parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != strings.Trim(etagString(p.etag, 0), `"`) {
			s.fail(rq, http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.")
			return
		}
		if p.size < minPart && i < len(in.Parts)-1 {
			s.fail(rq, http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
			return
		}
		h.Write(p.etag[:])
		size += p.size
	}
	e := entry{key: u.key, size: size, mtime: time.Now().UnixNano(), parts: uint16(len(in.Parts)), class: u.class, meta: u.meta}
	h.Sum(e.etag[:0])
	u.done = true
	s.upMu.Lock()
	delete(s.uploads, u.id)
	s.upMu.Unlock()
	b.mu.Lock()
	b.store(e)
	b.mu.Unlock()
	x := newXB("CompleteMultipartUploadResult")
	x.elem("Location", "/"+u.bucket+"/"+u.key).elem("Bucket", u.bucket).elem("Key", u.key).
		elem("ETag", etagString(e.etag, e.parts))
	x.send(rq.w, http.StatusOK, "CompleteMultipartUploadResult")
}

func (s *Sim) abortUpload(rq *request) {
	u := s.uploadOf(rq)
	if u == nil {
		return
	}
	u.mu.Lock()
	u.done = true
	u.mu.Unlock()
	s.upMu.Lock()
	delete(s.uploads, u.id)
	s.upMu.Unlock()
	rq.w.WriteHeader(http.StatusNoContent)
}

func (s *Sim) listParts(rq *request) {
	u := s.uploadOf(rq)
	if u == nil {
		return
	}
	maxParts, marker := 1000, 0
	if v := rq.q.Get("max-parts"); v != "" {
		maxParts, _ = strconv.Atoi(v)
		maxParts = min(max(maxParts, 0), 1000)
	}
	if v := rq.q.Get("part-number-marker"); v != "" {
		marker, _ = strconv.Atoi(v)
	}
	u.mu.Lock()
	nums := make([]int32, 0, len(u.parts))
	for n := range u.parts {
		if int(n) > marker {
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	truncated := len(nums) > maxParts
	nums = nums[:min(len(nums), maxParts)]
	ps := make([]part, len(nums))
	for i, n := range nums {
		ps[i] = u.parts[n]
	}
	u.mu.Unlock()
	x := newXB("ListPartsResult")
	x.elem("Bucket", u.bucket).elem("Key", u.key).elem("UploadId", u.id).
		elemInt("PartNumberMarker", int64(marker))
	if len(nums) > 0 {
		x.elemInt("NextPartNumberMarker", int64(nums[len(nums)-1]))
	}
	x.elemInt("MaxParts", int64(maxParts)).elemBool("IsTruncated", truncated).
		elem("StorageClass", storageClasses[u.class])
	x.open("Initiator").elem("ID", ownerID).elem("DisplayName", ownerName).close("Initiator")
	x.open("Owner").elem("ID", ownerID).elem("DisplayName", ownerName).close("Owner")
	for i, p := range ps {
		x.open("Part").elemInt("PartNumber", int64(nums[i])).elemTime("LastModified", time.Unix(0, p.mtime)).
			elem("ETag", etagString(p.etag, 0)).elemInt("Size", p.size).close("Part")
	}
	x.send(rq.w, http.StatusOK, "ListPartsResult")
}

func (s *Sim) listUploads(rq *request) {
	if s.bucketOf(rq, rq.bucket) == nil {
		return
	}
	prefix, keyMarker, idMarker := rq.q.Get("prefix"), rq.q.Get("key-marker"), rq.q.Get("upload-id-marker")
	maxUploads := 1000
	if v := rq.q.Get("max-uploads"); v != "" {
		maxUploads, _ = strconv.Atoi(v)
		maxUploads = min(max(maxUploads, 0), 1000)
	}
	type row struct {
		key, id   string
		initiated time.Time
		class     uint8
	}
	var rows []row
	s.upMu.Lock()
	for _, u := range s.uploads {
		if u.bucket == rq.bucket && strings.HasPrefix(u.key, prefix) &&
			(u.key > keyMarker || (u.key == keyMarker && idMarker != "" && u.id > idMarker)) {
			rows = append(rows, row{u.key, u.id, u.initiated, u.class})
		}
	}
	s.upMu.Unlock()
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.id, b.id)) })
	truncated := len(rows) > maxUploads
	rows = rows[:min(len(rows), maxUploads)]
	x := newXB("ListMultipartUploadsResult")
	x.elem("Bucket", rq.bucket).elem("KeyMarker", keyMarker).elem("UploadIdMarker", idMarker)
	if truncated {
		x.elem("NextKeyMarker", rows[len(rows)-1].key).elem("NextUploadIdMarker", rows[len(rows)-1].id)
	}
	x.elem("Prefix", prefix).elemInt("MaxUploads", int64(maxUploads)).elemBool("IsTruncated", truncated)
	for _, r := range rows {
		x.open("Upload").elem("Key", r.key).elem("UploadId", r.id)
		x.open("Initiator").elem("ID", ownerID).elem("DisplayName", ownerName).close("Initiator")
		x.open("Owner").elem("ID", ownerID).elem("DisplayName", ownerName).close("Owner")
		x.elem("StorageClass", storageClasses[r.class]).elemTime("Initiated", r.initiated).close("Upload")
	}
	x.send(rq.w, http.StatusOK, "ListMultipartUploadsResult")
}
