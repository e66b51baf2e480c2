package inventory

import (
	"time"
)

// Object is one object version as a source or the replica describes it.
type Object struct {
	Bucket       string
	Key          string
	VersionID    string
	Size         int64
	ETag         string // as S3 returns it, with its quotes
	LastModified time.Time
	StorageClass string
	// Archived: in an archive tier that needs a restore before a copy
	// (INTELLIGENT_TIERING's archive tiers; GLACIER and DEEP_ARCHIVE are
	// told by StorageClass alone).
	Archived bool
}

// Kind of an Entry.
type Kind uint8

// Entry kinds. Shard events travel in the same stream as objects so that a
// consumer sees them in order: a shard's ShardFound before any entry that
// follows its discovery, its ShardDone after its last object.
const (
	KindObject     Kind = iota // an object to consider
	KindShardFound             // a new listing shard (Shard, Depth) was discovered
	KindShardDone              // shard Shard was listed to its end
	KindShardMode              // shard Shard is listed flat (Flat) or by folder; sent before its entries
)

// Mode is how a shard is listed.
type Mode uint8

// Shard modes. A shard above the fan-out depth starts undecided and is
// decided by its first page: by folder (Delimited) unless it holds very
// many folders, then Flat (everything below it in one listing), so an
// <id>/<file> layout does not become one shard per object.
const (
	ModeUndecided Mode = iota
	ModeDelimited
	ModeFlat
)

// Entry is one unit of work handed to the engine.
type Entry struct {
	Kind Kind
	// Depth is the shard's fan-out depth (KindShardFound).
	Depth int
	// Flat is the decision of a KindShardMode event.
	Flat bool
	// Rel is the key relative to the source prefix; the destination key is
	// the destination prefix + Rel.
	Rel string
	// Source is the object to copy.
	Source Object
	// Older, when set (--all-versions), are the key's non-current versions
	// to copy before Source, oldest first, so that Source stays the
	// replica's current version. Each carries its VersionID ("null" for
	// the null version).
	Older []Object
	// ReplicaKnown says whether the source looked at the replica. When it
	// did, Replica is what the replica holds at the destination key, or nil
	// when it holds nothing.
	ReplicaKnown bool
	Replica      *Object
	// SkipReason, when set, is a decision the source made from its own
	// fields (an inventory's replication status, say): the object is
	// reported skipped with this reason and not copied.
	SkipReason string
	// Shard names the listing shard the entry came from (the relative
	// prefix that was listed); entries of one shard arrive in key order.
	Shard string
	// Extra: only the replica holds this key (Lister.Extras); Source is
	// empty and Replica is the replica's object. Never sent to a copy.
	Extra bool
	// Repair: a verify's --fix. The replica is looked at again (a HEAD)
	// before the copy: if it still holds what ReplicaWas says (nil:
	// nothing), the copy goes ahead whatever the replica's date says
	// (the verify decided); if it changed since, the object is skipped
	// (replica-changed): never over what someone wrote meanwhile.
	Repair     bool
	ReplicaWas *Object
	// Named: the object was named by a list (a manifest, a completion
	// report), not found by a listing, so a key the source does not have
	// is a failure (NoSuchKey), never "gone".
	Named bool
	// SourceErr is the error of the source's HEAD when a source looked at
	// the object and could not (denied, not there, ...): the object is not
	// copied, and is reported failed with its code (or gone, for a listed
	// object no longer there).
	SourceErr error
	// Untracked: not from the listing's shards (an object the job's
	// checkpoint recorded archived, tried again with --include-archived):
	// the engine moves no shard's watermark for it.
	Untracked bool
}
