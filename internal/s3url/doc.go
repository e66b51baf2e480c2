// Package s3url parses the s3://bucket[/prefix] locations backfill takes on
// its command line, maps keys between a source and a destination prefix, and
// encodes keys for the places S3 wants them percent-encoded (the
// x-amz-copy-source header and Batch Operations CSV manifests).
//
// Contract:
//   - Parse accepts only the s3 scheme, a non-empty bucket name that S3 could
//     hold, and any prefix. A prefix that does not end in "/" is treated as a
//     folder: "s3://b/frames" means every key under "frames/", never
//     "frames2/...", the way aws s3 sync reads it.
//   - Overlaps reports whether two locations share keys (same bucket and one
//     prefix inside the other): copying between them is refused.
//   - EscapeKey percent-encodes every byte except RFC 3986 unreserved
//     characters and "/", so the result reads the same under path and form
//     decoding (a space is %20, a plus %2B).
package s3url
