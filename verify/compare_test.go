package verify

import (
	"reflect"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func obj(size int64, etag string, age time.Duration) *Obj {
	return &Obj{Key: "k", Size: size, ETag: etag, LastModified: now.Add(-age)}
}

// sse3 marks an object SSE-S3 (an inventory's or a HEAD's word): its ETag
// is an MD5.
func sse3(o *Obj) *Obj { o.Encryption = "SSE-S3"; return o }

func deep(o *Obj, alg, typ, sum string, headers map[string]string) *Obj {
	o.Deep, o.ChecksumAlgorithm, o.ChecksumType, o.Checksum, o.Headers = true, alg, typ, sum, headers
	return o
}

func TestCompare(t *testing.T) {
	cutoff := now.Add(-time.Hour)
	h := map[string]string{"Content-Type": "video/mp4"}
	failed := obj(10, `"a"`, 3*time.Hour)
	failed.ReplicationStatus = "FAILED"
	kms := obj(10, `"k1"`, 3*time.Hour)
	kms.Encryption = "SSE-KMS"
	completed, replica := obj(10, `"a"`, 3*time.Hour), obj(10, `"a"`, 3*time.Hour)
	completed.ReplicationStatus, replica.ReplicationStatus = "COMPLETED", "REPLICA"
	for _, tc := range []struct {
		name     string
		src, dst *Obj
		class    Class
		how      How
	}{
		{"same etag", obj(10, `"a"`, 3*time.Hour), obj(10, `"a"`, time.Hour), Same, ByETag},
		{"COMPLETED vs REPLICA is no difference", completed, replica, Same, ByETag},
		{"backfilled copy newer, same content", obj(10, `"a"`, 3*time.Hour), obj(10, `"a"`, time.Minute), Same, ByETag},
		{"extra", nil, obj(1, `"x"`, 0), Extra, ByNothing},
		{"missing", obj(10, `"a"`, 3*time.Hour), nil, Missing, ByNothing},
		{"replication failed beats missing", failed, nil, ReplicationFailed, ByNothing},
		{"replication failed beats a different copy", sse3(failed), sse3(obj(10, `"b"`, time.Hour)), ReplicationFailed, ByNothing},
		{"replication failed, a later copy nothing can compare", kms, obj(10, `"k3"`, time.Hour), Unverified, ByNothing},
		{"replication failed, but repaired", failed, obj(10, `"a"`, time.Minute), Same, ByETag},
		{"too new beats missing", obj(10, `"a"`, time.Minute), nil, TooNew, ByNothing},
		{"size differs, replica older", obj(11, `"a"`, 2*time.Hour), obj(10, `"b"`, 3*time.Hour), SizeDiffers, BySize},
		{"size differs, replica newer", obj(11, `"a"`, 3*time.Hour), obj(10, `"b"`, 2*time.Hour), ReplicaNewer, BySize},
		{"content differs by etag, replica older", sse3(obj(10, `"a"`, 2*time.Hour)), sse3(obj(10, `"b"`, 3*time.Hour)), ContentDiffers, ByETag},
		{"content differs, replica newer", sse3(obj(10, `"a"`, 3*time.Hour)), sse3(obj(10, `"b"`, 2*time.Hour)), ReplicaNewer, ByETag},
		{"a listing's differing etags prove nothing (encryption unknown)", obj(10, `"a"`, 2*time.Hour), obj(10, `"b"`, 3*time.Hour), Unverified, ByNothing},
		{"gone from both sides", nil, nil, Same, ByNothing},
		{"multipart source, single-part copy", obj(10, `"a-3"`, 3*time.Hour), obj(10, `"b"`, 2*time.Hour), Unverified, ByNothing},
		{"multipart etags of one count differ", obj(10, `"a-3"`, 3*time.Hour), obj(10, `"b-3"`, 2*time.Hour), Unverified, ByNothing},
		{"multipart etags equal", obj(10, `"a-3"`, 3*time.Hour), obj(10, `"a-3"`, 2*time.Hour), Same, ByETag},
		{"kms etags are not md5s", kms, obj(10, `"k2"`, 4*time.Hour), Unverified, ByNothing},
		{"full-object checksums decide a multipart pair", deep(obj(10, `"a-3"`, 3*time.Hour), "CRC64NVME", "FULL_OBJECT", "x", h),
			deep(obj(10, `"b"`, 2*time.Hour), "CRC64NVME", "FULL_OBJECT", "x", h), Same, ByChecksum},
		{"full-object checksums prove a difference", deep(obj(10, `"a-3"`, 2*time.Hour), "CRC64NVME", "FULL_OBJECT", "x", h),
			deep(obj(10, `"b"`, 3*time.Hour), "CRC64NVME", "FULL_OBJECT", "y", h), ContentDiffers, ByChecksum},
		{"composite vs full-object cannot be compared", deep(obj(10, `"a-3"`, 3*time.Hour), "CRC32", "COMPOSITE", "x", h),
			deep(obj(10, `"b"`, 2*time.Hour), "CRC32", "FULL_OBJECT", "y", h), Unverified, ByNothing},
		{"metadata differs", deep(obj(10, `"a"`, 3*time.Hour), "", "", "", h),
			deep(obj(10, `"a"`, 2*time.Hour), "", "", "", map[string]string{"Content-Type": "binary/octet-stream"}), MetadataDiffers, ByETag},
		{"metadata differs beats unverified", deep(obj(10, `"a-2"`, 3*time.Hour), "", "", "", h),
			deep(obj(10, `"b"`, 2*time.Hour), "", "", "", nil), MetadataDiffers, ByNothing},
	} {
		v := Compare(Pair{Rel: "k", Src: tc.src, Dst: tc.dst}, cutoff)
		if v.Class != tc.class || v.How != tc.how {
			t.Errorf("%s: %s by %s (%s), want %s by %s", tc.name, v.Class, v.How, v.Reason, tc.class, tc.how)
		}
	}
}

func TestClassRules(t *testing.T) {
	for _, c := range Classes {
		if c.Difference(false) != (c != Same && c != TooNew && c != Extra && c != Unverified) {
			t.Errorf("%s: difference %v", c, c.Difference(false))
		}
	}
	if !Unverified.Difference(true) || ReplicaNewer.Fixable(false) || !ReplicaNewer.Fixable(true) || Extra.Fixable(true) {
		t.Error("strict, fixable")
	}
}

func TestObjCodec(t *testing.T) {
	o := &Obj{Key: "a/ü b", VersionID: "v", Size: 1 << 40, ETag: `"e-2"`, LastModified: now, StorageClass: "GLACIER", ReplicationStatus: "FAILED", Encryption: "SSE-KMS"}
	got, err := objCodec{}.Decode(objCodec{}.Append(nil, o))
	if err != nil || !reflect.DeepEqual(got, o) {
		t.Errorf("%+v %v", got, err)
	}
	if _, err := (objCodec{}).Decode([]byte{5, 'a'}); err == nil {
		t.Error("a cut record decoded")
	}
}

// Only a listed pair of one size with other single-part ETags, a side's
// encryption unknown, needs a HEAD to be decided.
func TestNeedsEncryption(t *testing.T) {
	kms := obj(10, `"k1"`, 3*time.Hour)
	kms.Encryption = "SSE-KMS"
	read := deep(obj(10, `"b"`, time.Hour), "", "", "", nil)
	for _, tc := range []struct {
		name     string
		src, dst *Obj
		want     bool
	}{
		{"listed, other etags", obj(10, `"a"`, 3*time.Hour), obj(10, `"b"`, time.Hour), true},
		{"one side known SSE-S3", sse3(obj(10, `"a"`, 3*time.Hour)), obj(10, `"b"`, time.Hour), true},
		{"both SSE-S3: the etags decide", sse3(obj(10, `"a"`, 3*time.Hour)), sse3(obj(10, `"b"`, time.Hour)), false},
		{"equal etags", obj(10, `"a"`, 3*time.Hour), obj(10, `"a"`, time.Hour), false},
		{"other sizes", obj(10, `"a"`, 3*time.Hour), obj(11, `"b"`, time.Hour), false},
		{"multipart", obj(10, `"a-2"`, 3*time.Hour), obj(10, `"b"`, time.Hour), false},
		{"known KMS", kms, obj(10, `"b"`, time.Hour), false},
		{"already read", obj(10, `"a"`, 3*time.Hour), read, false},
		{"missing", obj(10, `"a"`, 3*time.Hour), nil, false},
	} {
		if got := NeedsEncryption(Pair{Rel: "k", Src: tc.src, Dst: tc.dst}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
