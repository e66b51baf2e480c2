package verify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// TaggingAPI reads an object's tags: --deep's request for the pairs whose
// HEADs show the same number of tags on both sides.
type TaggingAPI interface {
	GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
}

var _ TaggingAPI = (*s3.Client)(nil)

// NeedsTags reports a pair whose tags only their sets can compare: both
// read with a HEAD, the same size, and the same non-zero tag count (a
// different count is already a difference; none on both is the same).
func NeedsTags(p Pair) bool {
	s, d := p.Src, p.Dst
	return s != nil && d != nil && s.Deep && d.Deep && s.Size == d.Size && s.TagCount > 0 && s.TagCount == d.TagCount
}

// Tags reads o's tag set (GetObjectTagging of the current version) into
// o.Tags. A 404 is ErrGone; an answer about the whole run is a
// *s3err.RunError.
func Tags(ctx context.Context, c TaggingAPI, bucket, owner string, o *Obj) error {
	in := &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(o.Key)}
	if owner != "" {
		in.ExpectedBucketOwner = aws.String(owner)
	}
	out, err := c.GetObjectTagging(ctx, in)
	if err != nil {
		if re := s3err.AsRunError(fmt.Sprintf("read the tags of s3://%s/%s", bucket, o.Key), err); re != nil {
			return re
		}
		if s3err.IsNotFound(s3err.Code(err)) {
			return ErrGone
		}
		return fmt.Errorf("GetObjectTagging s3://%s/%s: %s: %w", bucket, o.Key, s3err.Code(err), err)
	}
	o.Tags = make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		o.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return nil
}
