// Package s3test runs a real S3 server for backfill's tests, demo and
// benchmarks, and a fault-injecting proxy to put in front of it; for tests
// of replication and setup it also runs MinIO (real bucket replication),
// mc (MinIO's client, to register replication targets) and moto (IAM,
// STS). It is not used by the backfill binary and must not be imported
// outside tests, the demo and benchmarks.
//
// # What it starts
//
// Start runs the pinned versitygw (v1.8.0; see Binary for where it is looked
// up, and `make tools` for how it is installed) as a child process:
//
//	versitygw --port 127.0.0.1:<free port> --access <random> --secret <random> \
//	    --region us-east-1 --keep-alive --quiet \
//	    posix --versioning-dir <dir>/versions <dir>/buckets
//
// with a clean environment (no VGW_*, ROOT_* or AWS_* variables), its own
// process group and, on Linux, a parent-death signal, so a killed test binary
// does not leave servers behind. Each bucket is a folder under Server.RootDir.
// Stop kills the process group and removes the temp folder.
//
// # How tests use it
//
//	func TestMain(m *testing.M) { s3test.Main(m) } // cleanups may follow m
//
//	func TestX(t *testing.T) {
//		srv := s3test.Shared(t)       // one server per test binary
//		bucket := srv.NewBucket(t, true) // fresh name, versioning on
//		p := srv.NewProxy(t)          // faults and request counts
//		c := srv.Client(p.URL())      // SDK client through the proxy
//		...
//		if p.Count("CopyObject") != 1 { ... }
//	}
//
// Child processes (the CLI under test) get srv.Env(p.URL()): the server's
// credentials and endpoint and empty shared config files, so a developer's
// ~/.aws never leaks in. Packages run in parallel by `go test ./...` each
// start their own server on their own port and folder.
//
// The Proxy keeps the client's Host header (SigV4 covers it and versitygw
// checks it), streams bodies, counts requests by S3 operation (see Operation)
// and injects latency, SlowDown (503) above a request rate, 500
// InternalError, dropped connections, answers cut partway through (the
// server did the request; the client gets the headers and part of the
// body, then the connection closes: SetCutRate, counted by Cuts), or any
// Fault chosen by a hook.
//
// Package bops (internal/s3test/bops) puts a strict S3 Batch Operations
// emulator (the S3 Control job API, jobs run on this server) in front of a
// Server; see its doc.go.
//
// # What versitygw v1.8.0 does (checked by the Fact tests)
//
//   - Keys are file paths. Spaces, '+', '%', "%25", '?#&', unicode (bytes as
//     sent, NFC or NFD) and a 1024-byte key of several segments round-trip
//     exactly. Paths are cleaned: "a//b" is stored and listed as "a/b",
//     "a/./b" as "a/b", "a/../b" as "b", "/x" as "x"; "." and "../x" get 400.
//     A segment over 255 bytes gets KeyTooLongError.
//   - A key and a key below it cannot coexist: with "a/b" stored, PutObject
//     "a" gets 409 ExistingObjectIsDirectory; with "a" stored, "a/b" gets 409
//     ObjectParentIsFile. A key ending in "/" may only be empty
//     (DirectoryObjectContainsData otherwise).
//   - ListObjectsV2 returns keys in byte order, across pages too: "a-c",
//     "a.b/x", "a/b", "a0" (not a directory-walk order).
//   - CopyObject: x-amz-copy-source-if-match mismatch -> 412
//     PreconditionFailed; MetadataDirective COPY keeps user metadata,
//     Content-Type, Cache-Control, Content-Disposition, Content-Encoding and
//     Content-Language; TaggingDirective COPY keeps tags; the source checksum
//     is kept unless the copy names another algorithm. If-None-Match: * on
//     CopyObject is ignored (the copy overwrites): a destination guard test
//     needs a Proxy hook.
//   - StorageClass (STANDARD, STANDARD_IA, GLACIER, DEEP_ARCHIVE) is accepted
//     on PutObject and CopyObject and ignored: HeadObject and ListObjectsV2
//     always report STANDARD. Storage-class preservation cannot be tested
//     against versitygw alone.
//
// # Where the programs come from
//
// `make tools` (part of `make test`) builds versitygw, minio and mc with
// `go install`, once per pinned version per machine, into ToolsCache
// (~/.cache/backfill/tools/<name>@<version>/) and links them into
// <module root>/.tools/bin; each finder (Binary, MinIOBinary, MCBinary)
// looks at its BACKFILL_* override, .tools/bin, the cache, then PATH. moto
// 5.2.1 is not built: it comes with the machine image (Python 3.11 under
// pyenv); MotoBinary looks at $BACKFILL_MOTO, PATH, then pyenv. A missing
// program fails the test that needs it with what is missing and how to
// install it; nothing skips. MinIO and mc are AGPL-3.0 and only run as
// separate programs; nothing here imports them.
//
// # MinIO and mc
//
// StartMinIO (or SharedMinIO, NewMinIO in tests) runs
//
//	minio server --address 127.0.0.1:<free port> --certs-dir <dir>/certs --quiet <dir>/data
//
// with MINIO_ROOT_USER/PASSWORD random, MINIO_REGION, MINIO_BROWSER=off
// (no console port), MINIO_UPDATE=off, HOME=<dir> (minio makes ~/.minio
// otherwise), no other MINIO_*, MC_* or AWS_* variable, in its own process
// group with a parent-death signal, and waits for GET /minio/health/ready
// to answer 200 (0.7-0.9 s here). Kill ends it with SIGKILL and keeps
// port and data; Restart brings it back on both; Stop removes the folder.
// One drive, versioning and replication work; a server replicates between
// two of its own buckets, so a server-side copy between primary and replica
// works too. Replication across servers needs two servers (CopyObject
// cannot cross them).
//
// MC runs mc with --config-dir in a private folder (never ~/.mc), a clean
// environment, and errors with the servers' secrets replaced by "***".
// AddReplication runs `mc alias set` and
//
//	mc replicate add SRC/BUCKET --remote-bucket http://KEY:SECRET@HOST:PORT/BUCKET \
//	    --replicate "delete,delete-marker" --priority N --region <target's>
//
// and returns the ARN from `mc replicate ls --json`. mc's own --replicate
// default adds existing-objects and metadata-sync; existing-objects is left
// out so objects written before the rule stay unreplicated, as in the
// backfill case. ReplicationVia registers a Proxy in front of the target
// instead, to watch, hold or fail what the source sends.
//
// # What the pinned MinIO and mc do (checked by the Fact tests)
//
//   - Target ARNs look like arn:minio:replication:<target region>:<uuid>:<bucket>.
//   - An object written before the rule is never replicated: no
//     replication status, 404 on the replica, also after a listing.
//   - A new object is PENDING on the primary while its replication is in
//     flight (milliseconds unless held), then COMPLETED ("COMPLETED", the
//     SDK's ReplicationStatusCompleted, not ReplicationStatusComplete); the
//     replica says REPLICA and has the same user metadata, Content-Type,
//     ETag and version ID. The source writes it with an ordinary signed
//     PutObject to the target endpoint carrying x-amz-replication-status:
//     REPLICA and x-minio-source-replication-request: true, after
//     HeadBucket and GetBucketVersioning.
//   - With the target down a new object goes PENDING -> FAILED. Once the
//     target is back, MinIO re-queues a FAILED object whenever it is read
//     (GetObject, HeadObject) or listed, so it is COMPLETED about a second
//     later; with no request at all it came back after 58 s (two runs; the
//     background scanner; MinIO's failed-replication queue is retried every
//     5 minutes).
//   - A rule disabled with `mc replicate update --state disable` leaves new
//     objects without status; `mc replicate resync start` is refused without
//     an existing-objects rule: "Unable to reset replication. No matching
//     ExistingObjects rule enabled." After `mc replicate rm --all`,
//     GetBucketReplication answers 404 ReplicationConfigurationNotFoundError.
//   - PutBucketReplication works once mc has registered the target, with
//     the MinIO ARN as Role and Destination.Bucket (GetBucketReplication
//     then reports that ARN as Role). An IAM role ARN, or an arn:aws:s3:::
//     destination, gets 400 XMinioAdminRemoteArnInvalid "The bucket remote
//     ARN does not have correct format (invalid ARN <arn>)".
//   - CopyObject with a mismatching x-amz-copy-source-if-match gets 412
//     PreconditionFailed.
//   - UploadPartCopy into a multipart upload created with ChecksumAlgorithm
//     SHA256 gets 400 InvalidArgument "Invalid arguments provided for
//     <bucket>/<object>/<upload>: (checksum missing, want \"SHA256\", got
//     \"\")"; without an algorithm the same copy and its completion work.
//     A large object cannot keep its SHA256 algorithm on MinIO by a copy in
//     parts.
//   - `mc replicate add` to a missing target bucket: "unable to configure
//     remote target. The remote target does not exist."
//
// # How versitygw and MinIO differ on copies (facts_servers_test.go)
//
//   - UploadPartCopy into an upload created with any checksum algorithm
//     (CRC32, CRC32C, CRC64NVME, SHA1, SHA256): versitygw copies the part;
//     MinIO answers 400 InvalidArgument as above, for each algorithm. An
//     object aws-sdk-go-v2 uploads without asking for a checksum has CRC32
//     on both, so on MinIO every copy in parts of such an object needs an
//     upload without the algorithm.
//   - A "dir/" marker (empty, key ending in "/"): MinIO copies it;
//     versitygw's CopyObject answers DirectoryObjectContainsData.
//   - Keys: MinIO refuses "a//b" and a segment over 255 bytes (400
//     XMinioInvalidObjectName "Object name contains unsupported
//     characters.") and "a/./b", "a/../b" (400 XMinioInvalidResourceName);
//     both store "/x" as "x".
//   - Expires: CopyObject with the COPY metadata directive keeps it on
//     versitygw and drops it on MinIO (its copy strips "expires" from the
//     metadata it carries); set on CreateMultipartUpload, both keep it.
//   - Storage classes: MinIO stores and reports REDUCED_REDUNDANCY (a copy
//     keeps it), answers InvalidStorageClass to STANDARD_IA and GLACIER
//     (PutObject, CopyObject, CreateMultipartUpload), and omits the class
//     of STANDARD objects in HeadObject, as S3 does.
//   - Website-Redirect-Location: versitygw stores it; MinIO does not.
//   - If-None-Match: * on CopyObject: ignored by both.
//   - ListMultipartUploads on MinIO: without a prefix, the bucket's uploads
//     started since the server started (kept in memory); with a prefix,
//     only the uploads of exactly that key.
//
// # moto
//
// StartMoto (or SharedMoto) runs `moto_server -H 127.0.0.1 -p <free port>`
// with no AWS_* or MOTO_* variables and waits for GET /moto-api/ to answer
// (2-5 s: Python imports). All services share the one port; state is in
// memory, shared by the tests of a binary (use fresh names). Moto.Env gives
// a child process dummy credentials and AWS_ENDPOINT_URL_IAM, _STS and _S3;
// Moto.Config gives SDK clients the same. Observed:
//
//   - IAM CreateRole, PutRolePolicy, GetRole and GetRolePolicy round-trip;
//     role ARNs are arn:aws:iam::123456789012:role/<name> (MotoAccountID).
//   - A second CreateRole of a name: 409 EntityAlreadyExists "Role with
//     name <name> already exists."; GetRole of a missing role: 404
//     NoSuchEntity.
//   - STS GetCallerIdentity answers account 123456789012, arn
//     arn:aws:sts::123456789012:user/moto, for any credentials.
//   - S3 bucket configuration (facts_moto_s3_test.go): regions, Block
//     Public Access, default encryption, inventory and policies are kept;
//     a bogus versioning status is accepted and read back; a rule's filter
//     prefix reads back as "" and SourceSelectionCriteria is dropped, so
//     tests assert on the requests sent (Recorder), not only on moto.
package s3test
