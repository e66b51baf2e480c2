// Command backfill copies a media library's pre-existing objects from a
// primary S3 bucket to its replica by server-side copy.
//
// This package is the CLI only: each cmd_<name>.go is a table of flags and
// a short action that turns them into a run description (run.Spec,
// run.StatusSpec, run.CleanupSpec) and calls package run. Signals
// (signals.go: the first Ctrl-C or SIGTERM stops gracefully, the second
// aborts) and exit codes (main.go, via run.ExitCode) live here and
// nowhere else; main is the only caller of os.Exit. main.go also holds
// what every command shares: --debug (given before or after the command's
// name), --version (version.go) and the help command.
//
// The end-to-end tests (e2e_*_test.go) build this binary once in TestMain
// and run it against versitygw through the s3test proxy, asserting on the
// replica's contents and on the proxy's request counts. backfill setup
// (cmd_setup*.go: flags -> setup.Spec) is tested against moto behind a
// request Recorder and against MinIO's real replication (e2e_setup_test.go).
package main
