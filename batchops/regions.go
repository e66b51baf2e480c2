package batchops

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/run"
)

// errNoBucket: S3 says the bucket does not exist.
var errNoBucket = errors.New("no such bucket")

// regionAPI asks S3 where a bucket is.
type regionAPI interface {
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, optFns ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
}

// bucketRegion is the region S3 says bucket is in: HeadBucket's
// x-amz-bucket-region, which S3 sends with its answer, and also with the
// redirect or refusal it answers a request signed for another region (or
// without the permission to list the bucket). "" when the server names
// none (a server other than AWS's may not).
func bucketRegion(ctx context.Context, api regionAPI, bucket string) (string, error) {
	out, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return aws.ToString(out.BucketRegion), nil
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" {
			return r, nil
		}
	}
	switch s3err.Code(err) {
	case "NoSuchBucket", "NotFound", "HTTP404":
		return "", fmt.Errorf("%w: bucket %q does not exist", errNoBucket, bucket)
	}
	return "", fmt.Errorf("find the region of bucket %q (HeadBucket): %w", bucket, err)
}

// sideRegion is one side's region as configured and as S3 says it is.
type sideRegion struct {
	side   string // "source" or "destination"
	bucket string
	flag   string // the flag that gave Given ("" none)
	// Given is the region a flag set (--source-region, --dest-region or
	// --region); Client the region the side's client was made with
	// (Given, else the SDK's chain: AWS_REGION, the profile's).
	Given, Client string
	// Actual is the bucket's own region ("" the server did not say).
	Actual string
}

// decide is the region the side's requests (and a job in it) must go to:
// the bucket's own. A region a flag gave that is not the bucket's is
// refused (a usage error: nothing is made); a region the SDK's chain gave
// (AWS_REGION, a profile) is replaced by the bucket's, with a note.
func (r sideRegion) decide() (region, note string, err error) {
	switch {
	case r.Actual == "" || r.Actual == r.Client:
		return r.Client, "", nil
	case r.Given != "":
		return "", "", run.Usagef("%s %s: the %s bucket %s is in %s (S3 says so): give %s %s; nothing was submitted",
			r.flag, r.Given, r.side, r.bucket, r.Actual, flagFor(r.side), r.Actual)
	}
	return r.Actual, fmt.Sprintf("The %s bucket %s is in %s (the AWS configuration says %s): its requests go to %s.",
		r.side, r.bucket, r.Actual, orNone(r.Client), r.Actual), nil
}

func flagFor(side string) string {
	if side == "source" {
		return "--source-region"
	}
	return "--dest-region"
}

func orNone(s string) string {
	if s == "" {
		return "no region"
	}
	return s
}

// givenRegion is the region a flag gave one side: its own flag, else
// --region; and the flag's name.
func givenRegion(own, shared, ownFlag string) (region, flag string) {
	switch {
	case own != "":
		return own, ownFlag
	case shared != "":
		return shared, "--region"
	}
	return "", ""
}

// bucketRegions asks S3 where both buckets are (HeadBucket), and makes
// again the clients of a side whose region was not the bucket's. A
// region a flag gave that is not the bucket's is refused (decide).
func (b *submit) bucketRegions(ctx context.Context, sides *run.Sides) (*run.Sides, error) {
	s := &b.spec.Run
	src := sideRegion{side: "source", bucket: s.From.Bucket, Client: sides.SourceRegion}
	src.Given, src.flag = givenRegion(s.SrcSide.Region, s.AWS.Region, "--source-region")
	dst := sideRegion{side: "destination", bucket: s.To.Bucket, Client: sides.DestRegion}
	dst.Given, dst.flag = givenRegion(s.DstSide.Region, s.AWS.Region, "--dest-region")
	var regions [2]string
	for i, p := range []struct {
		r   *sideRegion
		api any
	}{{&src, sides.Source}, {&dst, sides.Dest}} {
		if api, ok := p.api.(regionAPI); ok {
			actual, err := bucketRegion(ctx, api, p.r.bucket)
			switch {
			case err == nil:
				p.r.Actual = actual
			case errors.Is(err, errNoBucket):
				return nil, &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("%s s3://%s: %w; nothing was submitted", p.r.side, p.r.bucket, err)}
			case p.r.Given != "":
				b.out.note("The region of the %s bucket %s could not be read (%v): taking %s %s as it is.", p.r.side, p.r.bucket, err, p.r.flag, p.r.Given)
			default:
				return nil, &run.ExitError{Code: exitcode.Failed, Err: fmt.Errorf("%s s3://%s: %w (give %s REGION); nothing was submitted", p.r.side, p.r.bucket, err, flagFor(p.r.side))}
			}
		}
		region, note, err := p.r.decide()
		if err != nil {
			return nil, err
		}
		if note != "" {
			b.out.note("%s", note)
		}
		regions[i] = region
	}
	if regions[0] == sides.SourceRegion && regions[1] == sides.DestRegion {
		return sides, nil
	}
	s.SrcSide.Region, s.DstSide.Region = regions[0], regions[1]
	return connectSides(ctx, s)
}
