// Package cost prices the three ways backfill can fill a replica (a local
// copy, an S3 Batch Operations copy job, Batch Replication) for what a
// plan counted, and recommends one in a line with its reason.
//
// Prices come from S3-FACTS.md section 9 (copies of the S3 pricing page of
// unknown date, us-east-1): every estimate carries Prices.Source, which
// says so, and Load lays a --price-file over them. The rules (S3-FACTS 9):
// a copy's request is billed at the destination object's storage class;
// LIST at the STANDARD PUT rate; each multipart request as a PUT; reading
// an infrequent-access source adds a retrieval fee per GB; the transfer
// between regions is billed per GB (none within a region); a Batch
// Operations job costs a fee per job and per million objects, a generated
// manifest per million objects in the source bucket; Batch Replication
// costs what live replication costs (a PUT to the destination, a PUT and
// up to five GET/HEAD to the source per object) plus those fees.
//
// Time: a local copy's rate is the lower of concurrency / the latency the
// plan measured (at the 84% of that limit BENCHMARKS.md measured) and the
// CPUs / the CPU per request (measured, at least the benchmark's 200 µs);
// with too few requests timed, the benchmark's 1,034 requests/s. AWS
// publishes no throughput for Batch Operations nor a length for its
// Preparing phase, so a job's time is "unknown", never invented. Objects
// over 5 GiB never go into a copy job: every option copies them locally.
//
// The package does no I/O but Load's read of the price file.
package cost
