package verify

import (
	"strings"
	"time"

	"github.com/backfill-dev/backfill/inventory"
)

// Obj is one object as verify sees it: what a listing or an inventory
// row says, and with --deep what a HEAD adds.
type Obj struct {
	Key          string
	VersionID    string
	Size         int64
	ETag         string // quoted, as S3 returns it
	LastModified time.Time
	StorageClass string
	// ReplicationStatus is PENDING, COMPLETED, FAILED or REPLICA, "" for
	// none or unknown (a listing cannot see it).
	ReplicationStatus string
	// Encryption is SSE-S3, SSE-KMS, DSSE-KMS, SSE-C or NOT-SSE; "" when
	// the input cannot see it (a listing).
	Encryption string

	// Deep: a HEAD filled the fields below.
	Deep bool
	// ChecksumAlgorithm (CRC64NVME, CRC32, ...), ChecksumType
	// (FULL_OBJECT or COMPOSITE) and Checksum (base64) as HeadObject with
	// ChecksumMode=ENABLED gives them; "" when the object has none.
	ChecksumAlgorithm, ChecksumType, Checksum string
	// Headers are the content headers and user metadata (x-amz-meta-*).
	Headers map[string]string
	// TagCount is x-amz-tagging-count.
	TagCount int32
	// Tags is the tag set, read (Tags) only when both sides of a pair
	// have the same non-zero TagCount; nil when not read.
	Tags map[string]string
	// PartSize is the length of a multipart object's first part (a HEAD
	// with partNumber=1), 0 when not read: equal part counts and sizes
	// make two multipart ETags comparable.
	PartSize int64
}

// FromEntry is an object of a listing.
func FromEntry(o inventory.Object) *Obj {
	return &Obj{Key: o.Key, VersionID: o.VersionID, Size: o.Size, ETag: o.ETag, LastModified: o.LastModified, StorageClass: o.StorageClass}
}

// FromRow is an object of an inventory row.
func FromRow(r inventory.InventoryRow) *Obj {
	return &Obj{Key: r.Key, VersionID: r.VersionID, Size: r.Size, ETag: r.ETag, LastModified: r.LastModified,
		StorageClass: r.StorageClass, ReplicationStatus: strings.ToUpper(r.ReplicationStatus), Encryption: strings.ToUpper(r.EncryptionStatus)}
}

// parts is the part count of a multipart ETag ("...-N"), 0 for a
// single-part one.
func parts(etag string) int {
	e := strings.Trim(etag, `"`)
	i := strings.LastIndexByte(e, '-')
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range e[i+1:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// md5ETag reports whether an object's ETag is an MD5 of its data (or of
// its parts' MD5s): plaintext or SSE-S3. Unknown encryption (a listing)
// is taken as such, and the report says so.
func md5ETag(o *Obj) bool {
	switch o.Encryption {
	case "", "SSE-S3", "NOT-SSE", "AES256":
		return true
	}
	return false
}
