package s3sim

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
const xmlns = ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

// xb builds an XML answer by appending; pooled, since listings are large.
type xb struct{ b []byte }

var xbPool = sync.Pool{New: func() any { return &xb{b: make([]byte, 0, 4096)} }}

func newXB(root string) *xb {
	x := xbPool.Get().(*xb)
	x.b = append(x.b[:0], xmlHeader...)
	x.b = append(x.b, '<')
	x.b = append(x.b, root...)
	x.b = append(x.b, xmlns...)
	x.b = append(x.b, '>')
	return x
}

func (x *xb) open(tag string) *xb {
	x.b = append(append(append(x.b, '<'), tag...), '>')
	return x
}

func (x *xb) close(tag string) *xb {
	x.b = append(append(append(x.b, "</"...), tag...), '>')
	return x
}

func (x *xb) elem(tag, text string) *xb {
	x.open(tag)
	x.b = appendEscaped(x.b, text)
	return x.close(tag)
}

func (x *xb) elemInt(tag string, v int64) *xb {
	x.open(tag)
	x.b = strconv.AppendInt(x.b, v, 10)
	return x.close(tag)
}

func (x *xb) elemBool(tag string, v bool) *xb {
	x.open(tag)
	x.b = strconv.AppendBool(x.b, v)
	return x.close(tag)
}

func (x *xb) elemTime(tag string, t time.Time) *xb {
	x.open(tag)
	x.b = t.UTC().AppendFormat(x.b, isoTime)
	return x.close(tag)
}

const isoTime = "2006-01-02T15:04:05.000Z"

// send writes the document (closing root) with status and returns x to the pool.
func (x *xb) send(w http.ResponseWriter, status int, root string) {
	x.close(root)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(x.b)))
	w.WriteHeader(status)
	w.Write(x.b) //nolint:errcheck // the client went away
	if cap(x.b) <= 1<<20 {
		xbPool.Put(x)
	}
}

// appendEscaped appends s as XML character data: markup characters escaped,
// characters XML 1.0 cannot hold and invalid UTF-8 replaced by U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return append(b, s...)
	}
	var buf bytes.Buffer
	xml.EscapeText(&buf, []byte(s)) //nolint:errcheck // a bytes.Buffer does not fail
	return append(b, buf.Bytes()...)
}

// fail answers an S3 error: the XML document, or for HEAD the status alone.
func (s *Sim) fail(rq *request, status int, code, msg string) {
	s.errMu.Lock()
	s.errs[code]++
	s.errMu.Unlock()
	if rq.r.Method == http.MethodHead {
		rq.w.WriteHeader(status)
		return
	}
	resource := "/" + rq.bucket
	if rq.key != "" {
		resource += "/" + rq.key
	}
	x := xbPool.Get().(*xb)
	x.b = append(x.b[:0], xmlHeader...)
	x.open("Error").elem("Code", code).elem("Message", msg).elem("Resource", resource).
		elem("RequestId", rq.w.Header().Get("x-amz-request-id"))
	x.send(rq.w, status, "Error")
}

// urlEncode encodes a key the way S3 does for encoding-type=url: as a form
// value (space as "+"), but with "/" left as it is.
func urlEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

// readBody drains a request body, decoding aws-chunked framing, and returns
// the payload's size and MD5.
func readBody(r *http.Request) (int64, [16]byte, error) {
	var sum [16]byte
	h := md5.New()
	chunked := strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	var n int64
	var err error
	if chunked {
		n, err = decodeChunked(h, bufio.NewReaderSize(r.Body, 64<<10))
	} else {
		n, err = io.Copy(h, r.Body)
	}
	h.Sum(sum[:0])
	return n, sum, err
}

// decodeChunked copies the payload of an aws-chunked body
// ("hex-size[;chunk-signature=...]\r\n" data "\r\n" ..., a 0-size chunk,
// then optional trailers) to h.
func decodeChunked(h hash.Hash, br *bufio.Reader) (int64, error) {
	var total int64
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return total, fmt.Errorf("aws-chunked: %w", err)
		}
		hexSize, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		size, err := strconv.ParseInt(strings.TrimSpace(hexSize), 16, 64)
		if err != nil || size < 0 {
			return total, fmt.Errorf("aws-chunked: bad chunk header %q", line)
		}
		if size == 0 {
			io.Copy(io.Discard, br) //nolint:errcheck // trailers: not checked
			return total, nil
		}
		if _, err := io.CopyN(h, br, size); err != nil {
			return total, fmt.Errorf("aws-chunked: %w", err)
		}
		total += size
		if crlf, err := br.ReadString('\n'); err != nil || strings.TrimRight(crlf, "\r\n") != "" {
			return total, errors.New("aws-chunked: chunk not followed by CRLF")
		}
	}
}

// pattern is the bytes synthesized objects are made of.
var pattern = func() []byte {
	p := make([]byte, 64<<10)
	x := uint32(2463534242)
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	return p
}()

// synth reads the deterministic content of an object from off to end:
// byte i is pattern[(i+shift) % len(pattern)], shift derived from the key.
type synth struct {
	off, end int64
	shift    int64
}

func (r *synth) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.off < r.end {
		i := (r.off + r.shift) % int64(len(pattern))
		c := copy(p[n:], pattern[i:min(int64(len(pattern)), i+r.end-r.off)])
		n += c
		r.off += int64(c)
	}
	return n, nil
}

// parseRange reads "bytes=a-b", "bytes=a-" or "bytes=-n" against size.
// ok=false with a header present means unsatisfiable; multiple ranges are
// ignored (whole object), as S3 does.
func parseRange(h string, size int64) (first, last int64, ranged, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size - 1, false, true
	}
	a, b, _ := strings.Cut(spec, "-")
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, true, false
		}
		return max(0, size-n), size - 1, true, true
	default:
		f, err := strconv.ParseInt(a, 10, 64)
		if err != nil || f >= size {
			return 0, 0, true, false
		}
		l := size - 1
		if b != "" {
			if l, err = strconv.ParseInt(b, 10, 64); err != nil || l < f {
				return 0, 0, true, false
			}
			l = min(l, size-1)
		}
		return f, l, true, true
	}
}
