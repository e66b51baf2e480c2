package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ListAPI is the one S3 call a Lister makes.
type ListAPI interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ ListAPI = (*s3.Client)(nil)

// Defaults for Lister.
const (
	// DefaultParallel shards are listed at once: enough to keep a few
	// hundred copiers fed at 1,000 keys per page and ~100 ms per page.
	DefaultParallel = 8
	// DefaultFanoutDepth levels of "/" folders are split into shards; below
	// that a folder is listed flat unless it holds more than a page, when
	// its subfolders become shards (listed in parallel). Two levels split a
	// typical media tree (show/shot/...) without listing small folders one
	// by one.
	DefaultFanoutDepth = 2
	// FlatAbove: a shard whose first page is truncated and holds at least
	// this many folders is listed flat, not split (an <id>/<file> layout
	// would otherwise make one shard, and two listings, per object).
	FlatAbove = 100
	// MaxShards bounds the shards one listing creates; past it, new shards
	// are listed flat. Shards are the only listing state held in memory.
	MaxShards = 10_000
)

// ErrUnsorted is returned when a listing does not come back in ascending key
// order, which the join between source and replica depends on.
var ErrUnsorted = errors.New("listing is not in ascending key order")

// Lister streams the objects under a source prefix, joined with what the
// replica holds under the destination prefix.
type Lister struct {
	Source      ListAPI
	SourceBkt   string
	SourcePfx   string
	Replica     ListAPI // nil: do not look at the replica (ReplicaKnown false)
	ReplicaBkt  string
	ReplicaPfx  string
	Parallel    int // shards listed at once (0 = DefaultParallel)
	FanoutDepth int // 0 = DefaultFanoutDepth; <0 lists flat, never split
	PageSize    int32

	ExpectedSourceOwner  string
	ExpectedReplicaOwner string

	// Resume, when non-nil, lists these shards (each after its watermark)
	// instead of starting at the root; an empty non-nil slice lists nothing.
	Resume []ResumeShard
	// Known reports shards already recorded by an earlier run: a
	// rediscovered known shard is neither listed again nor announced.
	Known func(prefix string) bool
	// Extras also sends what only the replica holds (verify's "extra"):
	// entries with Extra set, Replica the replica's object and no Source,
	// and shards for folders only the replica has. A copy never sets it.
	Extras bool
}

// ResumeShard is where a resumed listing of one shard starts.
type ResumeShard struct {
	Prefix string // relative to the source prefix
	Depth  int
	After  string // relative key: list only keys after it ("" = from the start)
	Mode   Mode
}

type shard struct {
	rel   string
	depth int
	after string
	mode  Mode
}

// Stream lists and sends entries on out until the listing is complete, ctx
// is done, or a listing fails. It does not close out.
func (l *Lister) Stream(ctx context.Context, out chan<- Entry) error {
	parallel := l.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	depth := l.FanoutDepth
	if depth == 0 {
		depth = DefaultFanoutDepth
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	q := &shardQueue{}
	q.cond = sync.NewCond(&q.mu)
	if l.Resume == nil {
		q.pending = []shard{{rel: "", depth: 0}}
		if err := send(ctx, out, Entry{Kind: KindShardFound, Shard: "", Depth: 0}); err != nil {
			return err
		}
	}
	for _, r := range l.Resume {
		q.pending = append(q.pending, shard{rel: r.Prefix, depth: r.Depth, after: r.After, mode: r.Mode})
	}
	q.total = len(q.pending)
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for {
				s, ok := q.take(ctx)
				if !ok {
					return
				}
				err := l.listShard(ctx, s, s.depth >= depth, q, out)
				if err == nil {
					err = send(ctx, out, Entry{Kind: KindShardDone, Shard: s.rel})
				}
				q.done()
				if err != nil {
					cancel(err)
					q.wake()
					return
				}
			}
		})
	}
	stop := context.AfterFunc(ctx, q.wake)
	wg.Wait()
	stop()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// listShard lists one shard on both sides and joins them.
func (l *Lister) listShard(ctx context.Context, s shard, deep bool, q *shardQueue, out chan<- Entry) error {
	sh := &shardLists{l: l, s: s}
	// Pages asked for ahead are cancelled and waited for when the shard
	// ends, however it ends: no request outlives the listing.
	defer sh.close()
	src, dst, err := sh.open(ctx, deep, q, out)
	if err != nil {
		return err
	}
	rc := &replicaCursor{sh: sh, p: dst, q: q, out: out}
	if err := rc.next(ctx); err != nil {
		return err
	}
	for {
		o, ok, err := src.next(ctx)
		if err != nil {
			return err
		}
		if err := sh.flush(ctx, q, out); err != nil {
			return err
		}
		if !ok {
			return rc.drain(ctx)
		}
		rel := o.Key[len(l.SourcePfx):]
		e := Entry{Rel: rel, Source: o, Shard: s.rel, ReplicaKnown: dst != nil}
		if e.Replica, err = rc.seek(ctx, rel); err != nil {
			return err
		}
		if err := send(ctx, out, e); err != nil {
			return err
		}
	}
}

// replicaCursor walks the replica's side of a shard's join. What it
// passes over unmatched only the replica has (an extra, with Extras).
type replicaCursor struct {
	sh      *shardLists
	p       *pager // nil: the replica is not looked at
	q       *shardQueue
	out     chan<- Entry
	cur     Object
	ok      bool // cur is an object
	matched bool // cur was joined with a source object
}

func (c *replicaCursor) next(ctx context.Context) error {
	if c.p == nil {
		return nil
	}
	var err error
	if c.cur, c.ok, err = c.p.next(ctx); err != nil {
		return err
	}
	c.matched = false
	return c.sh.flush(ctx, c.q, c.out)
}

func (c *replicaCursor) rel() string { return c.cur.Key[len(c.sh.l.ReplicaPfx):] }

// seek advances to the first replica key >= rel and returns the replica's
// object at rel, or nil.
func (c *replicaCursor) seek(ctx context.Context, rel string) (*Object, error) {
	for c.ok && c.rel() < rel {
		if err := c.passOver(ctx); err != nil {
			return nil, err
		}
	}
	if !c.ok || c.rel() != rel {
		return nil, nil
	}
	c.matched = true
	r := c.cur
	return &r, nil
}

// passOver leaves the current replica object, sending it as an extra
// unless it was joined.
func (c *replicaCursor) passOver(ctx context.Context) error {
	if !c.matched {
		if err := c.sh.extra(ctx, c.cur, c.out); err != nil {
			return err
		}
	}
	return c.next(ctx)
}

// drain sends the replica's objects after the source's last one (Extras
// only) and announces the folders found on the way.
func (c *replicaCursor) drain(ctx context.Context) error {
	for c.sh.l.Extras && c.ok {
		if err := c.passOver(ctx); err != nil {
			return err
		}
	}
	return c.sh.flush(ctx, c.q, c.out)
}

// extra sends a replica object the source does not have (Extras only).
func (sh *shardLists) extra(ctx context.Context, d Object, out chan<- Entry) error {
	if !sh.l.Extras {
		return nil
	}
	r := d
	return send(ctx, out, Entry{Rel: d.Key[len(sh.l.ReplicaPfx):], Shard: sh.s.rel, ReplicaKnown: true, Replica: &r, Extra: true})
}

// flush announces and queues the child shards the last pages found:
// each is announced before it is queued (so its own entries can never
// overtake the announcement) and before the objects of the page that
// found it.
func (sh *shardLists) flush(ctx context.Context, q *shardQueue, out chan<- Entry) error {
	for _, f := range sh.found {
		if err := send(ctx, out, Entry{Kind: KindShardFound, Shard: f, Depth: sh.s.depth + 1}); err != nil {
			return err
		}
		q.add(shard{rel: f, depth: sh.s.depth + 1})
	}
	sh.found = sh.found[:0]
	return nil
}

// foundPrefix records a child folder one side's page named, once.
func (sh *shardLists) foundPrefix(rel string) {
	l := sh.l
	if (l.Known != nil && l.Known(rel)) || sh.seen[rel] {
		return
	}
	if sh.seen == nil {
		sh.seen = map[string]bool{}
	}
	sh.seen[rel] = true
	sh.found = append(sh.found, rel)
}

// shardLists are the pagers of one shard.
type shardLists struct {
	l *Lister
	s shard
	// found are child shards discovered by the last page: each is
	// announced before it is queued (so its own entries can never overtake
	// the announcement) and before the objects of the page that found it.
	found  []string
	seen   map[string]bool // folders found so far (both sides name them)
	pagers []*pager
}

// open decides how the shard is listed (flat, or by "/" folders) and
// returns its source pager and its replica pager (nil when the lister
// does not look at the replica), both with their first pages asked for.
func (sh *shardLists) open(ctx context.Context, deep bool, q *shardQueue, out chan<- Entry) (src, dst *pager, err error) {
	s := sh.s
	if s.mode == ModeUndecided && deep {
		return sh.openDeep(ctx, q, out)
	}
	switch s.mode {
	case ModeFlat:
		src, dst = sh.source(""), sh.replica("")
	case ModeDelimited:
		src, dst = sh.source("/"), sh.replica("/")
	default:
		// Decide by the first page, and say so before anything else of
		// this shard, so a resumed run lists it the same way. The
		// replica's first page is asked for meanwhile, by "/" as most
		// shards above the fan-out depth stay (not once the shards are
		// at their bound: then every new one goes flat).
		src = sh.source("/")
		src.ahead = false // until the decision: a flat shard drops this pager
		if q.count() < MaxShards {
			dst = sh.replica("/")
			dst.prefetch(ctx)
		}
		truncated, prefixes, err := src.peek(ctx)
		if err != nil {
			return nil, nil, err
		}
		flat := truncated && prefixes >= FlatAbove || q.count() >= MaxShards
		if !flat {
			src.ahead = true
			src.prefetch(ctx) // the second page, while the decision is sent
		}
		if err := send(ctx, out, Entry{Kind: KindShardMode, Shard: s.rel, Flat: flat}); err != nil {
			return nil, nil, err
		}
		if flat {
			sh.found = sh.found[:0]
			src.drop()
			dst.drop()
			src, dst = sh.source(""), sh.replica("")
		} else if dst == nil {
			dst = sh.replica("/")
		}
	}
	// Both sides' first (or next) pages at once: one wait, not two.
	src.prefetch(ctx)
	dst.prefetch(ctx)
	return src, dst, nil
}

// openDeep decides a shard below the fan-out depth: flat, unless its
// first flat page is full (it holds more than a page) and its first "/"
// page names folders to split it into, fewer than FlatAbove: a large
// folder is then listed by its subfolders in parallel (at the cost of
// its first flat page on each side and its "/" page), a small one costs
// one request a side as before. The decision is sent
// like any other, so a resumed run lists the shard the same way.
func (sh *shardLists) openDeep(ctx context.Context, q *shardQueue, out chan<- Entry) (src, dst *pager, err error) {
	src, dst = sh.source(""), sh.replica("")
	src.ahead = false // until the decision
	dst.prefetch(ctx)
	truncated, _, err := src.peek(ctx)
	if err != nil {
		return nil, nil, err
	}
	// A shard resumed after a watermark stays flat: split, its subfolders
	// would list from their starts, and one holding the watermark would
	// skip what is before it in the others.
	flat := !truncated || sh.l.FanoutDepth < 0 || q.count() >= MaxShards || sh.s.after != ""
	if !flat {
		d := sh.source("/")
		d.ahead = false
		_, prefixes, err := d.peek(ctx)
		if err != nil {
			return nil, nil, err
		}
		// Many folders (an <id>/<file> layout) stay flat, truncated page
		// or not: a shard each would cost two listings for a few keys.
		if flat = prefixes == 0 || prefixes >= FlatAbove; flat {
			d.drop()
			sh.found, sh.seen = sh.found[:0], nil
		} else {
			src.drop()
			dst.drop()
			src, dst = d, sh.replica("/")
		}
	}
	if err := send(ctx, out, Entry{Kind: KindShardMode, Shard: sh.s.rel, Flat: flat}); err != nil {
		return nil, nil, err
	}
	src.ahead = true
	src.prefetch(ctx)
	dst.prefetch(ctx)
	return src, dst, nil
}

func (sh *shardLists) source(delim string) *pager {
	l, s := sh.l, sh.s
	p := &pager{api: l.Source, bucket: l.SourceBkt, prefix: l.SourcePfx + s.rel, delim: delim,
		owner: l.ExpectedSourceOwner, pageSize: l.PageSize, ahead: true}
	if s.after != "" {
		p.startAfter = l.SourcePfx + s.after
	}
	if delim != "" {
		p.onPrefix = func(pfx string) { sh.foundPrefix(pfx[len(l.SourcePfx):]) }
	}
	sh.pagers = append(sh.pagers, p)
	return p
}

// replica is nil (a pager that lists nothing) when the lister does not
// look at the replica.
func (sh *shardLists) replica(delim string) *pager {
	l, s := sh.l, sh.s
	if l.Replica == nil {
		return nil
	}
	p := &pager{api: l.Replica, bucket: l.ReplicaBkt, prefix: l.ReplicaPfx + s.rel, delim: delim,
		owner: l.ExpectedReplicaOwner, pageSize: l.PageSize, ahead: true}
	if s.after != "" {
		p.startAfter = l.ReplicaPfx + s.after
	}
	if delim != "" && l.Extras {
		// Folders only the replica has are listed too, for their extras.
		p.onPrefix = func(pfx string) { sh.foundPrefix(pfx[len(l.ReplicaPfx):]) }
	}
	sh.pagers = append(sh.pagers, p)
	return p
}

func (sh *shardLists) close() {
	for _, p := range sh.pagers {
		p.drop()
	}
}

func send(ctx context.Context, out chan<- Entry, e Entry) error {
	select {
	case out <- e:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// peek fetches the first page (if not yet fetched) and reports whether it
// was truncated and how many folders it held; next then starts with it.
func (p *pager) peek(ctx context.Context) (truncated bool, prefixes int, err error) {
	if !p.started {
		if err := p.fetch(ctx); err != nil {
			return false, 0, err
		}
	}
	return p.token != nil, p.firstPrefixes, nil
}

// pager walks one ListObjectsV2 listing an object at a time.
type pager struct {
	api      ListAPI
	bucket   string
	prefix   string
	delim    string
	owner    string
	pageSize int32
	onPrefix func(string)
	// startAfter is the full key a resumed listing starts after.
	startAfter string

	// ahead: once a page is taken, the next one is fetched at once
	// (prefetch), so that the listing waits for S3 once per page, not
	// once per page and side.
	ahead bool

	page          []types.Object
	token         *string
	started       bool
	last          string
	seen          bool
	firstPrefixes int // folders in the first page
	// pending is the page being fetched, if any; its goroutine sends one
	// result and ends (the channel has room for it, so a pager dropped
	// with a page in flight leaves nothing blocked). cancelReq cancels it.
	pending   chan pageResult
	cancelReq context.CancelFunc
}

type pageResult struct {
	resp *s3.ListObjectsV2Output
	err  error
}

func (p *pager) next(ctx context.Context) (Object, bool, error) {
	for len(p.page) == 0 {
		if p.started && p.token == nil {
			return Object{}, false, nil
		}
		if err := p.fetch(ctx); err != nil {
			return Object{}, false, err
		}
	}
	o := p.page[0]
	p.page = p.page[1:]
	key := aws.ToString(o.Key)
	if p.seen && key <= p.last {
		return Object{}, false, &ListError{Bucket: p.bucket, Prefix: p.prefix,
			Err: fmt.Errorf("%w: %q after %q", ErrUnsorted, key, p.last)}
	}
	p.seen, p.last = true, key
	sc := string(o.StorageClass)
	if sc == "" {
		sc = "STANDARD"
	}
	return Object{
		Bucket:       p.bucket,
		Key:          key,
		Size:         aws.ToInt64(o.Size),
		ETag:         aws.ToString(o.ETag),
		LastModified: aws.ToTime(o.LastModified),
		StorageClass: sc,
	}, true, nil
}

// fetch gets the next page: the one prefetch asked for, or a new request.
func (p *pager) fetch(ctx context.Context) error {
	p.prefetch(ctx)
	if p.pending == nil { // the listing has ended
		p.page = nil
		return nil
	}
	r := <-p.pending // the request ends when the context prefetch had does
	p.pending = nil
	p.cancelReq()
	if r.err != nil {
		return &ListError{Bucket: p.bucket, Prefix: p.prefix, Err: r.err}
	}
	resp := r.resp
	p.token = nil
	if aws.ToBool(resp.IsTruncated) && resp.NextContinuationToken != nil {
		p.token = resp.NextContinuationToken
	}
	if p.onPrefix != nil {
		for _, cp := range resp.CommonPrefixes {
			if pfx := aws.ToString(cp.Prefix); strings.HasPrefix(pfx, p.prefix) && len(pfx) > len(p.prefix) {
				p.onPrefix(pfx)
			}
		}
	}
	if !p.started {
		p.firstPrefixes = len(resp.CommonPrefixes)
	}
	p.started = true
	p.page = resp.Contents
	if p.ahead {
		p.prefetch(ctx)
	}
	return nil
}

// drop cancels the page being fetched, if any, waits for its request to
// end, and lets go of the pager's pages.
func (p *pager) drop() {
	if p == nil {
		return
	}
	if p.pending != nil {
		p.cancelReq()
		<-p.pending
		p.pending = nil
	}
	p.page = nil
}

// prefetch starts fetching the next page, unless one is on its way or the
// listing has ended. A nil pager lists nothing.
func (p *pager) prefetch(ctx context.Context) {
	if p == nil || p.pending != nil || p.started && p.token == nil {
		return
	}
	// URL-encoded, so that keys with characters XML 1.0 cannot carry
	// (control characters) come through intact; decodeKeys decodes them.
	in := &s3.ListObjectsV2Input{
		Bucket:            aws.String(p.bucket),
		Prefix:            aws.String(p.prefix),
		ContinuationToken: p.token,
		EncodingType:      types.EncodingTypeUrl,
	}
	if p.delim != "" {
		in.Delimiter = aws.String(p.delim)
	}
	if p.startAfter != "" && p.token == nil {
		in.StartAfter = aws.String(p.startAfter)
	}
	if p.pageSize > 0 {
		in.MaxKeys = aws.Int32(p.pageSize)
	}
	if p.owner != "" {
		in.ExpectedBucketOwner = aws.String(p.owner)
	}
	ch := make(chan pageResult, 1)
	ctx, p.cancelReq = context.WithCancel(ctx)
	p.pending = ch
	api := p.api
	go func() {
		resp, err := api.ListObjectsV2(ctx, in)
		if err == nil {
			err = decodeKeys(resp)
		}
		ch <- pageResult{resp, err}
	}()
}

// decodeKeys decodes the keys and prefixes of a page S3 URL-encoded. It
// says so in the page; a server that ignores the request (some
// S3-compatible ones do) sends them as they are, and they are left alone.
// S3 encodes like a form (a space as "+"), so keys are decoded that way.
func decodeKeys(resp *s3.ListObjectsV2Output) error {
	if resp.EncodingType != types.EncodingTypeUrl {
		return nil
	}
	dec := func(s *string) error {
		if s == nil {
			return nil
		}
		v, err := url.QueryUnescape(*s)
		if err != nil {
			return fmt.Errorf("undecodable key %q in a URL-encoded listing: %w", *s, err)
		}
		*s = v
		return nil
	}
	for i := range resp.Contents {
		if err := dec(resp.Contents[i].Key); err != nil {
			return err
		}
	}
	for i := range resp.CommonPrefixes {
		if err := dec(resp.CommonPrefixes[i].Prefix); err != nil {
			return err
		}
	}
	return nil
}

// ListError is a listing that failed; Err is the SDK's error.
type ListError struct {
	Bucket, Prefix string
	Err            error
}

func (e *ListError) Error() string {
	return fmt.Sprintf("list s3://%s/%s: %v", e.Bucket, e.Prefix, e.Err)
}

func (e *ListError) Unwrap() error { return e.Err }

// shardQueue is the work list of shards still to list. It holds folder
// names only (never objects), so it grows with the number of folders in the
// top FanoutDepth levels.
type shardQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []shard
	busy    int
	total   int // shards ever queued
}

func (q *shardQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

func (q *shardQueue) add(s shard) {
	q.mu.Lock()
	q.pending = append(q.pending, s)
	q.total++
	q.mu.Unlock()
	q.cond.Signal()
}

// take blocks until a shard is available, or returns false when the queue is
// drained (nothing pending and nobody busy who could add more) or ctx is done.
func (q *shardQueue) take(ctx context.Context) (shard, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.pending) == 0 && q.busy > 0 && ctx.Err() == nil {
		q.cond.Wait()
	}
	if ctx.Err() != nil || len(q.pending) == 0 {
		return shard{}, false
	}
	s := q.pending[len(q.pending)-1]
	q.pending = q.pending[:len(q.pending)-1]
	q.busy++
	return s, true
}

func (q *shardQueue) done() {
	q.mu.Lock()
	q.busy--
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *shardQueue) wake() {
	q.mu.Lock()
	q.mu.Unlock() //nolint:staticcheck // pairs with Wait's lock to avoid a lost wake-up
	q.cond.Broadcast()
}

// Probe lists at most one object of the source prefix: a cheap check that
// the bucket exists and the credentials may list it.
func (l *Lister) Probe(ctx context.Context) error {
	p := &pager{api: l.Source, bucket: l.SourceBkt, prefix: l.SourcePfx, owner: l.ExpectedSourceOwner, pageSize: 1}
	_, _, err := p.next(ctx)
	return err
}
