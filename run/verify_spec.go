package run

import (
	"errors"
	"fmt"
	"time"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

// DefaultVerifyMinAge is the delay given to replication before a new
// object is expected in the replica (setup check measures the right one).
const DefaultVerifyMinAge = time.Hour

// DefaultHeadUndecided: by default a listing verify makes listing
// requests only, and a pair of one size with other single-part ETags is
// unverified; --head-undecided N reads up to N such pairs with a HEAD per
// side (10,000 is enough for the rewrites of a replica that is nearly
// whole, and never a HEAD per object of one whose objects are all
// SSE-KMS, whose ETags always differ).
const DefaultHeadUndecided = 0

// VerifySpec describes one verify run: the two sides, where each is read
// from, the comparison, the repair and the outputs.
type VerifySpec struct {
	From, To s3url.URL
	// Inventory / DestInventory read a side from an S3 Inventory delivery
	// (the same locations as copy's --inventory) instead of listing it;
	// the dates pick a delivery under a prefix.
	Inventory, InventoryDate         string
	DestInventory, DestInventoryDate string
	// MinAge: primary objects modified within it are too new to be
	// expected in the replica (never a difference).
	MinAge time.Duration
	// Deep reads each compared object with a HEAD on each side: checksums,
	// headers, metadata, tag count, replication status.
	Deep bool
	// HeadUndecided: without Deep, at most this many pairs that only
	// their encryption can decide (the same size, other single-part
	// ETags) are read with a HEAD per side, over a run and its resumes;
	// past it they stay unverified (0, the default: none is read, the
	// verify makes listing requests only).
	HeadUndecided int
	// Fix copies what differs through the engine, then checks those keys
	// again; DryRun only says what it would copy; OverwriteNewer lets it
	// replace replica-newer objects.
	Fix, DryRun, OverwriteNewer bool
	// Strict counts unverified objects as differences.
	Strict bool
	// Checkpoint makes the verify resumable ("" = none); Reset starts it
	// over.
	Checkpoint string
	Reset      bool
	Output     VerifyOutput
	Progress   bool
	// Engine are the copy options of --fix (concurrency, multipart, ...);
	// its Concurrency also bounds --deep's HEADs in flight.
	Engine engine.Options
	// SortMemory bounds each inventory side's sort in memory (0 = 32 MiB).
	SortMemory int64
	// Debug shows errors in full.
	Debug            bool
	AWS              awsconf.Options
	SrcSide, DstSide awsconf.Side
}

// VerifyOutput says where a verify's results go.
type VerifyOutput struct {
	JSON            bool
	Report          string // JSON report (0600)
	Diff            string // CSV of every difference, extra and unverified object (0600)
	MissingManifest string // Batch Operations manifest of what must be copied (0600)
	MetricsFile     string // Prometheus textfile (written atomically)
}

// Validate checks the spec without S3 (usage errors) and fills in the
// engine's locations for --fix.
func (s *VerifySpec) Validate() error {
	if s.From.Bucket == "" || s.To.Bucket == "" {
		return usage(errors.New("--from and --to are required"))
	}
	if s3url.Overlaps(s.From, s.To) {
		return usage(fmt.Errorf("%w: %s and %s share keys", engine.ErrSameLocation, s.From, s.To))
	}
	if s.HeadUndecided < 0 {
		return usage(errors.New("--head-undecided must not be negative"))
	}
	if s.MinAge < 0 {
		return usage(errors.New("--min-age must not be negative"))
	}
	if s.DryRun && !s.Fix {
		return usage(errors.New("--dry-run goes with --fix (a verify without --fix changes nothing)"))
	}
	if s.OverwriteNewer && !s.Fix {
		return usage(errors.New("--overwrite-newer goes with --fix"))
	}
	for _, inv := range []struct{ flag, loc, date string }{{"--inventory", s.Inventory, s.InventoryDate}, {"--dest-inventory", s.DestInventory, s.DestInventoryDate}} {
		if inv.date != "" && inv.loc == "" {
			return usage(fmt.Errorf("%s-date goes with %s", inv.flag, inv.flag))
		}
		if err := (inventory.Spec{Inventory: inv.loc, InventoryDate: inv.date}).Validate(); err != nil {
			return usage(fmt.Errorf("%s: %w", inv.flag, err))
		}
	}
	if s.Engine.Concurrency < 1 || s.Engine.Concurrency > MaxConcurrency {
		return usage(fmt.Errorf("--concurrency %d: must be between 1 and %d", s.Engine.Concurrency, MaxConcurrency))
	}
	if err := checkEndpoints(s.AWS, s.SrcSide, s.DstSide); err != nil {
		return err
	}
	s.Engine.Source, s.Engine.Dest, s.Engine.MinAge, s.Engine.DryRun = s.From, s.To, s.MinAge, s.DryRun
	// A repaired object must verify: copied over its source's part
	// ranges, its ETag is the source's.
	s.Engine.KeepPartLayout = true
	if err := s.Engine.Validate(); err != nil {
		return usage(err)
	}
	return nil
}

// jobSpec is a verify's identity in its checkpoint: what a resumed run
// must match.
func (s *VerifySpec) jobSpec(sides *Sides) checkpoint.Spec {
	flag := func(b bool) string { return map[bool]string{true: "true"}[b] }
	return checkpoint.Spec{
		"command":              "verify",
		"source":               s.From.String(),
		"destination":          s.To.String(),
		"source-endpoint":      normalEndpoint(sides.SourceEndpoint),
		"destination-endpoint": normalEndpoint(sides.DestEndpoint),
		"inventory":            s.Inventory,
		"inventory-date":       s.InventoryDate,
		"dest-inventory":       s.DestInventory,
		"dest-inventory-date":  s.DestInventoryDate,
		"min-age":              s.MinAge.String(),
		"deep":                 flag(s.Deep),
		"head-undecided":       map[bool]string{true: fmt.Sprint(s.HeadUndecided)}[s.HeadUndecided > 0 && !s.Deep],
		"strict":               flag(s.Strict),
	}
}

// copySpec is the copy description Connect and the preflight read.
func (s *VerifySpec) copySpec() *Spec {
	return &Spec{From: s.From, To: s.To, Engine: s.Engine, AWS: s.AWS, SrcSide: s.SrcSide, DstSide: s.DstSide}
}
