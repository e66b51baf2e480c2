package inventory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// guard bounds a wait that only a broken lister makes long: the tests
// below fail by it, they do not time anything.
const guard = 10 * time.Second

// meeting makes each side's first request for a prefix wait until the
// other side has asked for the same prefix: a lister that asks one side
// and only then the other never gets past it.
type meeting struct {
	mu      sync.Mutex
	arrived map[string]chan struct{} // side + prefix
}

// ch is the channel closed when side first asks for prefix.
func (m *meeting) ch(side, prefix string) chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := side + "\x00" + prefix
	ch, ok := m.arrived[k]
	if !ok {
		ch = make(chan struct{})
		m.arrived[k] = ch
	}
	return ch
}

type meetingSide struct {
	*memList
	m           *meeting
	side, other string
	seen        sync.Map // prefixes asked for
}

func (s *meetingSide) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	prefix := aws.ToString(in.Prefix)
	if _, again := s.seen.LoadOrStore(prefix, true); !again {
		close(s.m.ch(s.side, prefix))
		select {
		case <-s.m.ch(s.other, prefix):
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(guard):
			return nil, fmt.Errorf("%s %q: the other side was not asked while this page was pending", s.side, prefix)
		}
	}
	return s.memList.ListObjectsV2(ctx, in)
}

// TestListerAsksBothSidesAtOnce: every shard's first pages, the source's
// and the replica's, are asked for together, so a level of the fan-out
// costs one round trip, not two.
func TestListerAsksBothSidesAtOnce(t *testing.T) {
	var keys []string
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("show%d/shot%d/f%03d.exr", i%3, i%4, i))
	}
	keys = append(keys, "top.txt")
	m := &meeting{arrived: map[string]chan struct{}{}}
	src := &meetingSide{memList: newMem(keys...), m: m, side: "src", other: "dst"}
	dst := &meetingSide{memList: newMem(keys[:10]...), m: m, side: "dst", other: "src"}
	l := &Lister{Source: src, SourceBkt: "s", Replica: dst, ReplicaBkt: "d", PageSize: 4}
	got, err := drain(t, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("%d entries, want %d", len(got), len(keys))
	}
	for _, k := range keys[:10] {
		if got[k].Replica == nil {
			t.Errorf("%q: replica not joined", k)
		}
	}
}

// TestListerFetchesTheNextPageAhead: once a page is taken, the next one is
// asked for before its objects are consumed (here, while the first object
// waits to be read).
func TestListerFetchesTheNextPageAhead(t *testing.T) {
	src := &countingList{memList: newMem("a", "b", "c", "d"), second: make(chan struct{})}
	l := &Lister{Source: src, SourceBkt: "s", FanoutDepth: -1, PageSize: 1}
	ctx, cancel := context.WithCancel(t.Context())
	out := make(chan Entry)
	errc := make(chan error, 1)
	go func() { errc <- l.Stream(ctx, out) }()
	for e := range out {
		if e.Kind == KindShardMode {
			break // the first object comes next: read no further for now
		}
	}
	select {
	case <-src.second:
	case <-time.After(guard):
		t.Error("the second page was not asked for while the first was being consumed")
	}
	cancel()
	for {
		select {
		case <-out:
			continue
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Stream: %v, want context.Canceled", err)
			}
			return
		}
	}
}

type countingList struct {
	*memList
	n      atomic.Int32
	second chan struct{}
}

func (c *countingList) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if c.n.Add(1) == 2 {
		close(c.second)
	}
	return c.memList.ListObjectsV2(ctx, in)
}

// TestListerLeavesNoRequestBehind: a listing that stops (here, a failing
// replica) cancels the pages it asked for ahead and waits for them; no
// request outlives Stream.
func TestListerLeavesNoRequestBehind(t *testing.T) {
	var keys []string
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("show%d/f%03d", i%4, i))
	}
	src := &slowList{memList: newMem(keys...)}
	dst := failList{errReplicaDown}
	l := &Lister{Source: src, SourceBkt: "s", Replica: dst, ReplicaBkt: "d", PageSize: 2}
	err := l.Stream(t.Context(), make(chan Entry, 1000))
	if err == nil || !errors.Is(err, errReplicaDown) {
		t.Fatalf("Stream: %v, want the replica's error", err)
	}
	if n := src.active.Load(); n != 0 {
		t.Errorf("%d source requests still running after Stream returned", n)
	}
	if n := src.notCancelled.Load(); n != 0 {
		t.Errorf("%d source requests fetched ahead were never cancelled", n)
	}
	if src.started.Load() == 0 {
		t.Error("no page was fetched ahead: the test proves nothing")
	}
}

var errReplicaDown = errors.New("replica down")

// slowList answers a listing's first page at once and its later pages
// only when their context ends, a moment after (so that a lister that
// does not wait for its requests sees them still running): the page
// fetched ahead is still on its way when the replica's error stops the
// listing.
type slowList struct {
	*memList
	active, started, notCancelled atomic.Int32
}

func (s *slowList) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if in.ContinuationToken == nil {
		return s.memList.ListObjectsV2(ctx, in)
	}
	s.active.Add(1)
	s.started.Add(1)
	defer s.active.Add(-1)
	select {
	case <-ctx.Done():
		time.Sleep(50 * time.Millisecond)
		return nil, ctx.Err()
	case <-time.After(guard):
		s.notCancelled.Add(1)
		return s.memList.ListObjectsV2(ctx, in)
	}
}

// TestListerListsFlatWithTheReplica: a shard that goes flat drops the
// replica's page asked for by "/" (here it fails, and its error is not
// the listing's) and lists both sides flat.
func TestListerListsFlatWithTheReplica(t *testing.T) {
	var keys, replica []string
	for i := range 400 {
		keys = append(keys, fmt.Sprintf("%06d/attachment.pdf", i))
		if i%2 == 0 {
			replica = append(replica, keys[i])
		}
	}
	src := newMem(keys...)
	dst := &delimFails{memList: newMem(replica...)}
	l := &Lister{Source: src, SourceBkt: "s", Replica: dst, ReplicaBkt: "d", PageSize: 150}
	got, err := drain(t, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("%d entries, want %d", len(got), len(keys))
	}
	for i, k := range keys {
		if e := got[k]; (e.Replica != nil) != (i%2 == 0) || !e.ReplicaKnown {
			t.Errorf("%q: replica %v, want present=%v", k, e.Replica, i%2 == 0)
		}
	}
	// The source: its "/" page, then 3 flat pages; the replica: the "/"
	// page that failed, then 2 flat pages (200 keys).
	if src.calls != 4 || dst.calls != 3 || dst.failed.Load() != 1 {
		t.Errorf("source %d list calls (want 4), replica %d (want 3), %d failed (want 1)", src.calls, dst.calls, dst.failed.Load())
	}
}

// delimFails fails every listing by "/".
type delimFails struct {
	*memList
	failed atomic.Int32
}

func (d *delimFails) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out, err := d.memList.ListObjectsV2(ctx, in) // counted
	if aws.ToString(in.Delimiter) != "" {
		d.failed.Add(1)
		return nil, errors.New("listing by folders refused")
	}
	return out, err
}

// TestListerReportsAPageFetchedAheadFailing: a later page that fails
// stops the listing with its ListError once the join reaches it, after the
// objects of the pages before it.
func TestListerReportsAPageFetchedAheadFailing(t *testing.T) {
	src := &laterPagesFail{memList: newMem("a", "b", "c", "d", "e")}
	l := &Lister{Source: src, SourceBkt: "s", Replica: newMem("a"), ReplicaBkt: "d", FanoutDepth: -1, PageSize: 2}
	got, err := drain(t, l)
	var le *ListError
	if !errors.As(err, &le) || le.Bucket != "s" || !errors.Is(err, errLaterPage) {
		t.Fatalf("err = %v, want the source's ListError", err)
	}
	if len(got) != 2 || got["a"].Replica == nil {
		t.Errorf("entries %v, want a (joined) and b, the first page", got)
	}
}

var errLaterPage = errors.New("later page refused")

type laterPagesFail struct{ *memList }

func (l *laterPagesFail) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if in.ContinuationToken != nil {
		return nil, errLaterPage
	}
	return l.memList.ListObjectsV2(ctx, in)
}
