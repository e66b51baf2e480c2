// Package s3err names S3 errors the way backfill reports and decides on
// them. It is the one place where an SDK error becomes a code ("NoSuchKey",
// "HTTP404", "NetworkError", ...) and where a code is judged to be about
// the whole run (a missing bucket, wrong or expired credentials, the wrong
// region) rather than the one request it came from.
//
// Every package that talks to S3 (engine, inventory's sources, the run
// pipeline) classifies through here, so a code means the same thing in
// the report, the checkpoint and the exit status. It never retries,
// logs or exits; it only names.
package s3err
