package batchops

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/extsort"
)

// versionListAPI lists a bucket's versions.
type versionListAPI interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// listedVersionsPerRequest is how many versions one ListObjectVersions
// answers at most (its default MaxKeys): the version ids of a listing's
// rows cost about rows/1,000 requests this way, against one HEAD per row.
const listedVersionsPerRequest = 1000

// fillByListing gives every row without a version id its object's
// current version, from a listing of the source prefix's versions
// (ListObjectVersions, 1,000 versions a request) instead of a HEAD per
// object: the rows are sorted by key on disk (extsort, bounded memory)
// and merged with the listing, which S3 returns in key order. A row whose
// key has no current version (deleted since it was listed, or a delete
// marker now) is dropped and counted in gone. It returns the requests it
// made.
func fillByListing(ctx context.Context, rows string, api versionListAPI, bucket, prefix string, write func(b, k, v string) error, gone *int64) (int64, error) {
	s, err := extsort.New(func(a, b row) int { return strings.Compare(a.key, b.key) }, rowCodec{}, extsort.Options{})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := eachRow(rows, func(b, k, v string) error { return s.Add(row{b, k, v}) }); err != nil {
		return 0, err
	}
	cur := &versionCursor{api: api, bucket: bucket, prefix: prefix}
	for r, err := range s.Sorted(ctx) {
		if err != nil {
			return cur.requests, fmt.Errorf("sort the manifest rows: %w", err)
		}
		if r.version == "" {
			v, ok, err := cur.current(ctx, r.key)
			if err != nil {
				return cur.requests, err
			}
			if !ok {
				*gone++
				continue
			}
			r.version = v
		}
		if err := write(r.bucket, r.key, r.version); err != nil {
			return cur.requests, err
		}
	}
	return cur.requests, nil
}

// versionCursor walks the current versions of a prefix in key order, one
// page at a time.
type versionCursor struct {
	api            versionListAPI
	bucket, prefix string
	page           []latest
	keyMarker      *string
	versionMarker  *string
	done           bool
	requests       int64
}

type latest struct{ key, version string }

// current is key's current version id ("null" for a null version), or
// false when it has none. Keys must come in ascending order (the same key
// again is fine).
func (c *versionCursor) current(ctx context.Context, key string) (string, bool, error) {
	for {
		for len(c.page) > 0 && c.page[0].key < key {
			c.page = c.page[1:]
		}
		if len(c.page) > 0 {
			if c.page[0].key != key {
				return "", false, nil
			}
			return c.page[0].version, true, nil
		}
		if c.done {
			return "", false, nil
		}
		if err := c.next(ctx); err != nil {
			return "", false, err
		}
	}
}

func (c *versionCursor) next(ctx context.Context) error {
	out, err := c.api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(c.bucket), Prefix: aws.String(c.prefix),
		KeyMarker: c.keyMarker, VersionIdMarker: c.versionMarker})
	c.requests++
	if err != nil {
		return fmt.Errorf("list the versions of s3://%s/%s for the manifest: %w", c.bucket, c.prefix, err)
	}
	for _, v := range out.Versions {
		if aws.ToBool(v.IsLatest) {
			id := aws.ToString(v.VersionId)
			if id == "" {
				id = "null"
			}
			c.page = append(c.page, latest{aws.ToString(v.Key), id})
		}
	}
	c.keyMarker, c.versionMarker = out.NextKeyMarker, out.NextVersionIdMarker
	c.done = !aws.ToBool(out.IsTruncated)
	if !c.done && c.keyMarker == nil {
		return errors.New("ListObjectVersions answered a truncated page without NextKeyMarker")
	}
	return nil
}

// rowCodec encodes a manifest row for the sort: three length-prefixed
// strings.
type rowCodec struct{}

func (rowCodec) Append(dst []byte, r row) []byte {
	for _, s := range []string{r.bucket, r.key, r.version} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

func (rowCodec) Decode(src []byte) (row, error) {
	var f [3]string
	for i := range f {
		n, w := binary.Uvarint(src)
		if w <= 0 || uint64(len(src)-w) < n {
			return row{}, errors.New("a damaged manifest row")
		}
		f[i] = string(src[w : w+int(n)])
		src = src[w+int(n):]
	}
	return row{f[0], f[1], f[2]}, nil
}
