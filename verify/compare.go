package verify

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// Pair is one key as both sides hold it; Src or Dst is nil when that side
// does not have it.
type Pair struct {
	Rel      string // the key relative to each side's prefix
	Src, Dst *Obj
}

// Verdict is the class of a pair, how it was decided and why.
type Verdict struct {
	Class  Class
	How    How
	Reason string
}

// Compare classifies a pair (S3-FACTS section 9 has the rules and their
// sources): sizes first; then, where both sides carry a FULL_OBJECT
// checksum of the same algorithm (a HEAD, --deep), the checksums;
// otherwise the ETags when they are comparable (both MD5s: plaintext or
// SSE-S3; both single-part, or the same part count and equal); otherwise
// unverified. A replica's REPLICA status against the primary's COMPLETED,
// a backfilled copy's newer date and other version id are never a
// difference. cutoff is the run's start minus --min-age: a primary object
// modified after it is too new to be expected in the replica.
func Compare(p Pair, cutoff time.Time) Verdict {
	s, d := p.Src, p.Dst
	switch {
	case s == nil && d == nil:
		return Verdict{Class: Same, How: ByNothing, Reason: "deleted on both sides since it was listed"}
	case s == nil:
		return Verdict{Class: Extra, How: ByNothing, Reason: "only in the replica"}
	case s.ReplicationStatus == "FAILED":
		return failed(s, d)
	case s.LastModified.After(cutoff):
		return Verdict{Class: TooNew, How: ByNothing, Reason: "modified within --min-age: replication is given that long"}
	case d == nil:
		return Verdict{Class: Missing, How: ByNothing, Reason: "not in the replica"}
	case s.Size != d.Size:
		return differs(p, SizeDiffers, BySize, fmt.Sprintf("sizes %d and %d", s.Size, d.Size))
	}
	same, how, why := content(s, d)
	if how != ByNothing && !same {
		return differs(p, ContentDiffers, how, why)
	}
	if s.Deep && d.Deep {
		if field := metaDiff(s, d); field != "" {
			return Verdict{Class: MetadataDiffers, How: how, Reason: field + " differs"}
		}
	}
	if how == ByNothing {
		return Verdict{Class: Unverified, How: ByNothing, Reason: why}
	}
	return Verdict{Class: Same, How: how}
}

// failed decides an object the primary says FAILED to replicate. FAILED
// stays on the primary after a repair (S3 updates it only by a new
// replication): a replica holding an equal copy is whole; one holding a
// copy of the same size written after the primary's, that nothing can
// prove equal (an SSE-KMS object, the usual cause of FAILED), is
// unverified; anything else is replication-failed.
func failed(s, d *Obj) Verdict {
	if d != nil && s.Size == d.Size {
		same, how, why := content(s, d)
		switch {
		case same:
			return Verdict{Class: Same, How: how, Reason: "the primary says replication FAILED, but the replica holds an equal copy"}
		case how == ByNothing && d.LastModified.After(s.LastModified):
			return Verdict{Class: Unverified, How: ByNothing, Reason: "the primary says replication FAILED; the replica holds a later copy (a repair?): " + why}
		}
	}
	return Verdict{Class: ReplicationFailed, How: ByNothing, Reason: "the primary says its replication FAILED"}
}

// differs is a difference: the replica's copy is older (class), or newer
// (replica-newer: someone wrote to the replica; --fix leaves it alone).
func differs(p Pair, class Class, how How, why string) Verdict {
	if p.Dst.LastModified.After(p.Src.LastModified) {
		return Verdict{Class: ReplicaNewer, How: how, Reason: why + "; the replica's copy is newer than the primary's"}
	}
	return Verdict{Class: class, How: how, Reason: why}
}

// content compares two objects of one size: same, and how it was decided
// (ByNothing: undecided, why says why).
func content(s, d *Obj) (same bool, how How, why string) {
	if s.ChecksumAlgorithm != "" && s.ChecksumAlgorithm == d.ChecksumAlgorithm {
		full := s.ChecksumType == "FULL_OBJECT" && d.ChecksumType == "FULL_OBJECT"
		layout := parts(s.ETag) == parts(d.ETag) && s.ETag == d.ETag // a composite needs the same parts
		if full || layout {
			if s.Checksum != d.Checksum {
				return false, ByChecksum, fmt.Sprintf("%s checksums %s and %s", s.ChecksumAlgorithm, s.Checksum, d.Checksum)
			}
			return true, ByChecksum, ""
		}
	}
	if s.ETag == d.ETag && s.ETag != "" {
		return true, ByETag, ""
	}
	if !md5ETag(s) || !md5ETag(d) {
		return false, ByNothing, "ETags not comparable: an object is encrypted with " + firstNonEmpty(encryptedWith(s), encryptedWith(d))
	}
	sp, dp := parts(s.ETag), parts(d.ETag)
	switch {
	case sp == 0 && dp == 0 && (s.Encryption == "" || d.Encryption == ""):
		// A listing cannot see encryption, and an SSE-KMS or SSE-C
		// object's ETag is not its MD5: differing ETags prove nothing.
		return false, ByNothing, fmt.Sprintf("ETags %s and %s differ, but a listing cannot see encryption (an SSE-KMS or SSE-C ETag is not an MD5): --head-undecided, --deep, or an inventory with EncryptionStatus decides", s.ETag, d.ETag)
	case sp == 0 && dp == 0:
		return false, ByETag, fmt.Sprintf("ETags %s and %s", s.ETag, d.ETag)
	case sp == dp && sp > 0 && s.PartSize > 0 && s.PartSize == d.PartSize:
		return false, ByETag, fmt.Sprintf("ETags %s and %s of %d parts of %d bytes", s.ETag, d.ETag, sp, s.PartSize)
	case sp != dp:
		return false, ByNothing, fmt.Sprintf("ETags not comparable: %s and %s parts (copied another way); no checksum of one algorithm on both", partsText(sp), partsText(dp))
	}
	return false, ByNothing, "multipart ETags differ but the part sizes may too; no checksum of one algorithm on both"
}

func partsText(n int) string {
	if n == 0 {
		return "single-part"
	}
	return fmt.Sprint(n)
}

func encryptedWith(o *Obj) string {
	if md5ETag(o) {
		return ""
	}
	return o.Encryption
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// metaDiff names the first content header or user metadata key that
// differs, or the tag count, or the tags (when both sets were read);
// "" when they agree.
func metaDiff(s, d *Obj) string {
	keys := slices.Sorted(maps.Keys(s.Headers))
	for k := range d.Headers {
		if _, ok := s.Headers[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if s.Headers[k] != d.Headers[k] {
			return k
		}
	}
	if s.TagCount != d.TagCount {
		return "tag count"
	}
	if s.Tags != nil && d.Tags != nil && !maps.Equal(s.Tags, d.Tags) {
		return "tags"
	}
	return ""
}
