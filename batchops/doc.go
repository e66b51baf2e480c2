// Package batchops makes S3 Batch Operations jobs (S3 Control) safe and
// observable: it builds and checks their manifests from the same sources
// and filters as `backfill copy`, submits copy (S3PutObjectCopy) and
// replication (S3ReplicateObject) jobs, confirms and follows them, reads
// their completion reports, retries their failures, and writes the job
// role's IAM policies. Objects over 5 GiB never go into a job: they are
// copied by the local engine (--large-locally) or listed for the user.
// Facts: S3-FACTS.md sections 1 and 2; what has no primary source is
// marked UNCONFIRMED here, in the code and in the output.
//
// # Submit
//
// Submit(SubmitSpec) in order (submit.go):
//
//	validate (usage: exit 2)       role ARN, report and manifest locations,
//	                               operation, copy options, how the destination
//	                               prefix maps (a copy job writes
//	                               TargetKeyPrefix/SOURCE-KEY)
//	connect                        both sides as run.Connect does, then each
//	                               bucket's region from S3 (HeadBucket's
//	                               x-amz-bucket-region, a redirect's too): a
//	                               side in another region is made again there
//	                               (a region a flag gave is refused); S3
//	                               Control in the destination bucket's region
//	                               for a copy, the source bucket's for
//	                               replication; the account from STS
//	                               GetCallerIdentity unless given
//	earlier submit of this command (the state file, by submitKey):
//	  its job not ended           reported; nothing made (--yes confirms it);
//	                               its objects over 5 GiB copied if not yet
//	  no answer recorded          ListJobs for the token in its description,
//	                               else the recorded request sent again as it was
//	  --dry-run                   only reported: nothing sent or confirmed
//	preflight                      report and manifest buckets exist; replicate:
//	                               a replication rule covers the prefix and goes
//	                               to --to's bucket, versioning read
//	collect (run.Collect)          the copy's dry run over the source: listing,
//	                               --inventory, --manifest/--missing-manifest,
//	                               --checkpoint FILE --failed, a completion
//	                               report (retry); every object it would copy
//	                               is a row, those over 5 GiB a list apart
//	finalize, check, upload        rows bucket,key[,version], keys encoded with
//	                               %20/%2B, versions filled when needed
//	                               (replication on a versioned bucket, or mixed
//	                               rows; a null version is "null"): from a
//	                               listing with ListObjectVersions merged with
//	                               the rows sorted on disk, else a HEAD each;
//	                               read back as Batch Operations will before
//	                               CreateJob (each key decodes to itself with
//	                               path and form rules); put with SSE-S3, its
//	                               ETag taken for the job
//	large objects listed           --large-manifest, its SHA-256 in the record
//	record, CreateJob, record id   under the state file's lock: the file read
//	                               again, the token looked for (ListJobs), the
//	                               record (0600) first, then the job
//	large objects copied           --large-locally: run.Run copies them now,
//	                               resumable; the record says when done
//
// With --generate, no manifest is written: the job carries a
// ManifestGenerator (prefix, created-before, sizes up to 5 GiB, storage
// classes, replication statuses NONE,FAILED by default, eligible for
// replication for replicate jobs). An --inventory whose every row the dry
// run would copy (a CSV inventory of current versions, the whole bucket,
// no filter, nothing skipped, nothing over 5 GiB) is named as the job's
// manifest as it is, instead of a copy of it (unless UploadManifest).
//
// # Idempotence
//
// A submit has two identities. submitKey, from the command before
// anything is read (job spec, source, filters, account, region,
// endpoint), finds earlier submits of the same command in the state file.
// The ClientRequestToken (jobToken) hashes that key, an order-free digest
// of the manifest's rows and the attempt number (earlier submits of the
// key whose jobs ended): never the manifest object's ETag, which changes
// when a manifest is written again. The token's first 24 characters are in
// the job's description, so ListJobs finds the job when the state file
// did not get its id. The record is written before CreateJob; a CreateJob
// S3 refused (4xx) drops it, one without an answer keeps it, so a retried
// submit never makes a second job. CreateJob is sent holding the state
// file's lock (flock on STATE.lock) after reading the file again, so of
// two submits of one command at once the second takes the first's job;
// and after ListJobs found no job carrying the token that ended (one
// would be an earlier attempt's whose record is lost: the submit moves to
// the next attempt rather than get that old job back from S3).
//
// # Watching
//
// The job commands find a job's account, region and S3 Control endpoint
// in the state file's record of it (JobRef.State), unless given. Status
// and Wait read DescribeJob; their exit status is 0 for Complete without
// a failed task (or a job still running, for Status), 3 for Complete with
// failed tasks, 1 for Failed or Cancelled (and for a job S3 does not
// know: NotFoundException, or NoSuchJobException, which AWS's
// troubleshooting guide names: UNCONFIRMED which one). Wait tries again a
// DescribeJob error that may pass (5xx, throttling, the network) and
// exits ExitNotEnded (5) when it stops before the job ended (--timeout,
// or its state unknown for unknownLimit). Confirm of a job confirmed
// already does nothing. Report prints the job's task counts (DescribeJob)
// and reads the completion report with package inventory's reader (both
// column orders), streaming each results file through its MD5; its
// --failures manifest is written once all is read, all rows with version
// ids or none. Retry submits its failed tasks again through Submit with
// the completion report as the source, with the AWS settings its record
// keeps (flags win), or copies them with run.Run (--locally).
//
// # Policies
//
// PermissionPolicy grants only the source and destination prefixes, the
// manifest location, the report's job folders, an S3 Inventory read as a
// manifest (--inventory) and the KMS keys named; TrustPolicy lets
// batchoperations.s3.amazonaws.com assume the role. Submit says what a
// job needs beyond the defaults (versions, an inventory, ...) with the
// policy command that grants it. Policy creates the role with IAM when
// asked (tagged created-by=backfill-batchops), finishes one it created
// half, and never changes an existing one with other policies (its own
// two differing, other inline or attached ones) unless told (--update).
//
// # UNCONFIRMED, and what backfill does about it
//
//   - The copy job limit: "objects up to 5 GB" (UG); backfill keeps out
//     objects over 5 GiB, CopyObject's limit. Batch Replication documents
//     no limit; backfill keeps them out of every job all the same.
//   - TargetKeyPrefix joins the key with "/" (a boto3 issue shows it); the
//     prefix is sent without a trailing "/".
//   - SSE for copy jobs goes in NewObjectMetadata.SSEAlgorithm with
//     MetadataDirective COPY; that S3 keeps the source's metadata then is
//     UNCONFIRMED.
//   - What a copy job with a manifest generator needs in its role.
//   - The error code of an unknown job (see Watching).
//   - Prices (package cost): copies of the pricing page of unknown date.
//
// Credentials are never logged or stored; every file written is 0600.
package batchops
