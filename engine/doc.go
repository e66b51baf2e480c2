// Package engine is backfill's copier. It takes a stream of entries from a
// Source (see package inventory), decides per object, copies by server-side
// CopyObject with a bounded number of workers, and reports every outcome
// through one collector.
//
// The flow, one way only:
//
//		source ──entries──▶ plan ──tasks──▶ N workers ──results──▶ collector
//		                      └──────────── skips ─────────────────▶ collector
//
//	  - source: Source.Stream sends entries (bounded channel) until done.
//	  - plan: Filter, then the replica's state (exists, newer-in-replica),
//	    then the clock (too-new: modified after Start-MinAge), then size
//	    (too-large: over MaxCopyObjectSize). Everything else becomes a task,
//	    or a WouldCopy result in a dry run.
//	  - workers: CopyObject with CopySourceIfMatch = the listed ETag and the
//	    metadata and tagging directives COPY; storage class kept unless set;
//	    SSE, ACL and expected-owner options as given. A 412 means the source
//	    changed after it was listed: it is never copied from the stale
//	    view. Its current version (a HEAD) is copied if it still predates
//	    Start-MinAge, after checking the replica against it again;
//	    otherwise the object is skipped as "changed" (or "gone").
//	  - collector: the only goroutine that counts, calls the Observer and
//	    (with the checkpoint) writes state.
//
// Failures: a failed object is a Result with its S3 error code and the run
// goes on, however many fail. Answers about the whole run (missing bucket,
// wrong or expired credentials, wrong region) stop it at once as a
// *RunError; so does a bucket the credentials can no longer list (probed
// with Options.Probe when the first DeniedLimit copies are all denied).
// A HEAD's error answer has no body: its bare 400 or 403 is judged by
// probing the buckets too (an expired session token stops the run; an
// SSE-C object fails alone; runfail.go).
//
// Lost answers (lost.go): a request whose answer the network lost after S3
// did it is sent again by the retryer. A second CreateMultipartUpload makes
// a second upload, so the key's uploads the lost attempts made are found
// and aborted; a second CompleteMultipartUpload may find its upload gone
// (MinIO), and is the copy when the replica holds the object its parts
// make.
//
// Every copy is conditional: CopyObject and each UploadPartCopy carry the
// source's ETag as x-amz-copy-source-if-match, and no object is copied
// without its ETag and date (the --min-age check). An entry whose source
// did not give them (a manifest's row, an inventory row without them) is
// completed with a HEAD of the source first; if the HEAD fails, the object
// fails with its code (a named object the source lacks is NoSuchKey, a
// listed one gone since is skipped "gone"). A new multipart upload's id is
// committed to the checkpoint before its first part is sent.
//
// A multipart copy carries the source's checksum algorithm. A destination
// that refuses part copies into an upload with one (MinIO: InvalidArgument
// "checksum missing" on every UploadPartCopy, before any part is held) gets
// the upload aborted and replaced by one without the algorithm, recorded in
// the checkpoint in its place before its first part; later uploads of the
// run are made without it at once. The object is copied with everything
// else, and its Result.Dropped (counted in Summary.Dropped) says what it
// lost (checksum.go).
//
// Stopping: Stop (first Ctrl-C) lets in-flight copies finish and report,
// starts no new ones, and marks the Summary Interrupted. Cancelling the
// context passed to Run (second Ctrl-C) aborts the in-flight requests too;
// their objects are not reported.
//
// Concurrency that finds itself (adapt.go, limiter.go, workers.go): every
// request (copy, HEAD, part) takes a slot of one budget, a semaphore whose
// size can change. Options.Concurrency fixes it. Without it a controller
// resizes it every few round trips from what it measures: requests
// completed per second, the mean in flight and so the latency (Little's
// law), the clients' SlowDown count and send-rate limit (awsconf), and the
// process's CPU. It starts at DefaultStartConcurrency, probes down once a
// run (halving while the throughput holds: a knee below the start), and
// doubles while the throughput grows with it and the latency holds, each growth judged
// on the second sample after it (the first holds the cost of new
// connections); a growth that does not pay is taken back, one that pays
// less than 60% of its step is trimmed (the knee), and later probes are
// x1.25, less and less often; a sample is lengthened until it holds more
// answers than requests in flight (Little's law holds), and starts with
// the run's first request; SlowDown cuts it to what the send-rate limit lets through, with
// room; a latency that doubles, or a CPU at 90% of its cores, cuts it too
// (a CPU cut that costs throughput is taken back). It stays within
// [MinConcurrency, MaxConcurrency]. Workers come and go with the limit.
// Summary.Concurrency records every change (bounded), Stats the limit now,
// and Options.OnConcurrency hears of each change (the GC's memory limit
// follows it: internal/gctune).
//
// Goroutines: Run may be called once per Engine. Stats and Stop are safe
// from any goroutine. Observer.Result is called from the collector only.
// Memory is bounded by the channel sizes (a few times MaxConcurrency
// entries) and the requests in flight, never by the number of objects.
package engine
