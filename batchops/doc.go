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
//	connect                        both sides as run.Connect does; S3 Control
//	                               in the destination's region for a copy,
//	                               the source's for replication; the account
//	                               from STS GetCallerIdentity unless given
//	earlier submit of this command (the state file, by submitKey):
//	  its job not ended           reported; nothing made (--yes confirms it)
//	  no answer recorded          ListJobs for the token in its description,
//	                               else the recorded request sent again as it was
//	preflight                      report and manifest buckets exist; replicate:
//	                               a replication rule covers the prefix and goes
//	                               to --to's bucket, versioning read
//	collect (run.Collect)          the copy's dry run over the source: listing,
//	                               --inventory, --manifest/--missing-manifest,
//	                               --checkpoint FILE --failed, a completion
//	                               report (retry); every object it would copy
//	                               is a row, those over 5 GiB a list apart
//	finalize, check, upload        rows bucket,key[,version], keys encoded with
//	                               %20/%2B, versions filled by HEAD when needed
//	                               (replication on a versioned bucket, or mixed
//	                               rows; a null version is "null"); read back as
//	                               Batch Operations will before CreateJob; put
//	                               with SSE-S3, its ETag taken for the job
//	record, CreateJob, record id   the state file (0600) first, then the job
//	large objects                  --large-locally: run.Run copies them now
//
// With --generate, no manifest is written: the job carries a
// ManifestGenerator (prefix, created-before, sizes up to 5 GiB, storage
// classes, replication statuses NONE,FAILED by default, eligible for
// replication for replicate jobs). An --inventory whose every row the dry
// run would copy (a CSV inventory of current versions, the whole bucket,
// no filter, nothing skipped, nothing over 5 GiB) is named as the job's
// manifest as it is, instead of a copy of it.
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
// submit never makes a second job.
//
// # Watching
//
// Status and Wait read DescribeJob; their exit status is 0 for Complete
// without a failed task (or a job still running, for Status), 3 for
// Complete with failed tasks, 1 for Failed or Cancelled (and for a job S3
// does not know: NotFoundException, or NoSuchJobException, which AWS's
// troubleshooting guide names: UNCONFIRMED which one). Report reads the
// completion report with package inventory's reader (both column orders);
// Retry submits its failed tasks again through Submit with the completion
// report as the source, or copies them with run.Run (--locally).
//
// # Policies
//
// PermissionPolicy grants only the source and destination prefixes, the
// manifest and report locations and the KMS keys named; TrustPolicy lets
// batchoperations.s3.amazonaws.com assume the role. Policy creates the
// role with IAM when asked, and never changes an existing one unless
// told (--update).
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
