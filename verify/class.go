package verify

// Class is what verify makes of one key.
type Class string

// Classes. Each object gets one, in this precedence: replication-failed,
// too-new, missing, size-differs, content-differs or replica-newer,
// metadata-differs, unverified, same. extra is a key only the replica
// has.
const (
	Same              Class = "same"
	ReplicationFailed Class = "replication-failed" // the primary says its replication FAILED
	TooNew            Class = "too-new"            // modified within --min-age: never a difference
	Missing           Class = "missing"            // in the primary, not in the replica
	SizeDiffers       Class = "size-differs"       // sizes differ, the replica's copy older
	ContentDiffers    Class = "content-differs"    // proven different (checksum or ETag), the replica's copy older
	ReplicaNewer      Class = "replica-newer"      // different, and the replica's copy newer: someone wrote it
	MetadataDiffers   Class = "metadata-differs"   // (--deep) content headers, user metadata or tags differ
	Unverified        Class = "unverified"         // nothing comparable proves it equal or different
	Extra             Class = "extra"              // only in the replica: reported, never deleted
)

// Classes lists every class, in report order.
var Classes = []Class{ReplicationFailed, Missing, SizeDiffers, ContentDiffers, ReplicaNewer, MetadataDiffers, Unverified, TooNew, Extra, Same}

// Difference reports a class that leaves the replica not whole (with
// strict, unverified too).
func (c Class) Difference(strict bool) bool {
	switch c {
	case Same, TooNew, Extra:
		return false
	case Unverified:
		return strict
	}
	return true
}

// Fixable reports a class --fix copies (replica-newer only when told to
// overwrite newer objects).
func (c Class) Fixable(overwriteNewer bool) bool {
	switch c {
	case Missing, SizeDiffers, ContentDiffers, MetadataDiffers, ReplicationFailed:
		return true
	case ReplicaNewer:
		return overwriteNewer
	}
	return false
}

// How says what decided a comparison.
type How string

// Ways a comparison is decided.
const (
	ByChecksum How = "checksum" // equal algorithms' comparable checksums
	ByETag     How = "etag"     // comparable ETags
	BySize     How = "size"     // sizes differ
	ByNothing  How = "none"     // not compared (missing, extra, too new) or undecided
)
