package engine

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/inventory"
)

// headBySource answers the source's HEADs by key: an object, or an error.
type headBySource struct {
	fakeSource
	objs  map[string]*s3.HeadObjectOutput
	errs  map[string]error
	heads []string
}

func (h *headBySource) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	k := aws.ToString(in.Key)
	h.heads = append(h.heads, k)
	if err := h.errs[k]; err != nil {
		return nil, err
	}
	if o := h.objs[k]; o != nil {
		return o, nil
	}
	return nil, apiErr("NotFound")
}

// Every copy carries the source's ETag as its condition and passes the
// age check: an entry without them (a manifest row whose HEAD failed, an
// inventory row without ETag or date) gets them from a HEAD of the source,
// or is a failure with the HEAD's code, and is never copied unconditionally.
func TestIncompleteSourcesAreHeadedFirst(t *testing.T) {
	o := opts()
	o.MinAge = time.Hour
	bare := func(rel string) inventory.Entry {
		return inventory.Entry{Rel: rel, Source: inventory.Object{Bucket: "src", Key: "p/" + rel}}
	}
	named := func(e inventory.Entry, err error) inventory.Entry { e.Named, e.SourceErr = true, err; return e }
	listed := func(e inventory.Entry, err error) inventory.Entry { e.SourceErr = err; return e }
	noDate := entry("nodate.exr", 10, `"list"`, 0)
	noDate.Source.LastModified = time.Time{}
	src := sliceSource{
		bare("old.exr"),   // HEAD: old enough, copied with the HEAD's ETag
		bare("fresh.exr"), // HEAD: modified 10 minutes ago: too new
		noDate,            // ETag but no date: HEAD for the date
		bare("denied.exr"),
		named(bare("typo.exr"), apiErr("NotFound")),       // a manifest named a key the source lacks
		listed(bare("deleted.exr"), apiErr("NotFound")),   // --retry-failed: listed once, deleted since
		named(bare("forbidden.exr"), apiErr("Forbidden")), // the manifest source's HEAD was refused
	}
	head := func(etag string, age time.Duration) *s3.HeadObjectOutput {
		return &s3.HeadObjectOutput{ETag: aws.String(etag), ContentLength: aws.Int64(10), LastModified: aws.Time(start.Add(-age))}
	}
	hs := &headBySource{
		objs: map[string]*s3.HeadObjectOutput{"p/old.exr": head(`"h1"`, 3*time.Hour), "p/fresh.exr": head(`"h2"`, 10*time.Minute),
			"p/nodate.exr": head(`"list"`, 2*time.Hour)},
		errs: map[string]error{"p/denied.exr": apiErr("AccessDenied")},
	}
	fc := &fakeCopier{}
	c := &collect{}
	e, err := New(fc, hs, o, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(t.Context(), src); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"old.exr": "copied", "fresh.exr": ReasonTooNew, "nodate.exr": "copied", "denied.exr": "failed AccessDenied",
		"typo.exr": "failed NoSuchKey", "deleted.exr": ReasonGone, "forbidden.exr": "failed Forbidden"}
	for k, w := range want {
		r := c.byKey()[k]
		got := "none"
		switch {
		case r == nil:
		case r.Outcome == Copied:
			got = "copied"
		case r.Outcome == Failed:
			got = "failed " + r.Code
		default:
			got = r.Reason
		}
		if got != w {
			t.Errorf("%s: %s, want %s", k, got, w)
		}
	}
	for _, in := range fc.calls {
		if in.CopySourceIfMatch == nil || *in.CopySourceIfMatch == "" {
			t.Errorf("CopyObject of %s sent without its source ETag", aws.ToString(in.Key))
		}
	}
	if ks := fc.keys(); len(ks) != 2 || ks[0] != "q/nodate.exr" || ks[1] != "q/old.exr" {
		t.Errorf("copies %v", ks)
	}
	for _, in := range fc.calls {
		if aws.ToString(in.Key) == "q/old.exr" && aws.ToString(in.CopySourceIfMatch) != `"h1"` {
			t.Errorf("old.exr copied if-match %s, want the HEAD's", aws.ToString(in.CopySourceIfMatch))
		}
	}
	for _, k := range hs.heads {
		if k == "p/typo.exr" || k == "p/deleted.exr" || k == "p/forbidden.exr" {
			t.Errorf("%s was looked at again: its source already had", k)
		}
	}
}

// A verify's repair copies only while the replica is what the verify saw:
// nothing, or the same object; one written since is left alone.
func TestRepairOnlyOverWhatWasCompared(t *testing.T) {
	o := opts()
	// The listing that compared had milliseconds; the HEAD before the
	// repair has whole seconds. The same object all the same.
	was := &inventory.Object{Key: "q/k", Size: 5, ETag: `"old"`, LastModified: start.Add(-2*time.Hour + 250*time.Millisecond)}
	repair := func(rel string, w *inventory.Object) inventory.Entry {
		e := entry(rel, 10, `"src"`, time.Hour)
		e.ReplicaKnown, e.Repair, e.ReplicaWas = false, true, w
		return e
	}
	replica := map[string]*s3.HeadObjectOutput{
		"q/same":    {ContentLength: aws.Int64(5), ETag: aws.String(`"old"`), LastModified: aws.Time(start.Add(-2 * time.Hour))},
		"q/written": {ContentLength: aws.Int64(7), ETag: aws.String(`"someone"`), LastModified: aws.Time(start.Add(-time.Minute))},
		"q/arrived": {ContentLength: aws.Int64(10), ETag: aws.String(`"src"`), LastModified: aws.Time(start.Add(-time.Minute))},
	}
	fc := &fakeCopier{head: func(in *s3.HeadObjectInput) (*s3.HeadObjectOutput, error) {
		if h := replica[aws.ToString(in.Key)]; h != nil {
			return h, nil
		}
		return nil, apiErr("NotFound")
	}}
	c := &collect{}
	e, _ := New(fc, nil, o, c)
	src := sliceSource{repair("same", was), repair("written", was), repair("missing", nil), repair("arrived", nil)}
	if _, err := e.Run(t.Context(), src); err != nil {
		t.Fatal(err)
	}
	got := c.byKey()
	if got["same"].Outcome != Copied || got["missing"].Outcome != Copied ||
		got["written"].Reason != ReasonReplicaChanged || got["arrived"].Reason != ReasonReplicaChanged {
		t.Errorf("same %v, missing %v, written %v %q, arrived %v %q", got["same"].Outcome, got["missing"].Outcome,
			got["written"].Outcome, got["written"].Reason, got["arrived"].Outcome, got["arrived"].Reason)
	}
}
