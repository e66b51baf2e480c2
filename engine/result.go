package engine

import (
	"sync/atomic"
	"time"

	"github.com/backfill-dev/backfill/inventory"
)

// Outcome is what happened to one object.
type Outcome uint8

// Outcomes.
const (
	Copied Outcome = iota + 1
	Skipped
	Failed
	WouldCopy // dry run: it would have been copied
)

func (o Outcome) String() string {
	switch o {
	case Copied:
		return "copied"
	case Skipped:
		return "skipped"
	case Failed:
		return "failed"
	case WouldCopy:
		return "would-copy"
	}
	return "unknown"
}

// Skip reasons.
const (
	ReasonExcluded       = "excluded"         // filtered out by --include/--exclude
	ReasonExists         = "exists"           // replica has the same size and ETag
	ReasonNewerInReplica = "newer-in-replica" // replica's copy is newer than the source's
	ReasonTooNew         = "too-new"          // modified within --min-age of the run's start, or after it
	ReasonTooLarge       = "too-large"        // above the single-copy limit
	ReasonChanged        = "changed"          // the source changed after it was listed (copy-source-if-match failed)
	ReasonEmptyKey       = "empty-key"        // maps to an empty destination key (a folder marker copied to a bucket root)
	ReasonDone           = "done"             // an earlier run of this job copied it (checkpoint)
	ReasonGone           = "gone"             // deleted from the source after it was listed
	ReasonArchived       = "archived"         // in an archive tier (seen in the listing or inventory, or S3 refused the copy with InvalidObjectState): needs a restore first
	ReasonDeleteMarker   = "delete-marker"    // a version of a key whose current version is a delete marker (--all-versions)
	ReasonReplicaChanged = "replica-changed"  // a verify's repair: the replica changed since it was compared
)

// Result is the outcome of one object, handed to the Observer.
type Result struct {
	Outcome Outcome
	Entry   inventory.Entry
	DestKey string
	// Reason is the skip reason (Skipped).
	Reason string
	// Code is the S3 error code (Failed), Err the error itself.
	Code string
	Err  error
	// Dropped is what the copy could not carry of the source object
	// (Copied): e.g. its checksum algorithm, which the destination refused
	// on part copies.
	Dropped []Drop

	attempts   int  // failed attempts before this one (checkpoint)
	fromWorker bool // settled by a worker (counts toward the progress of the copies)
	// A result of one version of an entry with older versions (group);
	// groupPart: not the last, so it does not settle the key in its
	// shard; holdShard: the last, but a version failed, so the key stays
	// unsettled and a resumed run takes it up again.
	group, groupPart, holdShard bool
	upload                      *uploadEvent   // a multipart upload's state to record (alone, Outcome is 0)
	event                       inventory.Kind // shard events travel to the collector too
}

// Observer receives every result. Result is called from one goroutine only,
// in no particular key order.
type Observer interface {
	Result(r *Result)
}

type nopObserver struct{}

func (nopObserver) Result(*Result) {}

// Summary is what a run did.
type Summary struct {
	Started, Finished time.Time
	Listed            int64
	ListedBytes       int64
	Copied            int64
	BytesCopied       int64
	WouldCopy         int64
	WouldCopyBytes    int64
	Skipped           map[string]int64 // reason -> count
	Failed            map[string]int64 // error code -> count
	// Dropped counts the copied objects that lost something, by Drop.What
	// (nil when none did).
	Dropped map[string]int64
	// Interrupted is set when Stop ended the run before the listing did.
	Interrupted bool
	// Concurrency is the concurrency the run used, over time.
	Concurrency ConcurrencyLog
}

// FailedTotal is the number of objects that failed.
func (s *Summary) FailedTotal() int64 { return sum(s.Failed) }

// SkippedTotal is the number of objects skipped for a stated reason.
func (s *Summary) SkippedTotal() int64 { return sum(s.Skipped) }

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// Stats is a live snapshot for progress displays.
type Stats struct {
	Listed, ListedBytes int64
	ToCopy, ToCopyBytes int64 // decided to copy so far
	Copied, CopiedBytes int64
	Skipped, Failed     int64
	// Queued counts the objects queued for the workers (each version of a
	// key counts) and a dry run's would-copies decided without one: the
	// total Settled moves toward. Neither ever decreases, and a snapshot
	// never shows Settled above Queued (after a stop, some queued objects
	// never settle).
	Queued int64
	// Settled counts the queued objects a worker decided (copied, failed,
	// or skipped on S3's answer), and those would-copies: the progress of
	// Queued.
	Settled     int64
	ListingDone bool
	// AllQueued says the listing is done and every entry it gave has been
	// decided: Queued is final.
	AllQueued bool
	// Concurrency is the requests allowed in flight now (the adaptive
	// controller's limit, or the fixed one), InFlight those in flight.
	Concurrency, InFlight int
}

type counters struct {
	listed, listedBytes atomic.Int64
	toCopy, toCopyBytes atomic.Int64
	copied, copiedBytes atomic.Int64
	skipped, failed     atomic.Int64
	queued, settled     atomic.Int64
	listingDone         atomic.Bool
	allQueued           atomic.Bool
}

func (c *counters) snapshot() Stats {
	settled := c.settled.Load() // before queued: an object is queued before it settles
	allQueued := c.allQueued.Load()
	return Stats{
		Listed: c.listed.Load(), ListedBytes: c.listedBytes.Load(),
		ToCopy: c.toCopy.Load(), ToCopyBytes: c.toCopyBytes.Load(),
		Copied: c.copied.Load(), CopiedBytes: c.copiedBytes.Load(),
		Skipped: c.skipped.Load(), Failed: c.failed.Load(),
		Queued: c.queued.Load(), Settled: settled,
		ListingDone: c.listingDone.Load(), AllQueued: allQueued,
	}
}
