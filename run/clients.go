package run

import (
	"context"
	"errors"
	"fmt"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/inventory"
)

// API is what a run needs of one side's S3 client: the sources' reads,
// the engine's copies and the source-side reads of multipart copies.
// *awsconf.Client is one; tests give fakes.
type API interface {
	inventory.SourceAPI
	engine.CopyAPI
	engine.SourceAPI
}

var _ API = (*awsconf.Client)(nil)

// Sides are a run's clients: one per side, each for its own region,
// endpoint and credentials.
type Sides struct {
	Source, Dest API
	// SourceEndpoint and DestEndpoint are the S3 endpoints each side's
	// client sends to ("" for AWS's own): part of a job's identity, so a
	// checkpoint made against one server is never taken for another's.
	SourceEndpoint, DestEndpoint string
	// SourceRegion and DestRegion are each side's region ("" unknown):
	// a plan prices inter-region transfer with them.
	SourceRegion, DestRegion string
	// Requests, when set, counts the requests both clients make (plan).
	Requests *awsconf.Requests
	// SourceThrottle and DestThrottle, when set, count each side's
	// throttled answers and show its send-rate limit (the engine's
	// concurrency controller backs off with them).
	SourceThrottle, DestThrottle *awsconf.ThrottleStats
}

// Connector makes the clients of a run's two sides.
type Connector func(ctx context.Context, s *Spec) (*Sides, error)

// Connect is the Connector of real runs: SDK clients from the AWS
// settings, and a check on each side that credentials exist (one side
// after the other: an interactive credential_process asks once at a time).
func Connect(ctx context.Context, s *Spec) (*Sides, error) {
	ao := s.AWS
	ao.Connections = max(s.Engine.Concurrency, s.Engine.MaxConcurrency, engine.DefaultConcurrency)
	if s.Engine.Concurrency == 0 && s.Engine.MaxConcurrency == 0 {
		ao.Connections = engine.DefaultMaxConcurrency
	}
	sides := &Sides{SourceThrottle: &awsconf.ThrottleStats{}, DestThrottle: &awsconf.ThrottleStats{}}
	if s.Plan {
		sides.Requests = &awsconf.Requests{}
		ao.Requests = sides.Requests
	}
	sao := ao
	sao.Throttle = sides.SourceThrottle
	src, err := awsconf.New(ctx, sao, s.SrcSide, s.From.Bucket)
	if err != nil {
		return nil, err
	}
	dao := ao
	dao.CopyOutputUnread = true // the engine reads only CopyObject's error
	dao.Throttle = sides.DestThrottle
	dst, err := awsconf.New(ctx, dao, s.DstSide, s.To.Bucket)
	if err != nil {
		return nil, err
	}
	if err := checkCredentials(ctx, src, s.From, "source"); err != nil {
		return nil, err
	}
	if err := checkCredentials(ctx, dst, s.To, "destination"); err != nil {
		return nil, err
	}
	sides.Source, sides.Dest = src, dst
	sides.SourceEndpoint, sides.DestEndpoint = src.Endpoint, dst.Endpoint
	sides.SourceRegion, sides.DestRegion = src.Config.Region, dst.Config.Region
	return sides, nil
}

func checkCredentials(ctx context.Context, c *awsconf.Client, u s3url.URL, side string) error {
	if err := c.CheckCredentials(ctx); err != nil {
		return fmt.Errorf("%s %s: %w (set AWS_PROFILE, --%s-profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)", side, u, err, shortSide(side))
	}
	return nil
}

func shortSide(side string) string {
	if side == "destination" {
		return "dest"
	}
	return side
}

// preflightBoth makes sure both buckets answer a listing before any copy
// starts, so a run-level problem stops the run with one clear message. The
// buckets are probed at once (one round trip, not two); a source that
// fails is the error reported, and the destination's probe is cancelled.
func preflightBoth(ctx context.Context, sides *Sides, s *Spec) error {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var dstErr error
	dstLooked := make(chan struct{})
	go func() {
		defer close(dstLooked)
		dstErr = preflight(dctx, sides.Dest, s.To, s.Engine.ExpectedDestOwner, "destination")
	}()
	if err := preflight(ctx, sides.Source, s.From, s.Engine.ExpectedSourceOwner, "source"); err != nil {
		cancel()
		<-dstLooked
		return err
	}
	<-dstLooked
	return dstErr
}

// preflight lists at most one object of the bucket: a missing bucket or a
// denied listing fails here, clearly.
func preflight(ctx context.Context, c inventory.ListAPI, u s3url.URL, owner, side string) error {
	l := &inventory.Lister{Source: c, SourceBkt: u.Bucket, SourcePfx: u.Prefix, PageSize: 1, ExpectedSourceOwner: owner}
	err := l.Probe(ctx)
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("%s %s", side, u)
	if re := s3err.AsRunError(what, err); re != nil {
		if re.Code == "NoSuchBucket" {
			re.Hint = fmt.Sprintf("bucket %q does not exist", u.Bucket)
		}
		return re
	}
	switch code := s3err.Code(err); code {
	case "AccessDenied", "HTTP403":
		return &s3err.RunError{What: what, Code: code, Hint: "access denied: the credentials cannot list this bucket", Err: err}
	case "HTTP404", "NotFound":
		return &s3err.RunError{What: what, Code: code, Hint: fmt.Sprintf("bucket %q does not exist", u.Bucket), Err: err}
	}
	var re *s3err.RunError
	if errors.As(err, &re) {
		return re
	}
	return &s3err.RunError{What: what, Hint: "cannot list the bucket", Err: err}
}
