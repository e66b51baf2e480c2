// Command backfill copies a media library's pre-existing objects from a
// primary S3 bucket to its replica by server-side copy.
//
// This package is the CLI only: flags become options structs (parseCopy),
// AWS clients come from internal/awsconf, the work is done by engine with a
// source from inventory. Signals and exit codes live here and nowhere else:
// run returns the exit code and main is the only caller of os.Exit.
//
// Output: progress on stderr (progress.go), results and the summary on
// stdout, text or JSON lines (output.go); the --report and --failures
// files are created mode 0600.
//
// The end-to-end tests (e2e_*_test.go) build this binary once in TestMain
// and run it against versitygw through the s3test proxy, asserting on the
// replica's contents and on the proxy's request counts.
package main
