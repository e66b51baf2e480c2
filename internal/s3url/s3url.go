package s3url

import (
	"errors"
	"fmt"
	"strings"
)

// URL is a parsed s3://bucket[/prefix] location.
type URL struct {
	Bucket string
	// Prefix is "" (the whole bucket) or ends in "/".
	Prefix string
}

// ErrBadURL is wrapped by every error Parse returns.
var ErrBadURL = errors.New("bad S3 URL")

// Parse parses s3://bucket[/prefix].
func Parse(s string) (URL, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return URL{}, fmt.Errorf("%w %q: must start with s3://", ErrBadURL, s)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return URL{}, fmt.Errorf("%w %q: %v", ErrBadURL, s, err)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return URL{Bucket: bucket, Prefix: prefix}, nil
}

func checkBucket(b string) error {
	if b == "" {
		return errors.New("no bucket name")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for _, r := range b {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		default:
			return fmt.Errorf("bucket name %q has the character %q, which S3 bucket names cannot hold", b, r)
		}
	}
	return nil
}

// String formats the location as s3://bucket/prefix.
func (u URL) String() string {
	return "s3://" + u.Bucket + "/" + u.Prefix
}

// Key returns the full key of rel (a key relative to the prefix).
func (u URL) Key(rel string) string { return u.Prefix + rel }

// Rel returns key relative to the prefix; ok is false when key is not under it.
func (u URL) Rel(key string) (rel string, ok bool) {
	return strings.CutPrefix(key, u.Prefix)
}

// Overlaps reports whether a and b can hold the same keys: the same bucket,
// with one prefix equal to or inside the other.
func Overlaps(a, b URL) bool {
	if a.Bucket != b.Bucket {
		return false
	}
	return strings.HasPrefix(a.Prefix, b.Prefix) || strings.HasPrefix(b.Prefix, a.Prefix)
}

const upperhex = "0123456789ABCDEF"

// EscapeKey percent-encodes key byte by byte, leaving only RFC 3986
// unreserved characters and "/" as they are.
func EscapeKey(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// CopySource returns the value of the x-amz-copy-source header for a key and
// optional version id: bucket/escaped-key[?versionId=...].
func CopySource(bucket, key, versionID string) string {
	s := bucket + "/" + EscapeKey(key)
	if versionID != "" {
		s += "?versionId=" + EscapeKey(versionID)
	}
	return s
}
