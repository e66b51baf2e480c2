// Package report is everything a run shows or writes about its results:
// the object lines and summary on stdout (text or JSON lines), failures on
// stderr, the --report JSON file, the --failures Batch Operations CSV
// manifest, the progress bar or status lines on stderr, and the text of
// `backfill status`.
//
// Output is the engine's Observer for a copy: Result is called from the
// engine's collector goroutine only, every other method from the run's.
// Files are created mode 0600 (an existing file is made 0600 too), and the
// report and failures files are created before the copy starts, so a run
// that fails early replaces the last run's files instead of leaving them.
//
// Manifests are written as S3 Batch Operations reads them: no header,
// bucket,key[,versionId], keys URL-encoded with %20 for a space and %2B
// for a plus, so they read the same whichever way S3 decodes them.
//
// The progress display reads the engine's atomic counters on a ticker and
// never slows the copy. It counts the objects queued for the copy workers
// and how many of those are settled, both only growing; the percentage and
// the ETA appear once the listing is complete and every entry decided (the
// total is final), so the bar never goes backwards, and the rate appears
// after a few seconds of progress, measured over the last 20 s
// (progress_view.go: the numbers and their rendering, apart from any
// terminal). report decides nothing: the exit status comes from package
// run.
package report
