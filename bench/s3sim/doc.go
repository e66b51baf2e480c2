// Package s3sim is an in-memory S3 endpoint for benchmarks at a scale one
// machine cannot hold on disk: millions of objects, no object data.
//
// Contract:
//
//   - Bench only. It serves plain HTTP on 127.0.0.1 (Start) or as an
//     http.Handler (New), path-style only (/bucket/key; the Host is
//     ignored). Any credentials are accepted: the SigV4 signature is never
//     checked. Request bodies (PutObject, UploadPart) are drained and
//     hashed, aws-chunked framing (STREAMING-* payloads) decoded.
//   - An object is (key, size, ETag, LastModified, storage class,
//     Content-Type, Cache-Control, Content-Disposition, Content-Encoding,
//     Content-Language, Expires, user metadata). No data, tags, ACLs or
//     versions are kept. A write's content headers and x-amz-meta-* are kept
//     (binary/octet-stream when none is given, as in S3); CopyObject keeps
//     the source's unless x-amz-metadata-directive is REPLACE;
//     CompleteMultipartUpload gives the object the headers of its
//     CreateMultipartUpload, UploadPartCopy carries none. HeadObject and
//     GetObject answer them. GetObject answers
//     deterministic synthesized bytes of the object's size (Range honoured)
//     which are not what was put and do not match the ETag.
//   - Seed fills a bucket with n generated objects in one sorted, packed
//     layer (about 16 bytes per object plus the key). Their ETag is a
//     synthetic MD5 of key and size, their LastModified Options.SeedTime,
//     their Content-Type by extension with a parameter no type guesser
//     adds (.dpx "image/x-dpx; source=s3sim"; also .jpg, .mov, .pdf, else
//     application/octet-stream), Cache-Control "private, max-age=86400",
//     and, from the key, Content-Disposition (inline, the file's name) and
//     user metadata origin=s3sim and key-sum (a hash of the key), so a copy
//     carrying another object's headers shows. A copy shares its source's
//     headers (a copy to another key gets its own), so they cost a pointer
//     per object.
//     Objects written later (PutObject, CopyObject, CompleteMultipartUpload)
//     live in a second sorted layer, about 64 bytes per object plus the key;
//     a delete of a seeded object is a tombstone there.
//   - Operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket,
//     GetBucketLocation, GetBucketVersioning (never enabled), ListObjectsV2
//     and ListObjects (prefix, delimiter, max-keys up to 1000,
//     continuation-token, start-after, marker, fetch-owner, encoding-type=url
//     which encodes Key, Prefix, Delimiter, StartAfter, Marker, NextMarker
//     and CommonPrefixes like S3: a form value with "/" kept; without it,
//     characters XML 1.0 cannot hold are sent as U+FFFD), HeadObject,
//     GetObject (If-Match, If-None-Match, If-(Un)Modified-Since),
//     PutObject, DeleteObject, DeleteObjects, CopyObject, Get/Put/Delete
//     ObjectTagging (always an empty tag set), CreateMultipartUpload,
//     UploadPart, UploadPartCopy, CompleteMultipartUpload,
//     AbortMultipartUpload, ListParts, ListMultipartUploads. Anything else
//     is 501 NotImplemented.
//   - CopyObject and UploadPartCopy read x-amz-copy-source URL-encoded, with
//     a leading "/" or not, and ?versionId (only "null" exists; another is
//     NoSuchVersion), and honour x-amz-copy-source-if-match / -if-none-match
//     / -if-(un)modified-since (412 PreconditionFailed). A copy keeps the
//     source's size and, for a single-part source, its ETag; a multipart
//     source copied in one request gets a new single-part ETag. The copy's
//     storage class is x-amz-storage-class or STANDARD. Sources over 5 GiB
//     are refused as S3 does. A completed upload's ETag is S3's: the MD5 of
//     the parts' binary MD5s, "-N"; parts but the last must be >= 5 MiB.
//   - Errors are S3's XML document with S3's code and status (NoSuchBucket,
//     NoSuchKey, NoSuchUpload, PreconditionFailed, SlowDown, ...); a HEAD
//     gets the status only.
//   - Latency (Options.Latency, SetLatency) is slept before each answer,
//     holding no lock; a client that hangs up stops the wait.
//   - Rate limits: a token bucket per (bucket, key prefix, read|write),
//     ReadRate for GET/HEAD and WriteRate for PUT/POST/DELETE, filled at the
//     rate up to Burst. The prefix is the key's first PrefixDepth
//     "/"-separated segments (for a listing, of its prefix parameter); a
//     request is charged to the bucket and key in its path only (a copy to
//     its destination). Over the limit the answer, after the latency, is
//     503 SlowDown. Bucket-level requests are never limited.
//   - Ceiling (SetCeiling): one token bucket for every request that names
//     a bucket, listings included, whatever its prefix: S3 throttling a
//     whole workload at a request rate. Over it, 503 SlowDown likewise.
//   - Put and Delete write an object's facts (or remove one) without a
//     request, to plant differences between two buckets.
//   - Counts (requests by operation, SlowDown answers included), SlowDowns
//     and Errors (answers by error code) are kept with atomics.
//   - Lookup, Walk and Len read the state directly, for checking a run's
//     result without going through HTTP.
package s3sim
