package s3sim

import (
	"hash/fnv"
	"maps"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// meta is an object's Content-Type, its other content headers and its user
// metadata (x-amz-meta-*, names in lower case without the prefix). It never
// changes once made: entries share it by pointer, and a copy with the COPY
// directive shares its source's, so a million copies cost a pointer each.
type meta struct {
	contentType string
	headers     map[string]string // contentHeaders present, by canonical name
	user        map[string]string
	// keyed marks a seeded object's headers, which also depend on its key:
	// a key-sum metadata value and a Content-Disposition naming the file,
	// added when they are read (keyedHeaders), so that a copy carrying
	// another object's headers shows.
	keyed bool
}

// contentHeaders are the headers besides Content-Type that S3 keeps with an
// object and a copy must carry.
var contentHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

// defaultMeta is what an object written without headers has, as in S3.
var defaultMeta = &meta{contentType: "binary/octet-stream"}

// seedMetas are the seeded objects' headers by key extension, shared. The
// Content-Type carries a parameter no type guesser adds, so a tool that
// sets one from the file name instead of copying it shows.
var seedMetas = map[string]*meta{}

func init() {
	for ext, ct := range map[string]string{".dpx": "image/x-dpx", ".jpg": "image/jpeg", ".mov": "video/quicktime",
		".pdf": "application/pdf", "": "application/octet-stream"} {
		seedMetas[ext] = &meta{contentType: ct + "; source=s3sim", headers: map[string]string{"Cache-Control": "private, max-age=86400"},
			user: map[string]string{"origin": "s3sim"}, keyed: true}
	}
}

// seedMeta is the headers of the seeded object at key.
func seedMeta(key string) *meta {
	if m, ok := seedMetas[path.Ext(key)]; ok {
		return m
	}
	return seedMetas[""]
}

// metaFrom reads a write's Content-Type, content headers and x-amz-meta-*
// headers.
func metaFrom(h http.Header) *meta {
	m := &meta{contentType: h.Get("Content-Type")}
	if m.contentType == "" {
		m.contentType = defaultMeta.contentType
	}
	for _, name := range contentHeaders {
		v := h.Get(name)
		if name == "Content-Encoding" {
			v = withoutChunked(v) // S3 keeps no transfer framing
		}
		if v != "" {
			if m.headers == nil {
				m.headers = map[string]string{}
			}
			m.headers[name] = v
		}
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			if m.user == nil {
				m.user = map[string]string{}
			}
			m.user[name] = v[0]
		}
	}
	if m.contentType == defaultMeta.contentType && m.headers == nil && m.user == nil {
		return defaultMeta
	}
	return m
}

// withoutChunked is a Content-Encoding without its aws-chunked token.
func withoutChunked(v string) string {
	var kept []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" && !strings.EqualFold(t, "aws-chunked") {
			kept = append(kept, t)
		}
	}
	return strings.Join(kept, ",")
}

// get is m, or defaultMeta for an entry that has none.
func (m *meta) get() *meta {
	if m == nil {
		return defaultMeta
	}
	return m
}

// keyedHeaders are the key-dependent values of a seeded object's headers.
func keyedHeaders(key string) (keySum, disposition string) {
	f := fnv.New32a()
	f.Write([]byte(key))
	return strconv.FormatUint(uint64(f.Sum32()), 16), `inline; filename="` + path.Base(key) + `"`
}

// setHeaders writes the headers of the object at key to an answer.
func (m *meta) setHeaders(h http.Header, key string) {
	m = m.get()
	h.Set("Content-Type", m.contentType)
	for k, v := range m.headers {
		h.Set(k, v)
	}
	for k, v := range m.user {
		h.Set("x-amz-meta-"+k, v)
	}
	if m.keyed {
		sum, disp := keyedHeaders(key)
		h.Set("x-amz-meta-key-sum", sum)
		h.Set("Content-Disposition", disp)
	}
}

// fixed is a seeded object's headers made independent of its key: what a
// copy to another key keeps.
func (m *meta) fixed(key string) *meta {
	if m == nil || !m.keyed {
		return m
	}
	headers, user := m.forKey(key)
	return &meta{contentType: m.contentType, headers: headers, user: user}
}

// forKey returns the content headers and user metadata of the object at
// key, as new maps (nil when none), for a caller outside the package.
func (m *meta) forKey(key string) (headers, user map[string]string) {
	m = m.get()
	headers, user = maps.Clone(m.headers), maps.Clone(m.user)
	if m.keyed {
		sum, disp := keyedHeaders(key)
		if user == nil {
			user = map[string]string{}
		}
		if headers == nil {
			headers = map[string]string{}
		}
		user["key-sum"], headers["Content-Disposition"] = sum, disp
	}
	return headers, user
}
