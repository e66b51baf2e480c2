package inventory

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/internal/s3url"
)

// writeDelivery writes a local CSV delivery of bucket "media" with the
// given data files (rows as text) and returns its manifest.json.
func writeDelivery(t *testing.T, files []string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.MkdirAll(filepath.Join(dir, "2026-11-23T01-00Z"), 0o755)
	var list []string
	for i, f := range files {
		b := gzipped(f).(interface{ Bytes() []byte }).Bytes()
		name := fmt.Sprintf("part-%d.csv.gz", i)
		if err := os.WriteFile(filepath.Join(dir, "data", name), b, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(b)
		list = append(list, fmt.Sprintf(`{"key":"inv/media/c/data/%s","size":%d,"MD5checksum":%q}`, name, len(b), hex.EncodeToString(sum[:])))
	}
	js := fmt.Sprintf(`{"sourceBucket":"media","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate, ETag, StorageClass","files":[%s]}`, strings.Join(list, ","))
	m := filepath.Join(dir, "2026-11-23T01-00Z", "manifest.json")
	os.WriteFile(m, []byte(js), 0o600)
	sum := md5.Sum([]byte(js))
	os.WriteFile(filepath.Join(dir, "2026-11-23T01-00Z", "manifest.checksum"), []byte(hex.EncodeToString(sum[:])), 0o600)
	return m
}

type joinState struct{ shards []ShardState }

func (s joinState) Shards() ([]ShardState, error)                              { return s.shards, nil }
func (joinState) Done(string, string) (Object, bool, error)                    { return Object{}, false, nil }
func (joinState) EachFailed(func(key, versionID string, o Object) error) error { return nil }
func (joinState) EachArchived(func(string, string, Object) error) error        { return nil }

// TestInventoryJoinWithTheReplicaListing: rows in no order, spread over
// two files, are joined with a listing of the replica through sorts that
// spill to disk; each entry knows what the replica holds at its key, the
// files keep their order and shard events, a key listed twice is sent
// twice, and a resumed file passes over the rows up to its watermark.
func TestInventoryJoinWithTheReplicaListing(t *testing.T) {
	old := sortMemory
	sortMemory = 4 << 10 // many runs
	defer func() { sortMemory = old }()
	const n = 3000
	keys := rand.New(rand.NewPCG(1, 2)).Perm(n)
	var files [2]strings.Builder
	var order [2][]string // each file's relative keys, in its order
	for i, k := range keys {
		rel := fmt.Sprintf("k%05d.exr", k)
		f := i % 2
		fmt.Fprintf(&files[f], "\"media\",\"src%%2F%s\",\"%d\",\"2026-11-01T00:00:00.000Z\",\"e%d\",\"STANDARD\"\n", rel, k, k)
		order[f] = append(order[f], rel)
	}
	files[1].WriteString("\"media\",\"src%2Fk00007.exr\",\"7\",\"2026-11-01T00:00:00.000Z\",\"e7\",\"STANDARD\"\n") // twice
	order[1] = append(order[1], "k00007.exr")
	var replica []string
	for k := 0; k < n; k += 3 {
		replica = append(replica, fmt.Sprintf("dst/k%05d.exr", k))
	}
	replica = append(replica, "dst/only-here.exr", "elsewhere/k00001.exr")
	manifest := writeDelivery(t, []string{files[0].String(), files[1].String()})
	from, _ := s3url.Parse("s3://media/src")
	to, _ := s3url.Parse("s3://replica/dst")

	for _, c := range []struct {
		name  string
		state State
		skip  int // rows of file 0 passed over
	}{
		{"fresh", nil, 0},
		{"resumed", joinState{[]ShardState{{Prefix: "file:inv/media/c/data/part-0.csv.gz", Watermark: order[0][999]}}}, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := Open(t.Context(), Spec{From: from, To: to, Inventory: manifest}, Deps{Replica: newMem(replica...), State: c.state})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if !strings.HasPrefix(src.ReplicaLookup, "listed under s3://replica/dst/") {
				t.Errorf("lookup %q", src.ReplicaLookup)
			}
			got := streamAll(t, src)
			want := []string{}
			for f := range 2 {
				if f > 0 || c.state == nil {
					want = append(want, "found "+fileShard(fmt.Sprintf("inv/media/c/data/part-%d.csv.gz", f)))
				}
				start := 0
				if f == 0 {
					start = c.skip
				}
				for _, rel := range order[f][start:] {
					var k int
					fmt.Sscanf(rel, "k%05d.exr", &k)
					if k%3 == 0 {
						want = append(want, fmt.Sprintf("%s replica %d", rel, 1+k/3))
					} else {
						want = append(want, rel+" none")
					}
				}
				want = append(want, "done "+fileShard(fmt.Sprintf("inv/media/c/data/part-%d.csv.gz", f)))
			}
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("event %d: %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

func streamAll(t *testing.T, src *Source) []string {
	t.Helper()
	out := make(chan Entry, 64)
	errc := make(chan error, 1)
	go func() { errc <- src.Stream(t.Context(), out); close(out) }()
	var got []string
	for e := range out {
		switch {
		case e.Kind == KindShardFound:
			got = append(got, "found "+e.Shard)
		case e.Kind == KindShardDone:
			got = append(got, "done "+e.Shard)
		case !e.ReplicaKnown:
			got = append(got, e.Rel+" not looked at")
		case e.Replica == nil:
			got = append(got, e.Rel+" none")
		case e.Replica.Key != "dst/"+e.Rel || e.Replica.Bucket != "replica":
			got = append(got, e.Rel+" wrong replica "+e.Replica.Bucket+"/"+e.Replica.Key)
		default:
			got = append(got, fmt.Sprintf("%s replica %d", e.Rel, e.Replica.Size))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return got
}
