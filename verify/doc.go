// Package verify is the two-sided comparison behind `backfill verify`:
// what one key is in the primary and in the replica (Obj), the pair's
// class (Compare), and the inputs that produce pairs in key order.
//
// Inputs (each yields Items: pairs, and shard events for resume):
//
//	both listed      inventory.Lister with Extras: both sides listed in
//	                 shards, merge-joined by key, replica-only keys too
//	an inventory     its rows sorted by key on local disk (SortedRows, via
//	on either side   internal/extsort: memory does not grow with the rows),
//	                 the other side sorted too or a flat listing (ListedSide),
//	                 merge-joined (JoinSorted) as one shard
//
// Compare decides in this precedence: replication-failed (the primary
// says FAILED), too-new (within --min-age), missing, size-differs,
// content-differs or replica-newer (different and the replica's copy
// newer), metadata-differs (with a HEAD of each side, Deepen), unverified,
// same; a key only in the replica is extra. Content is proven equal or
// different by same-algorithm FULL_OBJECT checksums, or by ETags when both
// are MD5s (plaintext or SSE-S3) of the same part count; otherwise it is
// unverified. Equal ETags are equal content whatever the encryption;
// other single-part ETags of one size from listings prove nothing until
// a HEAD of each side shows both are MD5s (NeedsEncryption names those
// pairs; package run reads them within --head-undecided). REPLICA against COMPLETED, a backfilled copy's newer
// date and other version id are never differences (S3-FACTS section 9).
//
// The package reads and classifies; it never writes to S3, keeps no state
// and prints nothing: package run drives a verify (its checkpoint, --fix
// through the engine, the reports).
package verify
