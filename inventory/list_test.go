package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// memList is an in-memory ListObjectsV2 with S3's ordering, delimiter and
// pagination semantics (continuation token = last key or prefix returned).
type memList struct {
	keys    []string // sorted
	size    map[string]int64
	mu      sync.Mutex
	calls   int
	reverse bool // answer pages in the wrong order (to test ErrUnsorted)
	encode  bool // honour EncodingType=url as S3 does
}

func newMem(keys ...string) *memList {
	m := &memList{size: map[string]int64{}}
	for i, k := range keys {
		m.keys = append(m.keys, k)
		m.size[k] = int64(i + 1)
	}
	sort.Strings(m.keys)
	return m
}

func (m *memList) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	m.mu.Lock()
	m.calls++
	m.mu.Unlock()
	prefix, delim, after := aws.ToString(in.Prefix), aws.ToString(in.Delimiter), aws.ToString(in.ContinuationToken)
	if after == "" {
		after = aws.ToString(in.StartAfter)
	}
	max := int(aws.ToInt32(in.MaxKeys))
	if max == 0 {
		max = 1000
	}
	out := &s3.ListObjectsV2Output{}
	n := 0
	var last string
	seenPfx := map[string]bool{}
	for _, k := range m.keys {
		if !strings.HasPrefix(k, prefix) || (after != "" && k <= after) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if seenPfx[cp] || (after != "" && cp <= after) {
					continue
				}
				if n == max {
					out.IsTruncated = aws.Bool(true)
					break
				}
				seenPfx[cp] = true
				out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(cp)})
				n++
				last = cp + "\xff" // skip everything under it
				continue
			}
		}
		if n == max {
			out.IsTruncated = aws.Bool(true)
			break
		}
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(m.size[k]),
			ETag: aws.String(fmt.Sprintf(`"%d"`, m.size[k])), LastModified: aws.Time(time.Unix(1e9, 0))})
		n++
		last = k
	}
	if aws.ToBool(out.IsTruncated) {
		out.NextContinuationToken = aws.String(last)
	}
	if in.EncodingType == types.EncodingTypeUrl && m.encode {
		// As S3 does: keys and prefixes form-encoded, and said so.
		out.EncodingType = types.EncodingTypeUrl
		for i := range out.Contents {
			out.Contents[i].Key = aws.String(url.QueryEscape(aws.ToString(out.Contents[i].Key)))
		}
		for i := range out.CommonPrefixes {
			out.CommonPrefixes[i].Prefix = aws.String(url.QueryEscape(aws.ToString(out.CommonPrefixes[i].Prefix)))
		}
	}
	if m.reverse {
		for i, j := 0, len(out.Contents)-1; i < j; i, j = i+1, j-1 {
			out.Contents[i], out.Contents[j] = out.Contents[j], out.Contents[i]
		}
	}
	return out, nil
}

func drain(t *testing.T, l *Lister) (map[string]Entry, error) {
	t.Helper()
	out := make(chan Entry)
	got := map[string]Entry{}
	var err error
	done := make(chan struct{})
	go func() { err = l.Stream(t.Context(), out); close(out); close(done) }()
	found, modes, resumed := map[string]bool{}, map[string]bool{}, map[string]bool{}
	depthOf := map[string]int{}
	for _, r := range l.Resume {
		found[r.Prefix] = true // announced by an earlier run
		resumed[r.Prefix] = true
	}
	for e := range out {
		switch e.Kind {
		case KindShardFound:
			found[e.Shard] = true
			depthOf[e.Shard] = e.Depth
			continue
		case KindShardDone:
			if !found[e.Shard] {
				t.Errorf("shard %q done before it was announced", e.Shard)
			}
			continue
		case KindShardMode:
			if !found[e.Shard] {
				t.Errorf("shard %q mode before it was announced", e.Shard)
			}
			modes[e.Shard] = true
			continue
		}
		fanout := l.FanoutDepth
		if fanout == 0 {
			fanout = DefaultFanoutDepth
		}
		if mode := modes[e.Shard]; !mode && fanout > 0 && !resumed[e.Shard] {
			t.Errorf("entry %q of shard %q before the shard's mode", e.Rel, e.Shard)
		}
		if !found[e.Shard] {
			t.Errorf("entry %q of shard %q before the shard was announced", e.Rel, e.Shard)
		}
		if _, dup := got[e.Rel]; dup {
			t.Errorf("entry %q sent twice", e.Rel)
		}
		got[e.Rel] = e
	}
	<-done
	return got, err
}

func TestListerJoinsAndFansOut(t *testing.T) {
	var srcKeys, dstKeys []string
	for i := range 50 {
		srcKeys = append(srcKeys, fmt.Sprintf("p/show%d/shot%d/f%03d.exr", i%3, i%5, i))
		if i%2 == 0 {
			dstKeys = append(dstKeys, fmt.Sprintf("q/show%d/shot%d/f%03d.exr", i%3, i%5, i))
		}
	}
	srcKeys = append(srcKeys, "p/top.txt", "p//double", "p/a-c", "p/a/b", "p/a0", "p/", "other/x", "p2/x")
	dstKeys = append(dstKeys, "q/a/b", "q/zzz-only-in-replica", "q/a-c")
	src, dst := newMem(srcKeys...), newMem(dstKeys...)
	for _, depth := range []int{-1, 1, 2, 5} {
		for _, page := range []int32{1, 3, 1000} {
			l := &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", Replica: dst, ReplicaBkt: "d", ReplicaPfx: "q/",
				FanoutDepth: depth, PageSize: page, Parallel: 3}
			got, err := drain(t, l)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, k := range srcKeys {
				rel, ok := strings.CutPrefix(k, "p/")
				if !ok {
					continue
				}
				want++
				e, ok := got[rel]
				if !ok {
					t.Errorf("depth %d page %d: %q not listed", depth, page, k)
					continue
				}
				inDst := false
				for _, d := range dstKeys {
					inDst = inDst || d == "q/"+rel
				}
				if (e.Replica != nil) != inDst || !e.ReplicaKnown || e.Source.Key != k {
					t.Errorf("depth %d page %d: %q: replica %v, want present=%v", depth, page, rel, e.Replica, inDst)
				}
			}
			if len(got) != want {
				t.Errorf("depth %d page %d: %d entries, want %d", depth, page, len(got), want)
			}
		}
	}
}

// TestListerRootKeysWithSlashes: at the bucket root, keys with a leading
// "/", a "//" and a trailing "/" are listed and joined like any other.
func TestListerRootKeysWithSlashes(t *testing.T) {
	src := newMem("/lead", "//double/x", "a//b", "trail/", "plain")
	dst := newMem("/lead", "trail/")
	for _, depth := range []int{-1, 2} {
		got, err := drain(t, &Lister{Source: src, SourceBkt: "s", Replica: dst, ReplicaBkt: "d", FanoutDepth: depth})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || got["/lead"].Replica == nil || got["trail/"].Replica == nil || got["a//b"].Replica != nil {
			t.Errorf("depth %d: %v", depth, sortedRels(got))
		}
	}
}

// TestListerDecodesURLEncodedKeys: keys S3 sends URL-encoded (as asked)
// come out exact, including a CR, control characters, "+" and "%".
func TestListerDecodesURLEncodedKeys(t *testing.T) {
	keys := []string{"p/Icon\r", "p/ctl\x01\x1f", "p/a b+c%d", "p/dir one/x+y", "p/ü"}
	src, dst := newMem(keys...), newMem("q/a b+c%d")
	src.encode, dst.encode = true, true
	got, err := drain(t, &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", Replica: dst, ReplicaBkt: "d", ReplicaPfx: "q/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, ok := got[k[2:]]; !ok {
			t.Errorf("%q not listed exactly; got %q", k, sortedRels(got))
		}
	}
	if got["a b+c%d"].Replica == nil {
		t.Error("join lost the encoded replica key")
	}
}

func TestListerRefusesUnsortedListing(t *testing.T) {
	src := newMem("p/a", "p/b", "p/c")
	src.reverse = true
	l := &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", FanoutDepth: -1}
	_, err := drain(t, l)
	if !errors.Is(err, ErrUnsorted) {
		t.Fatalf("err = %v, want ErrUnsorted", err)
	}
}

type failList struct{ err error }

func (f failList) ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return nil, f.err
}

func TestListerReportsListError(t *testing.T) {
	boom := errors.New("boom")
	l := &Lister{Source: newMem("p/a"), SourceBkt: "s", SourcePfx: "p/", Replica: failList{boom}, ReplicaBkt: "d", ReplicaPfx: "q/"}
	_, err := drain(t, l)
	var le *ListError
	if !errors.As(err, &le) || le.Bucket != "d" || !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestListerResumesAfterWatermarks(t *testing.T) {
	src := newMem("p/a/1", "p/a/2", "p/a/3", "p/b/1", "p/b/2", "p/c/1", "p/top1", "p/top2")
	dst := newMem("q/a/3", "q/c/1")
	known := map[string]bool{"": true, "a/": true, "b/": true, "c/": true}
	l := &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", Replica: dst, ReplicaBkt: "d", ReplicaPfx: "q/",
		FanoutDepth: 1, Known: func(p string) bool { return known[p] },
		Resume: []ResumeShard{{Prefix: "a/", Depth: 1, After: "a/1"}, {Prefix: "", Depth: 0, After: "top1"}}}
	got, err := drain(t, l)
	if err != nil {
		t.Fatal(err)
	}
	if keys := fmt.Sprint(sortedRels(got)); keys != "[a/2 a/3 top2]" {
		t.Errorf("resumed listing = %s", keys)
	}
	if got["a/3"].Replica == nil {
		t.Error("resumed join lost the replica's a/3")
	}
	// Nothing to resume: nothing listed at all.
	src.calls = 0
	l = &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", Resume: []ResumeShard{}}
	if got, err := drain(t, l); err != nil || len(got) != 0 || src.calls != 0 {
		t.Errorf("empty resume listed %d entries with %d calls (%v)", len(got), src.calls, err)
	}
}

func sortedRels(m map[string]Entry) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestListerListsManyFoldersFlat: an <id>/<file> layout (many folders of
// one object) is listed flat, not as one shard per folder.
func TestListerListsManyFoldersFlat(t *testing.T) {
	var keys []string
	for i := range 400 {
		keys = append(keys, fmt.Sprintf("p/%06d/attachment.pdf", i))
	}
	keys = append(keys, "p/top.txt")
	src := newMem(keys...)
	l := &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", PageSize: 150, Parallel: 2}
	out := make(chan Entry, 1000)
	errc := make(chan error, 1)
	go func() { errc <- l.Stream(t.Context(), out); close(out) }()
	shards, objects, flat := 0, 0, false
	for e := range out {
		switch e.Kind {
		case KindShardFound:
			shards++
		case KindShardMode:
			flat = flat || e.Shard == "" && e.Flat
		case KindObject:
			objects++
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if shards != 1 || !flat || objects != 401 {
		t.Errorf("%d shards (want 1, the root), root flat %v, %d objects (want 401)", shards, flat, objects)
	}
	if src.calls > 6 {
		t.Errorf("%d list calls", src.calls)
	}
	// A resumed flat shard is listed flat again, after its watermark.
	src.calls = 0
	l = &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", PageSize: 150,
		Resume: []ResumeShard{{Prefix: "", Depth: 0, After: "000199/attachment.pdf", Mode: ModeFlat}}}
	got, err := drain(t, l)
	if err != nil || len(got) != 201 {
		t.Errorf("resumed flat: %d entries, %v", len(got), err)
	}
}

// With Extras, what only the replica has comes too: keys between, before
// and after the source's, and whole folders the source lacks, at every
// fan-out depth and page size; each key exactly once.
func TestListerExtras(t *testing.T) {
	srcKeys := []string{"p/a/1", "p/a/3", "p/b/x/1", "p/c", "p/m/n/o"}
	dstKeys := []string{"q/a/0", "q/a/1", "q/a/2", "q/a/4", "q/aa", "q/b/x/1", "q/b/y/9", "q/only/deep/k", "q/c", "q/z", "q/m/n/o", "q/m/zz"}
	src, dst := newMem(srcKeys...), newMem(dstKeys...)
	extras := map[string]bool{"a/0": true, "a/2": true, "a/4": true, "aa": true, "b/y/9": true, "only/deep/k": true, "z": true, "m/zz": true}
	for _, depth := range []int{-1, 1, 2, 5} {
		for _, page := range []int32{1, 2, 1000} {
			l := &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", Replica: dst, ReplicaBkt: "d", ReplicaPfx: "q/",
				FanoutDepth: depth, PageSize: page, Parallel: 2, Extras: true}
			got, err := drain(t, l)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(srcKeys)+len(extras) {
				t.Errorf("depth %d page %d: %d entries, want %d", depth, page, len(got), len(srcKeys)+len(extras))
			}
			for rel, e := range got {
				switch {
				case extras[rel] && (!e.Extra || e.Replica == nil || e.Replica.Key != "q/"+rel || e.Source.Key != ""):
					t.Errorf("depth %d page %d: extra %q: %+v", depth, page, rel, e)
				case !extras[rel] && (e.Extra || e.Source.Key != "p/"+rel || (e.Replica == nil) != (rel == "a/3")):
					t.Errorf("depth %d page %d: %q: %+v", depth, page, rel, e)
				}
			}
		}
	}
}

// A folder below the fan-out depth that holds more than a page is split
// into its subfolders (listed in parallel); one that holds less, or has
// no subfolders, is listed flat; each key exactly once either way.
func TestListerSplitsLargeDeepFolders(t *testing.T) {
	var keys []string
	for e := range 5 {
		for f := range 300 {
			keys = append(keys, fmt.Sprintf("p/big/e%d/f%03d.exr", e, f))
		}
	}
	for f := range 1500 {
		keys = append(keys, fmt.Sprintf("p/seq/f%04d.exr", f))
	}
	for d := range 150 { // many folders of a few keys: flat, not 150 shards
		for f := range 8 {
			keys = append(keys, fmt.Sprintf("p/many/%03d/f%d.exr", d, f))
		}
	}
	keys = append(keys, "p/small/e0/a.exr", "p/small/e1/b.exr")
	src := newMem(keys...)
	l := &Lister{Source: src, SourceBkt: "s", SourcePfx: "p/", Replica: newMem(), ReplicaBkt: "d", ReplicaPfx: "q/", FanoutDepth: 1, PageSize: 1000, Parallel: 4}
	out := make(chan Entry, 5000)
	errc := make(chan error, 1)
	go func() { errc <- l.Stream(t.Context(), out); close(out) }()
	shards, flat, objects := map[string]bool{}, map[string]bool{}, map[string]int{}
	for e := range out {
		switch e.Kind {
		case KindShardFound:
			shards[e.Shard] = true
		case KindShardMode:
			flat[e.Shard] = e.Flat
		case KindObject:
			objects[e.Rel]++
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for e := range 5 {
		if sh := fmt.Sprintf("big/e%d/", e); !shards[sh] {
			t.Errorf("%s not split off big/ (shards %v)", sh, shards)
		}
	}
	if flat["big/"] || !flat["seq/"] || !flat["small/"] || shards["small/e0/"] || !flat["many/"] || shards["many/000/"] {
		t.Errorf("modes %v, shards %v: want big/ split, seq/ (no subfolders), small/ (one page) and many/ (150 folders) flat", flat, shards)
	}
	if len(objects) != len(keys) {
		t.Errorf("%d keys listed, want %d", len(objects), len(keys))
	}
	for k, n := range objects {
		if n != 1 {
			t.Errorf("%s listed %d times", k, n)
		}
	}
}
