package run

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fakeS3 is an in-memory S3 for both sides of a run: buckets of objects,
// listings with folders and pages, HEAD, CopyObject with its source
// condition, and hooks that fail or hold a copy. It is no mock that says
// yes: a copy whose condition does not hold fails as S3's would.
type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string]map[string]fakeObj
	copies  int
	// deny makes CopyObject of these source keys fail AccessDenied.
	deny map[string]bool
	// hold, when set, is called at the start of every CopyObject.
	hold func(key string)
}

type fakeObj struct {
	body     string
	etag     string
	modified time.Time
}

func newFakeS3(buckets ...string) *fakeS3 {
	f := &fakeS3{buckets: map[string]map[string]fakeObj{}, deny: map[string]bool{}}
	for _, b := range buckets {
		f.buckets[b] = map[string]fakeObj{}
	}
	return f
}

func (f *fakeS3) put(bucket, key, body string) {
	sum := md5.Sum([]byte(body))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buckets[bucket][key] = fakeObj{body: body, etag: `"` + hex.EncodeToString(sum[:]) + `"`, modified: time.Now().Add(-time.Hour)}
}

func (f *fakeS3) get(bucket, key string) (fakeObj, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.buckets[bucket][key]
	return o, ok
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func (f *fakeS3) bucket(name string) (map[string]fakeObj, error) {
	b, ok := f.buckets[name]
	if !ok {
		return nil, apiErr("NoSuchBucket")
	}
	return b, nil
}

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(aws.ToString(in.Bucket))
	if err != nil {
		return nil, err
	}
	prefix, delim := aws.ToString(in.Prefix), aws.ToString(in.Delimiter)
	after := max(aws.ToString(in.StartAfter), aws.ToString(in.ContinuationToken))
	limit := int(aws.ToInt32(in.MaxKeys))
	if limit <= 0 {
		limit = 1000
	}
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := &s3.ListObjectsV2Output{}
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k <= after {
			continue
		}
		if len(out.Contents)+len(out.CommonPrefixes) == limit {
			out.IsTruncated, out.NextContinuationToken = aws.Bool(true), aws.String(after)
			break
		}
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			p := k[:len(prefix)+i+len(delim)]
			if !seen[p] {
				seen[p] = true
				out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(p)})
			}
			after = p + "\xff"
			continue
		}
		o := b[k]
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(int64(len(o.body))),
			ETag: aws.String(o.etag), LastModified: aws.Time(o.modified)})
		after = k
	}
	return out, nil
}

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(aws.ToString(in.Bucket))
	if err != nil {
		return nil, err
	}
	o, ok := b[aws.ToString(in.Key)]
	if !ok {
		return nil, apiErr("NotFound")
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(o.body))), ETag: aws.String(o.etag), LastModified: aws.Time(o.modified)}, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	o, ok := f.get(aws.ToString(in.Bucket), aws.ToString(in.Key))
	if !ok {
		return nil, apiErr("NoSuchKey")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(o.body)), ETag: aws.String(o.etag)}, nil
}

func (f *fakeS3) CopyObject(_ context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	srcBucket, escaped, _ := strings.Cut(aws.ToString(in.CopySource), "/")
	srcKey, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, apiErr("InvalidArgument")
	}
	if f.hold != nil {
		f.hold(srcKey)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deny[srcKey] {
		return nil, apiErr("AccessDenied")
	}
	src, ok := f.buckets[srcBucket][srcKey]
	dst, err := f.bucket(aws.ToString(in.Bucket))
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, apiErr("NoSuchKey")
	case in.CopySourceIfMatch == nil || *in.CopySourceIfMatch != src.etag:
		return nil, apiErr("PreconditionFailed")
	}
	src.modified = time.Now()
	dst[aws.ToString(in.Key)] = src
	f.copies++
	return &s3.CopyObjectOutput{}, nil
}

func (f *fakeS3) GetObjectTagging(context.Context, *s3.GetObjectTaggingInput, ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	return &s3.GetObjectTaggingOutput{}, nil
}

// The multipart calls: the tests copy small objects only.
func (f *fakeS3) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return nil, fmt.Errorf("fakeS3: no multipart")
}
func (f *fakeS3) UploadPartCopy(context.Context, *s3.UploadPartCopyInput, ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	return nil, fmt.Errorf("fakeS3: no multipart")
}
func (f *fakeS3) CompleteMultipartUpload(context.Context, *s3.CompleteMultipartUploadInput, ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	return nil, fmt.Errorf("fakeS3: no multipart")
}
func (f *fakeS3) AbortMultipartUpload(context.Context, *s3.AbortMultipartUploadInput, ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return nil, fmt.Errorf("fakeS3: no multipart")
}
func (f *fakeS3) ListParts(context.Context, *s3.ListPartsInput, ...func(*s3.Options)) (*s3.ListPartsOutput, error) {
	return nil, fmt.Errorf("fakeS3: no multipart")
}

var _ API = (*fakeS3)(nil)
