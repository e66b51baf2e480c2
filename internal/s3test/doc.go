// Package s3test runs a real S3 server for backfill's tests, demo and
// benchmarks, and a fault-injecting proxy to put in front of it. It is not
// used by the backfill binary and must not be imported outside tests, the demo
// and benchmarks.
//
// # What it starts
//
// Start runs the pinned versitygw (v1.8.0; see Binary for where it is looked
// up, and `make test` for how it is installed) as a child process:
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
// InternalError, dropped connections, or any Fault chosen by a hook.
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
package s3test
