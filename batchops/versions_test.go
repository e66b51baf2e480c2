package batchops

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/run"
)

// A replicate job's manifest from a listing of a versioned bucket gets
// its version ids from ListObjectVersions (1,000 versions a request),
// never from a HEAD per object: 2,500 objects cost 5 requests (pages of
// 1,000 versions, each object with an older version), not 2,500.
func TestVersionsFromAListing(t *testing.T) {
	f := newFakeS3()
	var objs []inventory.Object
	for i := range 2500 {
		k := fmt.Sprintf("shows/%04d take+%d.mov", 2499-i, i) // not in key order
		objs = append(objs, inventory.Object{Bucket: "src", Key: k, Size: 1})
		if i != 7 { // deleted since it was listed
			f.objects["src/"+k], f.versions["src/"+k] = nil, fmt.Sprintf("v%d", i)
		}
	}
	f.objects["src/shows/zz-not-listed.mov"] = nil
	f.objects["src/other/x"] = nil
	c := collect(t, objs...)
	m, err := finalize(context.Background(), c.f.Name(), &filler{head: f, list: f, bucket: "src", prefix: "shows/", concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(m.path)
	calls := f.callList()
	if strings.Contains(calls, "HeadObject") || strings.Count(calls, "ListObjectVersions") != 5 || m.lookups != 5 {
		t.Errorf("requests: %d HEAD, %d ListObjectVersions (%d counted)", strings.Count(calls, "HeadObject"), strings.Count(calls, "ListObjectVersions"), m.lookups)
	}
	body, _ := os.ReadFile(m.path)
	if m.rows != 2499 || m.gone != 1 || !m.versions || !strings.Contains(string(body), "src,shows/2499%20take%2B0.mov,v0\n") || strings.Contains(string(body), "zz-not-listed") {
		t.Errorf("rows %d gone %d:\n%.300s", m.rows, m.gone, body)
	}
	if err := checkManifest(m, "src", "shows/", 2499); err != nil {
		t.Error(err)
	}
}

// The plan counts the requests that find the version ids in its estimate:
// LIST pages for a listing, one HEAD each otherwise.
func TestPlanCountsVersionLookups(t *testing.T) {
	s := validSubmit(t)
	s.Prices = cost.Default()
	b := &submit{spec: s, sides: &run.Sides{}, out: newPrinter(&bytes.Buffer{}, false)}
	c := collect(t, inventory.Object{Bucket: "src", Key: "a", Size: 1})
	got := &run.Collected{Summary: &engine.Summary{}}
	without := b.planOf(c, got, false)
	c.rows = 2_000_001
	p := b.planOf(c, got, true)
	if p.Lookups != 2001 || !strings.Contains(p.LookupNote, "ListObjectVersions") || p.Estimate.Requests <= without.Estimate.Requests {
		t.Errorf("listing: %d lookups, %q, requests $%f", p.Lookups, p.LookupNote, p.Estimate.Requests)
	}
	s.Run.Source.Manifest = "m.csv"
	p = b.planOf(c, got, true)
	if p.Lookups != 2_000_001 || !strings.Contains(p.LookupNote, "one HEAD per object") {
		t.Errorf("manifest: %d lookups, %q", p.Lookups, p.LookupNote)
	}
	if !strings.Contains(p.PriceList, "$0.25 per job") || !strings.Contains(p.PriceList, "$1 per million objects") {
		t.Errorf("prices not shown: %s", p.PriceList)
	}
}
