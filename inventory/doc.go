// Package inventory is where backfill's objects come from. Every source
// yields Entry records on a channel: a source object, the key relative to the
// source prefix, and (when the source knows it) what the replica holds at
// that key.
//
// One constructor, Open, takes a Spec (what the user named) and Deps (the
// source side's client, the replica's, and the job's State) and returns a
// Source after checking the whole input: every row of a manifest or
// completion report, every inventory data file's MD5 and every row. Bad
// input is an error and nothing is streamed from it. The sources:
//
//	listing (default)    Lister, below: both sides listed and joined
//	--inventory          S3 Inventory delivery (CSV or Parquet): delivery
//	                     resolution, manifest checksum, per-file resume,
//	                     --shard, --replication-status, --all-versions spill;
//	                     the replica's state joined in (below)
//	--manifest           Batch Operations CSV manifest, one HEAD per object
//	--completion-report  the failed tasks of a completion report, likewise
//	--retry-failed       the objects State records as failed, likewise
//
// An inventory run learns what the replica holds without a request per
// object (inventory_join.go, lookup.go): the replica is listed under the
// destination prefix (LookupList, the default; fanned out like the
// listing source) or read from its own inventory (LookupInventory,
// --dest-inventory, the same delivery formats and checks), sorted by key
// on local disk, and merge-joined (internal/extsort: JoinByKey) with the
// inventory's rows, sorted likewise; the joined rows are sorted back into
// data-file order, so per-file shards and resume work as without the
// join. Memory: three sorts of sortMemory, whatever the number of rows.
// LookupHead leaves ReplicaKnown false (the engine HEADs each object);
// --all-versions always does, since the engine settles each key's versions
// against the replica's own version list.
//
// The job's checkpoint reaches a source only through State, an interface
// declared here (finished shards and files, objects done, objects failed):
// this package never imports checkpoint.
//
// The listing source, Lister: ListObjectsV2 over the
// source prefix, streamed page by page, and fanned out over common prefixes
// ("folders") in parallel so one long listing does not starve the copiers.
// Each shard is listed on both sides at once and the two sorted streams are
// merge-joined by relative key, so the replica's state comes from listing it,
// never from a HEAD per key. Both sides' pages are asked for together, and
// each side's next page is fetched while the current one is joined, so a
// shard waits for S3 about once per page, not twice; memory holds at most
// two pages per side per shard. The cost: a shard that goes flat asks the
// replica for one page it drops (its "/" page, asked for while the source's
// decided), and the replica's pages run at most one ahead of what the join
// needs. A shard that ends early (an error, a stop) cancels the pages it
// asked for ahead and waits for them: no request outlives Stream.
//
// Algorithm (Lister.Stream):
//
//	queue <- shard{rel: "", depth: 0}
//	L goroutines, while the queue has shards or any goroutine is busy:
//	  take a shard
//	  if depth < FanoutDepth: list source and replica with Delimiter "/",
//	      join their direct objects, queue every common prefix as a shard at depth+1
//	  else: list both without a delimiter (everything below) and join;
//	      but when the source's first such page is full and its "/" page
//	      names 1 to FlatAbove-1 folders, list it like a shallow shard
//	      (its folders queued at depth+1, listed in parallel), at the
//	      cost of both sides' dropped first pages and the "/" page
//	  each joined pair is sent on the output channel (guarded by ctx)
//
// The join relies on ListObjectsV2 returning keys in ascending byte order,
// as S3 documents. A listing that goes backwards is an error
// (ErrUnsorted), never a silent mismatch that could overwrite a newer
// replica.
package inventory
