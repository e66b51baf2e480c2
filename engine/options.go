package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3url"
)

// MaxCopyObjectSize is the largest object one CopyObject request copies
// (5 GiB, S3-FACTS §5). Larger objects need a multipart copy.
const MaxCopyObjectSize int64 = 5 << 30

// DefaultPartSize is the part size of multipart copies: as fast as any
// measured size on the test rig, with few requests (BENCHMARKS.md,
// "Choosing the multipart threshold and part size").
const DefaultPartSize int64 = 256 << 20

// DefaultConcurrency is the concurrency of callers that need a fixed
// number, such as verify's HEADs. Server-side copies of small objects are
// latency-bound: throughput is about concurrency / latency until the
// machine's CPU or S3's request rate is the limit, so a copy without a
// fixed Concurrency adapts it, from DefaultStartConcurrency (adapt.go).
const DefaultConcurrency = 256

// DefaultStartConcurrency is where an adaptive run starts: far from S3
// (100-200 ms) the knee lies between 1,000 and 2,048 in flight, and a
// start below it costs seconds of doublings (each with a transient of new
// connections); near S3 (25 ms) a start above the knee costs memory and
// some CPU until the controller's probe down, once a run, finds the knee
// below it (adapt.go; BENCHMARKS.md, "Concurrency that finds itself").
const DefaultStartConcurrency = 1024

// DefaultMaxConcurrency is the adaptive controller's ceiling: at 200 ms per
// request 2,048 copies in flight are 10,000 copies/s, more than two cores
// drive (BENCHMARKS.md, "Concurrency that finds itself").
const DefaultMaxConcurrency = 2048

// MinConcurrency is the adaptive controller's floor.
const MinConcurrency = minAdaptiveCap

// Options configure a copy run. The zero value of each field means its
// default.
type Options struct {
	Source, Dest s3url.URL
	// Concurrency fixes the requests in flight (copies, HEADs, parts).
	// 0 adapts it while the run goes on (adapt.go), from
	// DefaultStartConcurrency within [MinConcurrency, MaxConcurrency].
	Concurrency int
	// MaxConcurrency is the adaptive ceiling (0 = DefaultMaxConcurrency).
	MaxConcurrency int
	// Throttles, when set, returns how many answers the clients have had
	// throttled (SlowDown) so far, and SendRate their send-rate limit now
	// (requests/s, 0 = none): the adaptive controller backs off with them.
	Throttles func() int64
	SendRate  func() float64
	// OnConcurrency, when set, is told the concurrency in use at the start
	// and at every change (the GC's memory limit follows it: gctune).
	// It is called from one goroutine at a time.
	OnConcurrency func(n int)
	// Filter selects objects by relative key (nil = all).
	Filter *Filter
	// MinAge skips objects modified within MinAge of Start ("too-new");
	// objects modified after Start are always too new.
	MinAge time.Duration
	// Start is the run's start (zero = time.Now() when Run begins).
	Start time.Time
	// DryRun decides but copies nothing.
	DryRun bool

	// StorageClass for the copies; "" keeps each source object's class.
	StorageClass string
	// SSE is "", "AES256" or "aws:kms"; SSEKMSKeyID and BucketKey go with it.
	SSE         string
	SSEKMSKeyID string
	BucketKey   bool
	// ACL is a canned ACL for the copies ("" = none).
	ACL string
	// ExpectedSourceOwner / ExpectedDestOwner are account ids S3 checks.
	ExpectedSourceOwner string
	ExpectedDestOwner   string

	// MultipartThreshold: objects larger than this are copied in parts
	// (0 = MaxCopyObjectSize, the CopyObject limit).
	MultipartThreshold int64
	// PartSize of multipart copies (0 = DefaultPartSize); grown for objects
	// that would need more than 10,000 parts.
	PartSize int64
	// KeepPartLayout copies a source uploaded in parts with UploadPartCopy
	// over its own part ranges (learnt with a HEAD of its first part), at
	// any size, so the replica's ETag equals the source's and a verify can
	// compare them. Objects above MultipartThreshold whose source was
	// uploaded in parts keep its layout anyway when S3's limits allow.
	KeepPartLayout bool
	// PartConcurrency bounds the parts of one object in flight
	// (0 = max(4, Concurrency/4)), within the global Concurrency budget.
	PartConcurrency int
	// Logf, when set, receives messages worth a human's attention that are
	// not an object's result (e.g. an abort that failed).
	Logf func(format string, args ...any)
	// DeniedLimit: when this many copies in a row are denied before any
	// succeeds, Probe is asked whether the buckets themselves are denied
	// (0 = max(100, 2*Concurrency)).
	DeniedLimit int
	// Probe, when set, looks at both buckets (a listing of each): an error
	// stops the run as a whole (the credentials lost access to a bucket);
	// nil means the denials are the objects' own, and the run goes on. It
	// is called from the collector, at most once per DeniedLimit denials.
	Probe func(ctx context.Context) error

	// Checkpoint, when set, records every settled object and, with
	// TrackShards, each listing shard's watermark; it is also consulted to
	// skip objects an earlier run of the job copied ("done").
	Checkpoint Checkpoint
	// FreshCheckpoint says the checkpoint held no objects when the run
	// began, so there is nothing to look up per object.
	FreshCheckpoint bool
	// TrackShards records shard watermarks (sources that list in shards).
	TrackShards bool
	// IncludeArchived attempts objects in archive storage classes (GLACIER,
	// DEEP_ARCHIVE) instead of skipping them as "archived"; they copy only
	// when restored, and fail with InvalidObjectState otherwise.
	IncludeArchived bool

	// Resume names the shards the source resumes, with their watermarks.
	Resume []checkpoint.Shard
	// CommitEvery and CommitSize bound how long and how many settled
	// objects wait for the next checkpoint transaction (0 = 100ms, 2000).
	CommitEvery time.Duration
	CommitSize  int
}

// adaptive says the concurrency adapts (no fixed Concurrency).
func (o *Options) adaptive() bool { return o.Concurrency <= 0 }

// startConcurrency is the concurrency a run starts with.
func (o *Options) startConcurrency() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return min(DefaultStartConcurrency, max(o.MaxConcurrency, 1))
}

// Checkpoint is what the engine needs of a checkpoint store.
type Checkpoint interface {
	Lookup(key, versionID string) (checkpoint.Record, bool, error)
	Upload(key, versionID string) (checkpoint.Upload, bool, error)
	Apply(b *checkpoint.Batch) error
}

func (o Options) withDefaults() Options {
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	if o.Concurrency > 0 {
		o.MaxConcurrency = o.Concurrency
	}
	if o.MultipartThreshold <= 0 {
		o.MultipartThreshold = MaxCopyObjectSize
	}
	if o.PartSize <= 0 {
		o.PartSize = DefaultPartSize
	}
	if o.PartConcurrency <= 0 {
		o.PartConcurrency = max(4, o.startConcurrency()/4)
	}
	if o.DeniedLimit <= 0 {
		o.DeniedLimit = max(100, 2*o.startConcurrency())
	}
	if o.CommitEvery <= 0 {
		o.CommitEvery = 100 * time.Millisecond
	}
	if o.CommitSize <= 0 {
		o.CommitSize = 2000
	}
	return o
}

// ErrSameLocation is returned when source and destination overlap.
var ErrSameLocation = errors.New("source and destination overlap")

// Validate checks options that do not need S3 to be judged.
func (o Options) Validate() error {
	if o.Source.Bucket == "" || o.Dest.Bucket == "" {
		return errors.New("both a source and a destination are needed")
	}
	// Endpoints do not matter: a server-side copy is made by the
	// destination's endpoint reading the source bucket, so both sides are
	// one S3 namespace, where a bucket name is one bucket.
	if s3url.Overlaps(o.Source, o.Dest) {
		return fmt.Errorf("%w: %s and %s share keys (same bucket, one prefix inside the other); copy to another bucket or a prefix outside the source", ErrSameLocation, o.Source, o.Dest)
	}
	switch o.SSE {
	case "", "AES256", "aws:kms", "aws:kms:dsse":
	default:
		return fmt.Errorf("--sse %q: must be AES256, aws:kms or aws:kms:dsse", o.SSE)
	}
	if o.SSEKMSKeyID != "" && o.SSE != "aws:kms" && o.SSE != "aws:kms:dsse" {
		return errors.New("--sse-kms-key-id needs --sse aws:kms")
	}
	if o.BucketKey && o.SSE != "aws:kms" {
		return errors.New("--bucket-key needs --sse aws:kms")
	}
	if o.MinAge < 0 {
		return errors.New("--min-age must not be negative")
	}
	if o.Concurrency < 0 || o.MaxConcurrency < 0 {
		return errors.New("--concurrency and --max-concurrency must not be negative")
	}
	if o.PartSize != 0 && (o.PartSize < MinPartSize || o.PartSize > MaxPartSize) {
		return fmt.Errorf("--part-size %d: must be between 5 MiB and 5 GiB", o.PartSize)
	}
	if o.MultipartThreshold != 0 && (o.MultipartThreshold < MinPartSize || o.MultipartThreshold > MaxCopyObjectSize) {
		return fmt.Errorf("--multipart-threshold %d: must be between 5 MiB (S3 copies ranges of larger sources only) and 5 GiB (the CopyObject limit)", o.MultipartThreshold)
	}
	if o.StorageClass != "" && !slices.Contains(types.StorageClass("").Values(), types.StorageClass(o.StorageClass)) {
		return fmt.Errorf("--storage-class %q: not an S3 storage class (%s)", o.StorageClass, joinValues(types.StorageClass("").Values()))
	}
	if o.ACL != "" && !slices.Contains(types.ObjectCannedACL("").Values(), types.ObjectCannedACL(o.ACL)) {
		return fmt.Errorf("--acl %q: not a canned ACL (%s)", o.ACL, joinValues(types.ObjectCannedACL("").Values()))
	}
	return nil
}

func joinValues[T ~string](vs []T) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = string(v)
	}
	return strings.Join(ss, ", ")
}
