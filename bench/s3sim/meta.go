package s3sim

import (
	"maps"
	"net/http"
	"path"
	"strings"
)

// meta is an object's Content-Type and user metadata (x-amz-meta-*, names
// in lower case without the prefix). It never changes once made: entries
// share it by pointer, and a copy with the COPY directive shares its
// source's, so a million copies cost a pointer each.
type meta struct {
	contentType string
	user        map[string]string
}

// defaultMeta is what an object written without headers has, as in S3.
var defaultMeta = &meta{contentType: "binary/octet-stream"}

// seedMetas are the seeded objects' headers, by key extension: a
// Content-Type as a studio's upload tool would set it, and one user
// metadata key, so a copy that drops either shows.
var seedMetas = map[string]*meta{
	".dpx": {contentType: "image/x-dpx", user: map[string]string{"origin": "s3sim"}},
	".jpg": {contentType: "image/jpeg", user: map[string]string{"origin": "s3sim"}},
	".mov": {contentType: "video/quicktime", user: map[string]string{"origin": "s3sim"}},
	".pdf": {contentType: "application/pdf", user: map[string]string{"origin": "s3sim"}},
	"":     {contentType: "application/octet-stream", user: map[string]string{"origin": "s3sim"}},
}

// seedMeta is the headers of the seeded object at key.
func seedMeta(key string) *meta {
	if m, ok := seedMetas[path.Ext(key)]; ok {
		return m
	}
	return seedMetas[""]
}

// metaFrom reads a write's Content-Type and x-amz-meta-* headers.
func metaFrom(h http.Header) *meta {
	m := &meta{contentType: h.Get("Content-Type")}
	if m.contentType == "" {
		m.contentType = defaultMeta.contentType
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			if m.user == nil {
				m.user = map[string]string{}
			}
			m.user[name] = v[0]
		}
	}
	if m.contentType == defaultMeta.contentType && m.user == nil {
		return defaultMeta
	}
	return m
}

// get is m, or defaultMeta for an entry that has none.
func (m *meta) get() *meta {
	if m == nil {
		return defaultMeta
	}
	return m
}

// setHeaders writes m's headers to an answer.
func (m *meta) setHeaders(h http.Header) {
	m = m.get()
	h.Set("Content-Type", m.contentType)
	for k, v := range m.user {
		h.Set("x-amz-meta-"+k, v)
	}
}

// userCopy is a copy of the user metadata, for a caller outside the package.
func (m *meta) userCopy() map[string]string {
	return maps.Clone(m.get().user)
}
