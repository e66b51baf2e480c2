package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/inventory"
)

// versionedCopier is a fakeCopier whose replica has the versions given.
type versionedCopier struct {
	*fakeCopier
	have []types.ObjectVersion // newest first, as S3 lists them
}

func (v *versionedCopier) ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	return &s3.ListObjectVersionsOutput{Versions: v.have}, nil
}

func versioned(rel string, ids ...string) inventory.Entry {
	var vs []inventory.Object
	for i, id := range ids {
		vs = append(vs, inventory.Object{Bucket: "src", Key: "p/" + rel, VersionID: id, Size: int64(i + 1), ETag: `"` + id + `"`,
			LastModified: start.Add(-time.Duration(10-i) * time.Hour)})
	}
	n := len(vs) - 1
	return inventory.Entry{Rel: rel, Source: vs[n], Older: vs[:n], Shard: ""}
}

func copiedVersions(fc *fakeCopier) []string {
	var got []string
	for _, in := range fc.calls {
		got = append(got, aws.ToString(in.CopySource))
	}
	return got
}

func TestVersionsCopiedOldestFirstAndHeldAfterAFailure(t *testing.T) {
	fc := &fakeCopier{fn: func(_ context.Context, in *s3.CopyObjectInput) error {
		if aws.ToString(in.CopySource) == "src/p/k?versionId=v2" {
			return apiErr("AccessDenied")
		}
		return nil
	}}
	cp, err := checkpoint.Open(t.TempDir()+"/cp.db", checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	o := opts()
	o.Concurrency = 1
	o.Checkpoint, o.TrackShards, o.FreshCheckpoint = cp, true, true
	c := &collect{}
	e, _ := New(&versionedCopier{fakeCopier: fc}, nil, o, c)
	sum, err := e.Run(t.Context(), sliceSource{versioned("k", "v1", "v2", "v3")})
	if err != nil {
		t.Fatal(err)
	}
	if got := copiedVersions(fc); !slices.Equal(got, []string{"src/p/k?versionId=v1", "src/p/k?versionId=v2"}) {
		t.Errorf("copies %v: want v1 then v2, and v3 held back", got)
	}
	if sum.Copied != 1 || sum.Failed["AccessDenied"] != 1 || sum.Failed[CodeOlderVersionFailed] != 1 || sum.Listed != 3 {
		t.Errorf("summary %+v", sum)
	}
	// The key is not settled in its shard: a resumed run takes it up again.
	shards, _ := cp.Shards()
	for _, sh := range shards {
		if sh.Watermark == "k" {
			t.Errorf("shard %+v settled past a key whose versions failed", sh)
		}
	}
}

func TestVersionsTheReplicaHas(t *testing.T) {
	ver := func(id string, size int64) types.ObjectVersion {
		return types.ObjectVersion{Key: aws.String("q/k"), VersionId: aws.String("r-" + id), Size: aws.Int64(size), ETag: aws.String(`"` + id + `"`),
			LastModified: aws.Time(start)}
	}
	for _, tc := range []struct {
		name  string
		have  []types.ObjectVersion
		want  []string
		skips map[string]int64
	}{
		{"none", nil, []string{"v1", "v2", "v3"}, nil},
		{"the oldest", []types.ObjectVersion{ver("v1", 1)}, []string{"v2", "v3"}, map[string]int64{ReasonExists: 1}},
		// v2 is there without v1: v1 cannot go under it.
		{"a middle one", []types.ObjectVersion{ver("v2", 2)}, []string{"v3"}, map[string]int64{ReasonExists: 1, ReasonNewerInReplica: 1}},
		{"all", []types.ObjectVersion{ver("v3", 3), ver("v2", 2), ver("v1", 1)}, nil, map[string]int64{ReasonExists: 3}},
		// A newer object the source never had: nothing slides under it.
		{"a stranger", []types.ObjectVersion{ver("x", 9)}, nil, map[string]int64{ReasonNewerInReplica: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := &fakeCopier{}
			e, _ := New(&versionedCopier{fakeCopier: fc, have: tc.have}, nil, opts(), nil)
			sum, err := e.Run(t.Context(), sliceSource{versioned("k", "v1", "v2", "v3")})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, id := range tc.want {
				want = append(want, "src/p/k?versionId="+id)
			}
			if got := copiedVersions(fc); !slices.Equal(got, want) {
				t.Errorf("copies %v, want %v", got, want)
			}
			for k, v := range tc.skips {
				if sum.Skipped[k] != v {
					t.Errorf("skipped %v, want %v", sum.Skipped, tc.skips)
				}
			}
		})
	}
}

// TestVersionGoneDoesNotHoldNewerOnes: an old version deleted since the
// inventory is gone, not a failure, and the newer ones are copied.
func TestVersionGoneDoesNotHoldNewerOnes(t *testing.T) {
	fc := &fakeCopier{fn: func(_ context.Context, in *s3.CopyObjectInput) error {
		if aws.ToString(in.CopySource) == "src/p/k?versionId=v1" {
			return apiErr("NoSuchVersion")
		}
		return nil
	}}
	e, _ := New(&versionedCopier{fakeCopier: fc}, &fakeSource{err: apiErr("NotFound")}, opts(), nil)
	sum, err := e.Run(t.Context(), sliceSource{versioned("k", "v1", "v2", "v3")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copied != 2 || sum.Skipped[ReasonGone] != 1 || len(sum.Failed) != 0 {
		t.Errorf("summary %+v", sum)
	}
}

// A version whose row lacked its ETag is read with a HEAD first; deleted
// since the inventory listed it (404), it is gone, as a copy that finds it
// gone is, and holds no newer version back. From a list of names, the
// same 404 is a failure of the key's versions (a typo must not look like
// success).
func TestVersionGoneAtItsHead(t *testing.T) {
	for _, named := range []bool{false, true} {
		fc := &fakeCopier{}
		e, _ := New(&versionedCopier{fakeCopier: fc}, &fakeSource{err: apiErr("NotFound")}, opts(), nil)
		en := versioned("k", "v1", "v2", "v3")
		en.Older[0].ETag, en.Named = "", named
		sum, err := e.Run(t.Context(), sliceSource{en})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !named && (sum.Copied != 2 || sum.Skipped[ReasonGone] != 1 || len(sum.Failed) != 0):
			t.Errorf("listed: summary %+v", sum)
		case named && (sum.Copied != 0 || len(sum.Failed) == 0):
			t.Errorf("named: summary %+v", sum)
		}
	}
}
