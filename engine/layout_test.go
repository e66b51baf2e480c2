package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// layoutSource answers a HEAD of part 1 with the source's part layout.
type layoutSource struct {
	*fakeSource
	partSize int64
	parts    int32
}

func (l *layoutSource) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if in.PartNumber != nil {
		return &s3.HeadObjectOutput{ContentLength: aws.Int64(l.partSize), PartsCount: aws.Int32(l.parts)}, nil
	}
	return l.fakeSource.HeadObject(ctx, in, o...)
}

func partRanges(ops []string) []string {
	var rs []string
	for _, op := range ops {
		if f := strings.Fields(op); f[0] == "UploadPartCopy" {
			rs = append(rs, f[2])
		}
	}
	slices.Sort(rs)
	return rs
}

// A source uploaded in parts is copied over its own part ranges (so the
// replica's ETag is the source's): below the threshold with
// KeepPartLayout, above it by default; a layout S3 cannot copy that way
// (unequal parts) falls back to the part size.
func TestCopiesKeepTheSourcesPartLayout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int64
		etag   string
		keep   bool
		layout int64 // part 1's length
		want   []string
	}{
		{"kept below the threshold", 9 << 20, `"x-2"`, true, 6 << 20, []string{"bytes=0-6291455", "bytes=6291456-9437183"}},
		{"not kept without the flag", 9 << 20, `"x-2"`, false, 6 << 20, nil},
		{"default above the threshold", 23 << 20, `"x-3"`, false, 8 << 20, []string{"bytes=0-8388607", "bytes=16777216-24117247", "bytes=8388608-16777215"}},
		{"unequal parts fall back", 23 << 20, `"x-3"`, false, 6 << 20, []string{"bytes=0-5242879", "bytes=10485760-15728639", "bytes=15728640-20971519", "bytes=20971520-24117247", "bytes=5242880-10485759"}},
	} {
		fc := &fakeCopier{}
		o := mpOpts()
		o.KeepPartLayout = tc.keep
		src := &layoutSource{fakeSource: bigSource(), partSize: tc.layout, parts: int32(etagParts(tc.etag))}
		e, _ := New(fc, src, o, nil)
		sum, err := e.Run(t.Context(), sliceSource{entry("m.mov", tc.size, tc.etag, time.Hour)})
		if err != nil || sum.Copied != 1 {
			t.Fatalf("%s: %+v %v", tc.name, sum, err)
		}
		if got := partRanges(fc.mp.ops); !slices.Equal(got, tc.want) {
			t.Errorf("%s: parts %v, want %v", tc.name, got, tc.want)
		}
		if tc.want == nil && len(fc.calls) != 1 {
			t.Errorf("%s: %d CopyObject", tc.name, len(fc.calls))
		}
	}
}
