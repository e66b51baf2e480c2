package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/inventory"
)

func openCP(t *testing.T) *checkpoint.Store {
	t.Helper()
	s, err := checkpoint.Open(filepath.Join(t.TempDir(), "cp.db"), checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// shardSource sends entries of one shard "" with its events, as a lister does.
type shardSource []inventory.Entry

func (s shardSource) Stream(ctx context.Context, out chan<- inventory.Entry) error {
	all := append([]inventory.Entry{{Kind: inventory.KindShardFound}}, s...)
	all = append(all, inventory.Entry{Kind: inventory.KindShardDone})
	return sliceSource(all).Stream(ctx, out)
}

func TestCheckpointRecordsAndSkipsDone(t *testing.T) {
	cp := openCP(t)
	fc := &fakeCopier{fn: func(_ context.Context, in *s3.CopyObjectInput) error {
		if aws.ToString(in.Key) == "q/bad" {
			return apiErr("AccessDenied")
		}
		return nil
	}}
	o := opts()
	o.Checkpoint, o.TrackShards = cp, true
	src := shardSource{entry("a", 1, `"1"`, time.Hour), entry("b", 2, `"2"`, time.Hour), entry("bad", 3, `"3"`, time.Hour),
		withReplica(entry("c", 4, `"4"`, time.Hour), 4, `"4"`, time.Minute)}
	e, _ := New(fc, nil, o, nil)
	sum, err := e.Run(t.Context(), src)
	if err != nil || sum.Copied != 2 || sum.Failed["AccessDenied"] != 1 {
		t.Fatalf("first run: %+v %v", sum, err)
	}
	in, _ := cp.Info()
	if in.Done != 3 || in.Failed != 1 { // a, b copied; c exists
		t.Errorf("info %+v", in)
	}
	shards, _ := cp.Shards()
	if len(shards) != 1 || !shards[0].Complete || shards[0].Watermark != "c" {
		t.Errorf("shards %+v", shards)
	}
	// Second run: done objects are skipped without a request; the failed one
	// is tried again and its attempts counted; a changed source is copied again.
	src[1].Source.ETag = `"2-changed"`
	fc2 := &fakeCopier{fn: fc.fn}
	e, _ = New(fc2, nil, o, nil)
	sum, err = e.Run(t.Context(), src)
	if err != nil {
		t.Fatal(err)
	}
	if got := fc2.keys(); len(got) != 2 || got[0] != "q/b" || got[1] != "q/bad" {
		t.Errorf("second run copied %v, want [q/b q/bad]", got)
	}
	if sum.Skipped[ReasonDone] != 2 {
		t.Errorf("second run skipped %v", sum.Skipped)
	}
	if r, _, _ := cp.Lookup("bad", ""); r.State != checkpoint.Failed || r.Attempts != 2 || r.Code != "AccessDenied" {
		t.Errorf("failed record %+v", r)
	}
	if r, _, _ := cp.Lookup("b", ""); r.ETag != `"2-changed"` {
		t.Errorf("re-copied record %+v", r)
	}
}

func TestUnknownReplicaIsHeadedFirst(t *testing.T) {
	src := inventory.Object{Bucket: "src", Size: 5, ETag: `"e"`, LastModified: start.Add(-2 * time.Hour)}
	fc := &fakeCopier{head: func(in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
		switch aws.ToString(in.Key) {
		case "q/same":
			return &s3.HeadObjectOutput{ContentLength: aws.Int64(5), ETag: aws.String(`"e"`), LastModified: aws.Time(start)}, nil
		case "q/newer":
			return &s3.HeadObjectOutput{ContentLength: aws.Int64(9), ETag: aws.String(`"n"`), LastModified: aws.Time(start)}, nil
		case "q/denied":
			return nil, apiErr("AccessDenied")
		}
		return nil, apiErr("NotFound")
	}}
	var entries sliceSource
	for _, k := range []string{"same", "newer", "absent", "denied"} {
		s := src
		s.Key = "p/" + k
		entries = append(entries, inventory.Entry{Rel: k, Source: s})
	}
	c := &collect{}
	e, _ := New(fc, nil, opts(), c)
	sum, err := e.Run(t.Context(), entries)
	if err != nil {
		t.Fatal(err)
	}
	if got := fc.keys(); len(got) != 1 || got[0] != "q/absent" {
		t.Errorf("copied %v", got)
	}
	if sum.Skipped[ReasonExists] != 1 || sum.Skipped[ReasonNewerInReplica] != 1 || sum.Failed["AccessDenied"] != 1 {
		t.Errorf("summary %+v", sum)
	}
}

type failingCP struct{ *checkpoint.Store }

func (failingCP) Apply(*checkpoint.Batch) error { return errors.New("disk full") }

func TestCheckpointWriteFailureStopsRun(t *testing.T) {
	o := opts()
	o.Checkpoint = failingCP{openCP(t)}
	var src sliceSource
	for i := range 5000 {
		src = append(src, entry(string(rune('a'+i%26))+string(rune(i)), 1, `"x"`, time.Hour))
	}
	e, _ := New(&fakeCopier{}, nil, o, nil)
	_, err := e.Run(t.Context(), src)
	var re *RunError
	if !errors.As(err, &re) || re.What != "write the checkpoint" {
		t.Fatalf("err = %v", err)
	}
}

// TestStopHoldsTheWatermark: entries listed but never copied because of a
// Stop keep the shard's watermark below them, and everything at or below
// the watermark is recorded done.
func TestStopHoldsTheWatermark(t *testing.T) {
	cp := openCP(t)
	o := opts()
	o.Checkpoint, o.TrackShards, o.Concurrency = cp, true, 3
	var once sync.Once
	var e *Engine
	fc := &fakeCopier{fn: func(ctx context.Context, in *s3.CopyObjectInput) error {
		if aws.ToString(in.Key) == "q/k0040" {
			once.Do(func() { go e.Stop() })
		}
		time.Sleep(time.Millisecond)
		return nil
	}}
	var src shardSource
	for i := range 500 {
		src = append(src, entry(fmt.Sprintf("k%04d", i), 1, `"x"`, time.Hour))
	}
	e, _ = New(fc, nil, o, nil)
	sum, err := e.Run(t.Context(), src)
	if err != nil || !sum.Interrupted {
		t.Fatalf("run: %+v %v", sum, err)
	}
	shards, _ := cp.Shards()
	if len(shards) != 1 || shards[0].Complete {
		t.Fatalf("shards %+v", shards)
	}
	wm := shards[0].Watermark
	for i := range 500 {
		k := fmt.Sprintf("k%04d", i)
		r, ok, _ := cp.Lookup(k, "")
		if k <= wm && (!ok || r.State != checkpoint.Done) {
			t.Errorf("%s is at or below the watermark %s but not done", k, wm)
		}
	}
	if n := len(fc.calls); n >= 500 || wm >= "k0499" {
		t.Errorf("%d copies, watermark %s: the stop did not stop", n, wm)
	}
}
