package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3url"
)

// SourceAPI is what the sources need of the source side's client: the
// listing, the inventory, manifest and report files (GetObject), and one
// HEAD per object a list names.
type SourceAPI interface {
	ListAPI
	HeadAPI
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ SourceAPI = (*s3.Client)(nil)

// Spec describes where a run's objects come from, as the user named it.
// At most one of Inventory, Manifest, CompletionReport and RetryFailed is
// set; none means a listing of both sides.
type Spec struct {
	From, To s3url.URL
	// Inventory is a local manifest.json, s3://.../manifest.json, or
	// s3://BUCKET/PREFIX/ (the newest delivery under it, or the one of
	// InventoryDate, a YYYY-MM-DD prefix of its folder name).
	Inventory     string
	InventoryDate string
	// Delivery is the delivery a resumed job started from (its
	// manifest.json, as Source.Delivery gave it): under a prefix, it is
	// read again instead of the newest, so a job that runs for days
	// resumes after the next delivery lands.
	Delivery string
	// Shard ("I/N"), ReplicationStatus (a comma-separated list) and
	// AllVersions go with Inventory.
	Shard             string
	ReplicationStatus string
	AllVersions       bool
	// ReplicaLookup is how an inventory run learns what the replica holds
	// (LookupList, LookupInventory, LookupHead; "" = list, or inventory
	// with DestInventory, or head with AllVersions). DestInventory (and
	// DestInventoryDate) name the replica's own inventory, in the forms
	// Inventory takes.
	ReplicaLookup                    string
	DestInventory, DestInventoryDate string
	// Manifest is an S3 Batch Operations CSV manifest (a file or s3://).
	Manifest string
	// CompletionReport is a Batch Operations completion report's
	// manifest.json (a file beside results/, or s3://).
	CompletionReport string
	// RetryFailed streams the objects the checkpoint records as failed.
	RetryFailed bool
	// IncludeArchived attempts objects an inventory shows in an archive
	// tier of INTELLIGENT_TIERING instead of skipping them.
	IncludeArchived bool
	// ExpectedSourceOwner / ExpectedReplicaOwner go with every request.
	ExpectedSourceOwner, ExpectedReplicaOwner string
}

// Validate checks what can be judged without S3: one source at most, the
// options that go with --inventory, and the form of each location. Its
// errors are the user's to fix (usage errors).
func (s Spec) Validate() error {
	n := 0
	for _, set := range []bool{s.Inventory != "", s.Manifest != "", s.CompletionReport != "", s.RetryFailed} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("--inventory, --manifest, --completion-report and --retry-failed are different sources: give one")
	}
	if (s.Shard != "" || s.ReplicationStatus != "" || s.AllVersions) && s.Inventory == "" {
		return errors.New("--shard, --replication-status and --all-versions go with --inventory")
	}
	if s.Shard != "" {
		if _, _, err := parseShard(s.Shard); err != nil {
			return err
		}
	}
	if s.ReplicationStatus != "" {
		if _, err := parseStatuses(s.ReplicationStatus); err != nil {
			return err
		}
	}
	if s.InventoryDate != "" && !strings.HasPrefix(s.Inventory, "s3://") {
		return errors.New("--inventory-date goes with --inventory s3://BUCKET/PREFIX/")
	}
	if err := s.validateLookup(); err != nil {
		return err
	}
	return s.validateLocations()
}

func (s Spec) validateLocations() error {
	if rest, ok := strings.CutPrefix(s.Inventory, "s3://"); ok {
		if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
			return fmt.Errorf("--inventory %q: no bucket", s.Inventory)
		}
	}
	if rest, ok := strings.CutPrefix(s.Manifest, "s3://"); ok {
		if bucket, key, _ := strings.Cut(rest, "/"); bucket == "" || key == "" {
			return fmt.Errorf("--manifest %q: want s3://BUCKET/KEY or a file", s.Manifest)
		}
	}
	if rest, ok := strings.CutPrefix(s.CompletionReport, "s3://"); ok {
		if bucket, key, _ := strings.Cut(rest, "/"); bucket == "" || !strings.HasSuffix(key, "manifest.json") {
			return fmt.Errorf("--completion-report %q: want s3://BUCKET/.../job-ID/manifest.json or a local manifest.json", s.CompletionReport)
		}
	}
	return nil
}

// State is what a source needs of the job's checkpoint. The run package
// adapts its checkpoint store to it; inventory never opens one.
type State interface {
	// Shards are the shards earlier runs of the job recorded: listing
	// prefixes, inventory data files ("file:KEY"), or --all-versions
	// partitions ("versions:NNNN").
	Shards() ([]ShardState, error)
	// Done reports an object an earlier run copied, as it was copied.
	Done(key, versionID string) (Object, bool, error)
	// EachFailed calls fn for every object the job records as failed now.
	EachFailed(fn func(key, versionID string, o Object) error) error
	// EachArchived calls fn for every object the job records as needing
	// a restore: skipped as archived, or failed because S3 refused to
	// copy an archive.
	EachArchived(fn func(key, versionID string, o Object) error) error
}

// ShardState is a shard as a checkpoint records it.
type ShardState struct {
	Prefix    string
	Depth     int
	Watermark string // relative key at or below which all is settled
	Mode      Mode
	Complete  bool
}

// Deps are the clients and the job state a source reads.
type Deps struct {
	Source SourceAPI // the source side
	// Replica is the destination side: listed by the listing source and an
	// inventory's LookupList; LookupInventory reads the replica's
	// inventory with it too, so it must then be a SourceAPI.
	Replica ListAPI
	// State is the job's checkpoint, or nil when the run keeps none. A
	// reset job passes an empty State.
	State State
}

// Source is an opened, checked source, ready to stream to the engine.
type Source struct {
	stream Streamer
	// Empty, when set, says the input names nothing to do (a note for the
	// summary).
	Empty string
	// Delivery is the inventory manifest.json --inventory resolved to: a
	// resume must read the same delivery.
	Delivery string
	// TrackShards: the stream sends shard events whose watermarks the
	// engine records; Resume are the shards it resumes.
	TrackShards bool
	Resume      []ShardState
	// ListingDone: the job's checkpoint says its listing is complete, so
	// nothing is listed.
	ListingDone bool
	// Notes are what the user should know of the source (a summary line
	// each).
	Notes []string
	// ReplicaLookup says how the run learns what the replica holds (a
	// plan prints it).
	ReplicaLookup string
	cleanup       func()
}

// Streamer is anything that streams entries: what a Source wraps.
type Streamer interface {
	Stream(ctx context.Context, out chan<- Entry) error
}

// NewSource wraps a stream of entries the caller made (a test's, or a
// command's own list) as a Source.
func NewSource(s Streamer) *Source { return &Source{stream: s} }

// Stream sends the source's entries on out until it is done or ctx is.
func (s *Source) Stream(ctx context.Context, out chan<- Entry) error {
	return s.stream.Stream(ctx, out)
}

// Close removes the temporary copies of files the source fetched.
func (s *Source) Close() {
	if s.cleanup != nil {
		s.cleanup()
	}
}

// Open opens the source spec names, and checks the whole input (every row
// of a manifest, report or inventory, every file's checksum) before
// returning: bad input is an error and nothing is streamed from it.
// A spec that does not pass Validate is refused.
func Open(ctx context.Context, spec Spec, deps Deps) (*Source, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	src, err := open(ctx, spec, deps)
	if err != nil || !spec.IncludeArchived || deps.State == nil || !src.TrackShards {
		return src, err
	}
	// A listing or inventory resumed from its checkpoint does not list
	// again what it settled, archived objects included: with
	// --include-archived (after a restore), those are tried first.
	src.stream = &archivedFirst{state: deps.State, refresher: spec.refresher(deps), rest: src.stream}
	if src.ListingDone || len(src.Resume) > 0 {
		src.Notes = append(src.Notes, "With --include-archived, the objects this job recorded as archived were tried again (restored ones copy; the others fail InvalidObjectState).")
	}
	return src, nil
}

func open(ctx context.Context, spec Spec, deps Deps) (*Source, error) {
	switch {
	case spec.Manifest != "":
		return openManifest(ctx, spec, deps)
	case spec.CompletionReport != "":
		return openReport(ctx, spec, deps)
	case spec.Inventory != "":
		return openInventory(ctx, spec, deps)
	case spec.RetryFailed:
		return openFailed(spec, deps)
	default:
		return openListing(spec, deps)
	}
}

func (s Spec) refresher(deps Deps) refresher {
	r := refresher{src: deps.Source, bucket: s.From.Bucket, prefix: s.From.Prefix, owner: s.ExpectedSourceOwner}
	if deps.State != nil {
		r.known = deps.State.Done
	}
	return r
}

func openFailed(spec Spec, deps Deps) (*Source, error) {
	if deps.State == nil {
		return nil, errors.New("--retry-failed needs the job's checkpoint")
	}
	return &Source{stream: &failedSource{state: deps.State, refresher: spec.refresher(deps)}, ReplicaLookup: lookupText(LookupHead, "")}, nil
}

// openListing lists both sides; with a checkpoint it records each shard
// and resumes the ones an earlier run left unfinished.
func openListing(spec Spec, deps Deps) (*Source, error) {
	l := &Lister{
		Source: deps.Source, SourceBkt: spec.From.Bucket, SourcePfx: spec.From.Prefix,
		Replica: deps.Replica, ReplicaBkt: spec.To.Bucket, ReplicaPfx: spec.To.Prefix,
		ExpectedSourceOwner: spec.ExpectedSourceOwner, ExpectedReplicaOwner: spec.ExpectedReplicaOwner,
	}
	src := &Source{stream: l, ReplicaLookup: "listed beside the source (the listing join)"}
	if deps.State == nil {
		return src, nil
	}
	src.TrackShards = true
	shards, err := deps.State.Shards()
	if err != nil || len(shards) == 0 {
		return src, err // never recorded a shard: list from the root
	}
	known := map[string]bool{}
	l.Resume = []ResumeShard{}
	for _, sh := range shards {
		known[sh.Prefix] = true
		if !sh.Complete {
			l.Resume = append(l.Resume, ResumeShard{Prefix: sh.Prefix, Depth: sh.Depth, After: sh.Watermark, Mode: sh.Mode})
			src.Resume = append(src.Resume, sh)
		}
	}
	l.Known = func(p string) bool { return known[p] }
	src.ListingDone = len(l.Resume) == 0
	return src, nil
}
