package run

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
	"github.com/backfill-dev/backfill/report"
)

// MaxConcurrency bounds --concurrency and --max-concurrency.
const MaxConcurrency = 16384

// Spec describes one copy run (or plan) completely: what the user asked
// for, after the flags were read. Run never looks anywhere else.
type Spec struct {
	// Plan runs the copy's decisions as a dry run and prints a plan
	// (counts, sizes, storage classes, requests) instead of a summary.
	Plan bool
	From s3url.URL
	To   s3url.URL
	// Include and Exclude are the globs behind Engine.Filter, kept for the
	// job's identity.
	Include, Exclude []string
	// Engine are the copy options; Source, Dest and the checkpoint fields
	// are filled in by Run.
	Engine engine.Options
	// Source names where the objects come from (From and To are copied in).
	Source inventory.Spec
	// Checkpoint is the checkpoint file ("" = none); Reset empties it first.
	Checkpoint string
	Reset      bool
	// Output is where the results go; From, To and DryRun are filled in.
	Output report.Options
	// Progress shows a progress bar or status lines on stderr.
	Progress bool
	// AWS settings for both sides, and each side's own.
	AWS              awsconf.Options
	SrcSide, DstSide awsconf.Side
	// Advise, when set, is asked after a plan for advice printed with it
	// (the cost of each way to copy and a recommendation, from batchops).
	Advise func(ctx context.Context, f PlanFacts) (Advice, error)
}

// Validate checks the spec without S3 (its errors are usage errors) and
// fills in the fields derived from others: the engine's locations and
// filter (from Include and Exclude, the job's identity, so the two never
// disagree), a plan's dry run, the source's and the output's locations
// and owners.
func (s *Spec) Validate() error {
	filter, err := engine.NewFilter(s.Include, s.Exclude)
	if err != nil {
		return usage(err)
	}
	s.Engine.Filter = filter
	if s.Plan {
		s.Engine.DryRun = true // a plan never copies
	}
	s.Engine.Source, s.Engine.Dest = s.From, s.To
	s.Source.From, s.Source.To = s.From, s.To
	s.Source.IncludeArchived = s.Engine.IncludeArchived
	s.Source.ExpectedSourceOwner, s.Source.ExpectedReplicaOwner = s.Engine.ExpectedSourceOwner, s.Engine.ExpectedDestOwner
	s.Output.From, s.Output.To, s.Output.DryRun = s.From, s.To, s.Engine.DryRun
	if c := s.Engine.Concurrency; c < 0 || c > MaxConcurrency {
		return usage(fmt.Errorf("--concurrency %d: must be between 1 and %d (0 or none: adaptive)", c, MaxConcurrency))
	}
	if c := s.Engine.MaxConcurrency; c < 0 || c > MaxConcurrency || c > 0 && c < engine.MinConcurrency {
		return usage(fmt.Errorf("--max-concurrency %d: must be between %d and %d", c, engine.MinConcurrency, MaxConcurrency))
	}
	if s.Engine.Concurrency > 0 && s.Engine.MaxConcurrency > 0 {
		return usage(errors.New("--concurrency fixes the requests in flight, --max-concurrency bounds the adaptive ones: give one"))
	}
	if s.AWS.MaxAttempts < 1 {
		return usage(errors.New("--max-attempts must be at least 1"))
	}
	if err := checkEndpoints(s.AWS, s.SrcSide, s.DstSide); err != nil {
		return err
	}
	if err := s.Engine.Validate(); err != nil {
		return usage(err)
	}
	if err := s.Source.Validate(); err != nil {
		return usage(err)
	}
	if s.Checkpoint == "" && (s.Reset || s.Source.RetryFailed) {
		return usage(errors.New("--reset and --retry-failed need a checkpoint"))
	}
	return nil
}

// checkEndpoints refuses an endpoint flag that is not a URL with a scheme
// and a host: "localhost:9000" would otherwise reach the SDK as a URL of
// scheme "localhost" and fail on every request with a puzzling message.
func checkEndpoints(o awsconf.Options, src, dst awsconf.Side) error {
	for _, f := range []struct{ flag, value string }{
		{"--endpoint-url", o.Endpoint}, {"--source-endpoint-url", src.Endpoint}, {"--dest-endpoint-url", dst.Endpoint},
	} {
		if f.value == "" {
			continue
		}
		u, err := url.Parse(f.value)
		switch {
		case !strings.Contains(f.value, "://"):
			return Usagef("%s %q needs a scheme: http://%s or https://%s", f.flag, f.value, f.value, f.value)
		case err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			return Usagef("%s %q: want http:// or https:// and a host", f.flag, f.value)
		}
	}
	return nil
}
