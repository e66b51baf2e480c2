package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/s3test"
)

// putInventory uploads an S3 Inventory delivery of rows (current versions
// only: Bucket, Key, Size, LastModifiedDate, ETag, StorageClass) to
// invBucket, and returns its manifest.json location.
func (b *bopsEnv) putInventory(invBucket string, rows map[string]invRow) string {
	b.t.Helper()
	var data strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&data, "%q,%q,%q,%q,%q,%q\n", b.src, url.QueryEscape(r.key), fmt.Sprint(r.size),
			r.modified.UTC().Format("2006-01-02T15:04:05.000Z"), strings.Trim(r.etag, `"`), "STANDARD")
	}
	file := gz(data.String())
	dataKey := "inv/" + b.src + "/config1/data/part-0.csv.gz"
	manifest := fmt.Sprintf(`{"sourceBucket":%q,"destinationBucket":"arn:aws:s3:::%s","version":"2016-11-30","creationTimestamp":"1732406400000","fileFormat":"CSV","fileSchema":"Bucket, Key, Size, LastModifiedDate, ETag, StorageClass","files":[{"key":%q,"size":%d,"MD5checksum":%q}]}`,
		b.src, invBucket, dataKey, len(file), md5hex(file))
	prefix := "inv/" + b.src + "/config1/2026-11-23T01-00Z/"
	b.put(invBucket, obj{key: dataKey, body: string(file)}, obj{key: prefix + "manifest.json", body: manifest},
		obj{key: prefix + "manifest.checksum", body: md5hex([]byte(manifest)) + "\n"})
	return "s3://" + invBucket + "/" + prefix + "manifest.json"
}

// From an S3 Inventory: one that needs no filtering is the job's manifest
// as it is (no manifest uploaded); with a filter, backfill writes its own.
func TestBatchopsSubmitFromInventory(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(6)
	b.put(b.src, obj{key: "notes.txt", body: "notes"})
	inv := b.srv.NewBucket(t, false)
	manifest := b.putInventory(inv, b.inventoryRows())

	r := b.bo(b.submitArgs("--inventory", manifest, "--yes")...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	if !strings.Contains(r.stdout, "needed no filtering") {
		t.Errorf("submit:\n%s", r.stdout)
	}
	if m := b.describe(id).Manifest; m.Spec.Format != types.JobManifestFormatS3InventoryReportCsv20161130 || !strings.HasSuffix(aws.ToString(m.Location.ObjectArn), "/manifest.json") {
		t.Errorf("manifest %+v %+v", m.Spec, m.Location)
	}
	b.waitJob(id, 0)
	b.exact(append(keys, "notes.txt"), "")
	if got := b.listing(b.rep, "reports/manifests/"); len(got) != 0 {
		t.Errorf("a manifest was uploaded: %v", got)
	}

	// Filtered: only the .mov files, into a prefix, from backfill's manifest.
	r = b.bo(b.submitArgs("--inventory", manifest, "--include", "*.mov", "--to", "s3://"+b.dst+"/copy/", "--yes")...)
	mustCode(t, r, 0)
	id2 := jobID(t, r)
	if f := b.describe(id2).Manifest.Spec.Format; f != types.JobManifestFormatS3BatchOperationsCsv20180820 || !strings.Contains(r.stdout, "excluded 1") {
		t.Errorf("filtered: format %s\n%s", f, r.stdout)
	}
	b.waitJob(id2, 0)
	b.exact(keys, "copy/")
	if _, ok := b.listing(b.dst, "copy/")["copy/notes.txt"]; ok {
		t.Error("an excluded object was copied")
	}
}

// From a local run's failures (--checkpoint FILE --failed) and from a
// verify diff's missing-objects manifest (a Batch Operations CSV
// manifest, read as --manifest).
func TestBatchopsSubmitFromFailuresAndDiff(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(8)
	denied := map[string]bool{keys[1]: true, keys[6]: true}
	b.proxy.SetHook(func(r *s3test.Request) *s3test.Fault {
		if r.Op == "CopyObject" && denied[r.Key] {
			return &s3test.Fault{Status: 403, Code: "AccessDenied", Message: "denied"}
		}
		return nil
	})
	cp := filepath.Join(b.dir, "cp.db")
	mustCode(t, b.run(b.copyArgs("--checkpoint", cp)...), 3)
	b.proxy.SetHook(nil)

	r := b.bo(b.submitArgs("--checkpoint", cp, "--failed", "--yes")...)
	mustCode(t, r, 0)
	if !strings.Contains(r.stdout, "2 objects") {
		t.Errorf("submit from failures:\n%s", r.stdout)
	}
	b.waitJob(jobID(t, r), 0)
	b.exact(keys, "")

	// A verify diff: the objects the replica lacks, as a manifest.
	diff := filepath.Join(b.dir, "missing.csv")
	b.put(b.src, obj{key: "late/a b.mov", body: "late a", ctype: "video/quicktime"}, obj{key: "late/c+d.mov", body: "late c"})
	os.WriteFile(diff, []byte(b.src+",late/a%20b.mov\n"+b.src+",late/c%2Bd.mov\n"), 0o600)
	r = b.bo(b.submitArgs("--missing-manifest", diff, "--yes")...)
	mustCode(t, r, 0)
	b.waitJob(jobID(t, r), 0)
	b.exact([]string{"late/a b.mov", "late/c+d.mov"}, "")
	if n := len(b.jobs()); n != 2 {
		t.Errorf("%d jobs, want 2", n)
	}
}

// A replicate job: made after the source's replication configuration was
// read, from a versioned source listed and given version ids; the copies
// are REPLICAs with the source's metadata and tags.
func TestBatchopsReplicate(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	b.src, b.dst = b.srv.NewBucket(t, true), b.srv.NewBucket(t, true)
	s3c := b.srv.Client(b.emu.URL())
	_, err := s3c.PutBucketReplication(t.Context(), &s3.PutBucketReplicationInput{Bucket: aws.String(b.src),
		ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::" + b.emu.AccountID() + ":role/replication"),
			Rules: []s3types.ReplicationRule{{ID: aws.String("all"), Priority: aws.Int32(1), Status: s3types.ReplicationRuleStatusEnabled,
				Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("shows/")},
				DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
				Destination:             &s3types.Destination{Bucket: aws.String("arn:aws:s3:::" + b.dst)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	keys := b.media(5)
	r := b.bo(b.submitArgs("--operation", "replicate", "--from", "s3://"+b.src+"/shows", "--to", "s3://"+b.dst+"/shows", "--yes")...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	d := b.describe(id)
	if d.Operation.S3ReplicateObject == nil || len(d.Manifest.Spec.Fields) != 3 {
		t.Fatalf("job %+v %+v", d.Operation, d.Manifest.Spec)
	}
	b.waitJob(id, 0)
	b.exact(keys, "")
	h, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b.dst), Key: aws.String(keys[0])})
	if err != nil || h.ReplicationStatus != s3types.ReplicationStatusReplica {
		t.Errorf("replica status %q %v", h.ReplicationStatus, err)
	}

	// Outside the rule's prefix: refused before anything is made.
	r = b.bo(b.submitArgs("--operation", "replicate", "--from", "s3://"+b.src+"/other", "--to", "s3://"+b.dst+"/other")...)
	if r.code != 1 || !strings.Contains(r.stderr, "no enabled rule") || !strings.Contains(r.stderr, "nothing was submitted") {
		t.Errorf("uncovered prefix: exit %d\n%s", r.code, r.stderr)
	}
	if n := len(b.jobs()); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
}

// A generated manifest: S3 lists the source at job time with the
// generator's filters (prefix, sizes up to 5 GiB, statuses NONE/FAILED).
func TestBatchopsGenerate(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(4)
	b.put(b.src, obj{key: "other/skip.txt", body: "not under the prefix"})
	time.Sleep(10 * time.Millisecond)
	r := b.bo(b.submitArgs("--generate", "--from", "s3://"+b.src+"/shows/", "--to", "s3://"+b.dst+"/shows/")...)
	if r.code != 2 || !strings.Contains(r.stderr, "give --storage-class") {
		t.Errorf("a generated copy job without a storage class: exit %d\n%s", r.code, r.stderr)
	}
	r = b.bo(b.submitArgs("--generate", "--from", "s3://"+b.src+"/shows/", "--to", "s3://"+b.dst+"/shows/", "--storage-class", "STANDARD", "--yes")...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	d := b.describe(id)
	g, ok := d.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator)
	if !ok || d.Manifest != nil {
		t.Fatalf("job manifest %+v generator %T", d.Manifest, d.ManifestGenerator)
	}
	f := g.Value.Filter
	if aws.ToInt64(f.ObjectSizeLessThanBytes) != 5<<30+1 || len(f.ObjectReplicationStatuses) != 2 || f.KeyNameConstraint.MatchAnyPrefix[0] != "shows/" || f.CreatedBefore == nil ||
		len(f.MatchAnyStorageClass) != 5 || g.Value.ManifestOutputLocation == nil {
		t.Errorf("filter %+v", f)
	}
	b.waitJob(id, 0)
	b.exact(keys, "")
	if _, ok := b.listing(b.dst, "")["other/skip.txt"]; ok {
		t.Error("an object outside the prefix was copied")
	}
}
