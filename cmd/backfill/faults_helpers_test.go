package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/report"
)

// sampleEvery: replicaEqualsPrimary compares the headers, metadata and
// tags of every sampleEvery-th key.
const sampleEvery = 25

// listed is one object of a listing.
type listed struct {
	size int64
	etag string
}

// objects lists a bucket whole: key -> size and ETag.
func (e *env) objects(bucket string) map[string]listed {
	e.t.Helper()
	m := map[string]listed{}
	p := s3.NewListObjectsV2Paginator(e.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(e.t.Context())
		if err != nil {
			e.t.Fatalf("list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = listed{size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag)}
		}
	}
	return m
}

// partETag reports an ETag made by a multipart upload ("...-N").
func partETag(etag string) bool { return strings.Contains(etag, "-") }

// replicaEqualsPrimary compares the whole replica (e.dst) with the primary
// (e.src): the same keys and sizes; the same ETags where both were made
// the same way (a copy in parts has an ETag of its own: those objects'
// bytes are compared instead); and, on a sample (every sampleEvery-th key,
// and every object copied in parts), the content headers, user metadata
// and tags.
func (e *env) replicaEqualsPrimary() {
	e.t.Helper()
	src, dst := e.objects(e.src), e.objects(e.dst)
	var missing, extra, differ []string
	for k, s := range src {
		d, ok := dst[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case d.size != s.size:
			differ = append(differ, fmt.Sprintf("%q: size %d, primary %d", k, d.size, s.size))
		case partETag(d.etag) != partETag(s.etag):
			if e.digest(e.dst, k) != e.digest(e.src, k) {
				differ = append(differ, fmt.Sprintf("%q: bytes differ", k))
			}
		case d.etag != s.etag:
			differ = append(differ, fmt.Sprintf("%q: ETag %s, primary %s", k, d.etag, s.etag))
		}
	}
	for k := range dst {
		if _, ok := src[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(missing)+len(extra)+len(differ) > 0 {
		e.t.Fatalf("replica differs from the primary (%d vs %d objects): missing %d %v, extra %d %v, different %d %v",
			len(dst), len(src), len(missing), firstFew(missing), len(extra), firstFew(extra), len(differ), firstFew(differ))
	}
	for i, k := range sortedKeys(src) {
		if i%sampleEvery != 0 && !partETag(dst[k].etag) {
			continue
		}
		if sh, dh := e.head(e.src, k), e.head(e.dst, k); !reflect.DeepEqual(sh, dh) {
			e.t.Errorf("%q: headers differ:\nprimary %v\nreplica %v", k, sh, dh)
		}
		if st, dt := e.tags(e.src, k), e.tags(e.dst, k); !reflect.DeepEqual(st, dt) {
			e.t.Errorf("%q: tags differ: primary %v, replica %v", k, st, dt)
		}
	}
}

// digest is the SHA-256 of an object's bytes.
func (e *env) digest(bucket, key string) string {
	e.t.Helper()
	out, err := e.client.GetObject(e.t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, out.Body); err != nil {
		e.t.Fatalf("read s3://%s/%s: %v", bucket, key, err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func firstFew[T any](s []T) []T { return s[:min(len(s), 5)] }

// doneRecords opens the checkpoint (read-only: it must open) and returns
// its objects recorded done.
func (e *env) doneRecords(path string) map[string]checkpoint.Record {
	e.t.Helper()
	cp, err := checkpoint.Open(path, checkpoint.Options{ReadOnly: true})
	if err != nil {
		e.t.Fatalf("the checkpoint does not open: %v", err)
	}
	defer cp.Close()
	done := map[string]checkpoint.Record{}
	err = cp.Each(checkpoint.Done, func(key, _ string, r checkpoint.Record) error {
		done[key] = r
		return nil
	})
	if err != nil {
		e.t.Fatalf("read the checkpoint: %v", err)
	}
	return done
}

// doneAreInReplica checks that every object the checkpoint records done is
// in the replica as the primary's version it was recorded from: the same
// size, and the same ETag unless copied in parts. It returns the records.
func (e *env) doneAreInReplica(path string) map[string]checkpoint.Record {
	e.t.Helper()
	done := e.doneRecords(path)
	src, dst := e.objects(e.src), e.objects(e.dst)
	var wrong []string
	for k, r := range done {
		d, ok := dst[k]
		switch {
		case !ok:
			wrong = append(wrong, fmt.Sprintf("%q recorded done, not in the replica", k))
		case r.ETag != src[k].etag || r.Size != src[k].size:
			wrong = append(wrong, fmt.Sprintf("%q recorded done as %s/%d, primary %s/%d", k, r.ETag, r.Size, src[k].etag, src[k].size))
		case d.size != r.Size || !partETag(d.etag) && d.etag != r.ETag:
			wrong = append(wrong, fmt.Sprintf("%q recorded done as %s/%d, replica holds %s/%d", k, r.ETag, r.Size, d.etag, d.size))
		}
	}
	if len(wrong) > 0 {
		e.t.Fatalf("%d of %d objects recorded done are not in the replica as recorded: %v", len(wrong), len(done), firstFew(wrong))
	}
	return done
}

// status runs `backfill status --json` on a checkpoint; it must work.
func (e *env) status(path string) report.Status {
	e.t.Helper()
	r := e.run("status", "--json", "--checkpoint", path)
	mustCode(e.t, r, 0)
	var st report.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		e.t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	return st
}

// mediaObjects are n small objects in show/shot folders, each with a
// content type and user metadata, every 7th with tags.
func mediaObjects(n int) []obj {
	objs := make([]obj, n)
	for i := range objs {
		objs[i] = obj{key: fmt.Sprintf("show%d/shot%02d/frame.%05d.exr", i%3, i%17, i),
			body: strings.Repeat(string(rune('a'+i%26)), 40+i%200), ctype: "image/x-exr",
			meta: map[string]string{"frame": fmt.Sprint(i)}}
		if i%7 == 0 {
			objs[i].tags = fmt.Sprintf("frame=%d&dept=comp", i)
		}
	}
	return objs
}

// runWith runs the binary like run, with env added to its environment.
func (e *env) runWith(env []string, args ...string) result {
	e.t.Helper()
	cmd := e.command(args...)
	cmd.Env = append(cmd.Env, env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run backfill: %v", err)
	}
	return result{stdout: so.String(), stderr: se.String(), code: code}
}
