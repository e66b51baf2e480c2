package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/bench/internal/headers"
)

type listed struct {
	size int64
	etag string
}

// list returns every object of bucket by key. c talks to the server
// directly, not through the proxy, so the tools' request counts stay theirs.
func list(ctx context.Context, c *s3.Client, bucket string) (map[string]listed, error) {
	m := map[string]listed{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = listed{size: aws.ToInt64(o.Size), etag: strings.Trim(aws.ToString(o.ETag), `"`)}
		}
	}
	return m, nil
}

// sampleEvery is how often, in key order, a source object is also compared
// with its copy by HeadObject: 200 objects of the default 20,000.
const sampleEvery = 100

// headed is what HeadObject tells of an object beyond the listing.
type headed struct {
	contentType string
	metadata    map[string]string
}

// sampleKeys returns every sampleEvery-th key of src in key order.
func sampleKeys(src map[string]listed) []string {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for i := 0; i < len(keys); i += sampleEvery {
		out = append(out, keys[i])
	}
	return out
}

// heads asks HeadObject of each key of bucket that listed holds (one the
// replica lacks is the listing's "missing", not asked again). c talks to the
// server directly, as list's does.
func heads(ctx context.Context, c *s3.Client, bucket string, keys []string, listed map[string]listed) (map[string]headed, error) {
	m := make(map[string]headed, len(keys))
	for _, k := range keys {
		if _, ok := listed[k]; !ok {
			continue
		}
		out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			return nil, fmt.Errorf("head s3://%s/%s: %w", bucket, k, err)
		}
		m[k] = headed{contentType: aws.ToString(out.ContentType), metadata: out.Metadata}
	}
	return m, nil
}

// check is how a replica compares with its source.
type check struct {
	objects  int // in the source
	missing  int // in the source, not in the replica
	differ   int // in both, with another size or (single-part) ETag
	extra    int // in the replica only
	sampled  int // also compared by HeadObject (those not missing or differing)
	lost     int // of those, copies that lost or changed the Content-Type or a user-metadata key
	gained   int // of those, copies with user-metadata keys the source lacks (not a failure)
	gainedEg string
	bad      map[string]bool // keys counted missing or differing
	mismatch []string
}

// complete is whether the replica holds every source object intact: each
// key with its size and ETag, and no sampled copy without its headers.
func (c check) complete() bool { return c.missing == 0 && c.differ == 0 && c.lost == 0 }

// failed is how many source objects the listing shows not held intact. Lost
// headers are not in it: they are counted on a sample only (lost of sampled).
func (c check) failed() int { return c.missing + c.differ }

func (c check) String() string {
	if c.complete() {
		if c.gained > 0 {
			return fmt.Sprintf("yes; %d of %d sampled gained user metadata (e.g. %s)", c.gained, c.sampled, c.gainedEg)
		}
		return "yes"
	}
	s := fmt.Sprintf("no: %d missing, %d differ", c.missing, c.differ)
	if c.lost > 0 {
		s += fmt.Sprintf(", %d of %d sampled lost Content-Type or metadata", c.lost, c.sampled)
	}
	if len(c.mismatch) > 0 {
		s += " (e.g. " + strings.Join(c.mismatch, "; ") + ")"
	}
	return s
}

// compareHeads adds to c how the sampled copies' Content-Type and user
// metadata compare with their sources'. A copy lost its headers when its
// Content-Type differs or a source metadata key is absent or has another
// value; keys it has beyond the source's (rclone adds "mtime" when it sets a
// modification time) are counted as gained. Keys compare counted missing or
// differing are skipped, so no object is counted twice.
func (c *check) compareHeads(src, replica map[string]headed) {
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r, ok := replica[k]
		if !ok || c.bad[k] {
			continue
		}
		c.sampled++
		s := src[k]
		if r.contentType != s.contentType || !headers.Kept(s.metadata, r.metadata) {
			c.lost++
			if len(c.mismatch) < 3 {
				c.mismatch = append(c.mismatch, fmt.Sprintf("%s: Content-Type %q metadata %v vs %q %v",
					k, r.contentType, r.metadata, s.contentType, s.metadata))
			}
			continue
		}
		if extra := headers.Gained(s.metadata, r.metadata); len(extra) > 0 {
			c.gained++
			if c.gainedEg == "" {
				c.gainedEg = extra[0]
			}
		}
	}
}

// compare checks replica against src: the same keys, each with the same size
// and, where the replica's ETag is a single-part one (no "-"), the same ETag.
func compare(src, replica map[string]listed) check {
	c := check{objects: len(src), bad: map[string]bool{}}
	keys := make([]string, 0, len(src))
	for k := range src {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := src[k]
		r, ok := replica[k]
		switch {
		case !ok:
			c.missing++
			c.bad[k] = true
		case r.size != s.size || (!strings.Contains(r.etag, "-") && r.etag != s.etag):
			c.differ++
			c.bad[k] = true
			if len(c.mismatch) < 3 {
				c.mismatch = append(c.mismatch, fmt.Sprintf("%s: %d %s vs %d %s", k, r.size, r.etag, s.size, s.etag))
			}
		}
	}
	for k := range replica {
		if _, ok := src[k]; !ok {
			c.extra++
		}
	}
	return c
}

// statusProxy sits in front of the harness proxy and counts the status codes
// of the answers, which the harness proxy does not record (its counts are of
// requests, SlowDown-refused ones included). It keeps the client's Host
// header, as the harness proxy does, so signatures still verify.
type statusProxy struct {
	url string
	srv *http.Server
	tr  *http.Transport

	mu       sync.Mutex
	statuses map[int]int
	since    time.Time
	perSec   [][2]int // by second since the last take: answers other than 503, 503s
}

func newStatusProxy(target string) (*statusProxy, error) {
	tu, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableCompression = true
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 1024
	quiet := log.New(io.Discard, "", 0)
	sp := &statusProxy{url: "http://" + ln.Addr().String(), tr: tr, statuses: map[int]int{}, since: time.Now()}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(tu)
			pr.Out.Host = pr.In.Host
		},
		Transport: tr,
		ErrorLog:  quiet,
		ModifyResponse: func(resp *http.Response) error {
			sp.add(resp.StatusCode)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			sp.add(http.StatusBadGateway)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	sp.srv = &http.Server{Handler: rp, ErrorLog: quiet, ReadHeaderTimeout: time.Minute}
	go sp.srv.Serve(ln) //nolint:errcheck
	return sp, nil
}

func (sp *statusProxy) add(code int) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.statuses[code]++
	sec := int(time.Since(sp.since) / time.Second)
	for len(sp.perSec) <= sec {
		sp.perSec = append(sp.perSec, [2]int{})
	}
	if code == http.StatusServiceUnavailable {
		sp.perSec[sec][1]++
	} else {
		sp.perSec[sec][0]++
	}
}

// take returns the counts since the last take, and the answers per second
// as "second: others/503s" text, and starts again from zero.
func (sp *statusProxy) take() (map[int]int, string) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	m := sp.statuses
	parts := make([]string, len(sp.perSec))
	for i, c := range sp.perSec {
		parts[i] = fmt.Sprintf("%d:%d/%d", i, c[0], c[1])
	}
	sp.statuses, sp.perSec, sp.since = map[int]int{}, nil, time.Now()
	return m, strings.Join(parts, " ")
}

func (sp *statusProxy) close() {
	sp.srv.Close()
	sp.tr.CloseIdleConnections()
}
