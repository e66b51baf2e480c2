// Package checkpoint is the bbolt store a backfill run resumes from. It
// knows nothing of AWS: it stores objects by (key, version id), listing
// shards by relative prefix, the job's spec as name/value pairs, and
// counters.
//
// File layout (one bbolt file per job, created mode 0600):
//
//	meta     format -> "backfill-checkpoint/1", spec -> JSON, cutoff, created,
//	         last_run, counters -> JSON
//	objects  key "\x00" versionId -> Record (done: source ETag, size; failed:
//	         code, message, attempts, last attempt)
//	shards   relative prefix -> Shard (depth, watermark, complete)
//	uploads  key "\x00" versionId -> in-progress multipart upload (later)
//
// Contract:
//   - Open takes bbolt's file lock with a short timeout: a second process
//     gets a *LockedError (errors.Is ErrLocked) at once, naming the file and,
//     when the holder left its note beside the file, its pid and host.
//   - A file that is not a checkpoint (or is corrupt) is refused with
//     ErrNotCheckpoint, never a panic.
//   - Begin records the spec on first use and refuses a different one with
//     a *SpecError naming every difference, unless reset, which empties the
//     store first.
//   - Writes come from one goroutine (the engine's collector) through Apply,
//     one fsynced transaction per batch; a key is written done only after S3
//     confirmed the copy. Reads (Lookup) use one short read transaction
//     each; iterations (Failed, Shards) page through in short transactions.
//   - Memory: once the file passes 16 MiB, each Apply releases this
//     process's resident pages of bbolt's read-only map (Linux:
//     MADV_DONTNEED inside a read transaction; release_linux.go), so the
//     map adds to RSS only what one batch touches, not the file's size
//     (an inventory run records every object, in an order random by key).
//   - Watermarks: a shard's watermark is a relative key at or below which
//     every object of that shard was settled (done, failed or skipped) in a
//     committed batch, so a resumed listing may start after it.
package checkpoint
