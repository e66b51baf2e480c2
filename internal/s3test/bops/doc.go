// Package bops is a strict S3 Batch Operations emulator for backfill's
// tests: the S3 Control job API on a loopback port, whose jobs really run
// their tasks on the versitygw that package s3test starts. Nothing
// installable implements Batch Operations (moto answers 404 on
// /v20180820/jobs), and a mock that always says yes proves nothing, so the
// emulator refuses what AWS refuses, fails jobs where AWS fails them, and
// writes completion reports in the layout AWS writes. Like s3test it is for
// tests, the demo and benchmarks only. Facts without a primary source are
// marked UNCONFIRMED here and in the code; S3-FACTS.md section 1 is the
// reference.
//
// # Starting it
//
//	srv := s3test.Shared(t)
//	emu := bops.StartTest(t, srv, bops.Options{Step: 2 * time.Millisecond})
//	ctl := emu.Client()                   // *s3control.Client, ready to use
//	cmd.Env = srv.Env(emu.URL())          // a child process (the CLI under test)
//
// Start(ctx, Options{S3: S3Endpoint{URL, AccessKey, SecretKey}, AccountID,
// Region}) is the same without a testing.T; New gives the http.Handler
// without listening. One port serves both APIs: paths under /v20180820/
// are the job API, every other request is proxied to versitygw (Host header
// kept, bodies streamed), except Put/Get/DeleteBucketReplication, which the
// emulator answers itself. So one AWS_ENDPOINT_URL serves a client's S3
// and S3 Control calls. The emulator accepts the S3 server's key pair
// unless Options names another, answers for DefaultAccountID
// (123456789012) and region us-east-1 unless told otherwise.
//
// # Pointing a client at it
//
// The SDK puts the account id in front of the host for the job operations
// ("{AccountId}.s3-control.{region}.amazonaws.com", the operations'
// hostPrefix, and with a custom endpoint "{AccountId}.127.0.0.1:port",
// which does not resolve). The prefix comes from the endpoint rules
// (parameter RequiresAccountId); UseARNRegion does not remove it. A client
// keeps the host with EndpointResolver, which clears that parameter and
// delegates to the default resolver:
//
//	cfg, _ := config.LoadDefaultConfig(ctx) // AWS_ENDPOINT_URL, keys, region
//	ctl := s3control.NewFromConfig(cfg, func(o *s3control.Options) {
//		o.EndpointResolverV2 = bops.EndpointResolver() // keep the host as given
//	})
//	ctl.CreateJob(ctx, &s3control.CreateJobInput{AccountId: aws.String("123456789012"), ...})
//
// The deprecated V1 resolver (Options.EndpointResolver) returning
// aws.Endpoint{URL: url, HostnameImmutable: true} works too
// (TestEndpointOptions).
// backfill needs the same resolver (its own copy) whenever a custom S3
// Control endpoint is configured; TestExampleClient runs this. S3 clients
// use path-style addressing. A CreateJob should send ConfirmationRequired
// explicitly: left out, the service (and the emulator) holds the job in
// Suspended although the model's default is false (aws/aws-sdk-go-v2#1814).
//
// # What it checks
//
// Every request: SigV4 (Authorization header, AWS4-HMAC-SHA256, service
// "s3", the emulator's region, x-amz-content-sha256 against the body,
// 15 minutes of clock skew), verified from the specification, not with the
// SDK's signer. A wrong signature answers 403 SignatureDoesNotMatch, an
// unknown key 403 InvalidAccessKeyId, no signature 403 AccessDenied, a
// changed body 400 XAmzContentSHA256Mismatch, another region or scheme 400
// AuthorizationHeaderMalformed, an old signature 403 RequestTimeTooSkewed.
// Then x-amz-account-id: absent or not 12 digits 400 BadRequestException,
// another account 403 AccessDenied (both UNCONFIRMED).
//
// CreateJob refuses, with 400 BadRequestException (types.BadRequestException)
// unless said otherwise: a missing Operation, Priority, Report, RoleArn or
// ClientRequestToken; Priority outside 0..2147483647; a token over 64
// characters; a RoleArn not arn:<partition>:iam::<12 digits>:role/<name>;
// Description empty or over 256 characters; both Manifest and
// ManifestGenerator, or neither; an Operation naming none, two, or an
// unknown operation (an AWS operation other than S3PutObjectCopy and
// S3ReplicateObject answers 501 NotImplemented: not emulated); a manifest
// ObjectArn not arn:aws:s3:::<bucket>/<key>, without ETag, of another
// format, or CSV Fields without Bucket and Key; a report Bucket not a bucket
// ARN, or missing while the report is enabled; a TargetResource not a
// bucket ARN; enum values outside the model (storage class, checksum
// algorithm, metadata directive, canned ACL, report scope and format);
// generator source not a bucket ARN, output enabled without a location, a
// KeyNameConstraint list not of exactly one string; tags outside 1-128 /
// 0-256 characters. A used ClientRequestToken with the same content returns
// the same JobId; with other content 400 IdempotencyException. An
// unparsable body answers 400 MalformedXML (UNCONFIRMED). The HTTP statuses
// follow the API reference (400 for every client error of these
// operations); the messages are the emulator's own.
//
// DescribeJob, UpdateJobStatus and UpdateJobPriority of an unknown job answer
// 400 NotFoundException (the troubleshooting guide names it
// NoSuchJobException, "No such job": UNCONFIRMED which one the service
// sends). UpdateJobStatus takes Ready (only from Suspended) and Cancelled
// (from any status before Completing/Failing/Cancelling and the terminal
// ones); any other change is 400 JobStatusException; a requested status
// other than Ready and Cancelled is a BadRequestException. ListJobs answers
// 400 InvalidRequestException for an unknown status or MaxResults outside
// 0..1000 and 400 InvalidNextTokenException for a token it did not issue.
//
// # How a job runs
//
//	New -> Preparing -> [Suspended -> UpdateJobStatus(Ready)] -> Ready -> Active
//	    -> Completing -> Complete, or Failing -> Failed, or Cancelling -> Cancelled
//
// Options.Step separates the phases (tests: a few milliseconds; assertions
// poll DescribeJob and never time). Preparing reads the report bucket and
// the manifest from versitygw and fails the job (Failed, one FailureReasons
// entry, no task run, no report) on: a missing report bucket; a manifest it
// cannot read ("Reading the manifest failed: NoSuchKey"; on 403 the
// documented "Reading the manifest is forbidden: AccessDenied"); an ETag
// other than the job's; a header row; rows whose column count differs from
// Fields (version ids in some rows only); rows in more than one bucket;
// a bucket column that is no bucket name; a key that does not URL-decode;
// an empty manifest; an inventory that is not CSV, lacks Bucket or Key in
// fileSchema, or whose data file fails its MD5checksum; for
// S3ReplicateObject, a source bucket without replication configuration, or
// a user manifest without version ids on a versioned bucket; for a
// generator, a missing source bucket, no key left by the filter
// ("Manifest generation found no keys matching the filter criteria.", the
// documented wording) or an unwritable output location. The failure codes
// (ManifestReadFailed, ManifestETagMismatch, InvalidManifestContent,
// ReportBucketNotFound, ReplicationConfigurationNotFound,
// VersionIdsRequired, ManifestGenerationFailed,
// ManifestGenerationFoundNoKeys, GeneratedManifestWriteFailed,
// TaskFailureThresholdExceeded, ReportWriteFailed) are the emulator's:
// AWS documents none (UNCONFIRMED).
//
// Manifests: S3BatchOperations_CSV_20180820 (no header, Bucket,Key[,VersionId]
// plus Ignore columns, keys URL-decoded with form semantics so '+' is a
// space: write '+' as %2B and ' ' as %20; a version id "null" names the
// null version; an empty one fails its task "400 InvalidRequest Task failed
// due to missing VersionId", as documented) and S3InventoryReport_CSV_20161130
// (ObjectArn names manifest.json; its CSV data files, gzip or plain, are
// read from destinationBucket with the columns of fileSchema, keys
// form-decoded).
//
// Active runs the tasks, Options.Concurrency at a time, not in manifest
// order. S3PutObjectCopy: one CopyObject per task into TargetResource at
// TargetKeyPrefix + "/" + key (no second '/' after a prefix ending in one,
// UNCONFIRMED), metadata copied or, with MetadataDirective REPLACE, taken
// from NewObjectMetadata; NewObjectTagging present (even empty) replaces
// the tags; StorageClass, ChecksumAlgorithm, SSE (AES256 or KMS with key
// id and bucket key), canned ACL, object lock fields, redirect location and
// the (un)modified-since conditions are sent (versitygw accepts and ignores
// SSE, storage class and ACL). A source above 5 GiB is not copied: the task
// fails 400 InvalidRequest "The specified copy source is larger than the
// maximum allowable size for a copy source: 5368709120", CopyObject's
// answer (that Batch Operations reports it verbatim is UNCONFIRMED). Any
// other CopyObject error is reported as versitygw answered it (status,
// code, message). S3ReplicateObject: see replicate.go; copies into every
// matching rule's destination keep metadata and tags, the source version
// then reads COMPLETED and the copy REPLICA in x-amz-replication-status
// (through the emulator's S3 endpoint); a key no enabled rule covers fails
// SrcObjectNotEligible, a missing or unversioned destination
// DstBucketNotFound / DstBucketUnversioned (names from the replication
// failure reasons; statuses UNCONFIRMED). Once at least 1,000 tasks ran,
// more than 50% failed fails the job (TaskFailureThresholdExceeded); the
// tasks in flight finish.
//
// A generator (S3JobManifestGenerator) lists SourceBucket (current
// versions; every version for S3ReplicateObject on a versioned bucket) and
// keeps what every given filter accepts: CreatedAfter/Before (LastModified,
// exclusive), KeyNameConstraint prefix/suffix/substring,
// ObjectSize{Greater,Less}ThanBytes (exclusive), MatchAnyStorageClass,
// ObjectReplicationStatuses (the status the emulator recorded, else
// HeadObject's, else NONE), EligibleForReplication (an enabled rule of the
// bucket's configuration covers the object). EnableManifestOutput writes
// <ManifestPrefix>/job-<id>/manifest.json (inventory style, version
// "2021-11-30") and one gzip CSV data file, and DescribeJob then carries
// GeneratedManifestDescriptor{S3InventoryReport_CSV_20211130, ObjectArn,
// ETag}; that layout is UNCONFIRMED.
//
// # Completion report
//
// Written when the job ends (Complete, Failed, Cancelled) if the report is
// enabled and at least one task ran: <Prefix>/job-<id>/manifest.json
// (Format, ReportCreationDate, Results[{TaskExecutionStatus, Bucket,
// MD5Checksum, Key}], ReportSchema "Bucket, Key, VersionId, TaskStatus,
// ErrorCode, HTTPStatusCode, ResultMessage") and results/<40 hex>.csv, one
// file of succeeded and one of failed tasks (FailedTasksOnly: the failed
// one only), rows without header in the order AWS really writes: Bucket,
// Key, VersionId, TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage
// (HTTP status first, contrary to ReportSchema). Keys are percent-encoded
// (every byte but A-Z a-z 0-9 - . _ ~ /, so they decode the same with path
// or form rules; AWS's exact encoding UNCONFIRMED). A succeeded row reads
// "200,,Successful" (UNCONFIRMED). A report that cannot be written adds a
// FailureReasons entry with the documented wording ("The job report could
// not be written to your report bucket. Please check your permissions.")
// and keeps the job's status.
//
// # What it does not do
//
// Operations other than S3PutObjectCopy and S3ReplicateObject (501); job
// tagging, access points, other S3 Control APIs (501); priorities (every job
// runs at once; Paused is never entered; UpdateJobPriority only records);
// IAM (RoleArn is only checked for syntax; no permission is evaluated) and
// ExpectedBucketOwner checks; the 30-day Suspended expiry and job retention;
// presigned URLs, SigV4a, aws-chunked payloads, virtual-hosted-style
// bucket addressing for the replication calls; SSE-S3 on reports, KMS,
// MatchAnyObjectEncryption and ManifestEncryption (501), AccessControlGrants
// and RequesterPays on copies; replicas keeping the source's version id and
// creation time, delete-marker replication, RTC. Jobs live in memory and
// end with Close (they stay in their last status). ListJobs lists newest
// first (UNCONFIRMED).
package bops
