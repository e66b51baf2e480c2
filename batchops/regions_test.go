package batchops

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/run"
)

// connectFor runs a submit's connect against fake sides (src in
// eu-west-1, dst in us-west-2, AWS_REGION as ambient) and a fake S3
// Control, and returns the submit, the S3 Control regions dialled and
// the (source, destination) regions of each S3 connection.
func connectFor(t *testing.T, s *SubmitSpec, ambient string) (*submit, error, []string, [][2]string, string) {
	t.Helper()
	f := newFakeS3()
	made := useSides(t, f, ambient, map[string]string{"src": "eu-west-1", "dst": "us-west-2"})
	regions := useControl(t, newFakeControl())
	s.State = filepath.Join(t.TempDir(), "state.json")
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b := &submit{spec: s, out: newPrinter(&out, false)}
	err := b.connect(context.Background())
	return b, err, *regions, *made, out.String()
}

// A copy job is made in the destination bucket's region and a replicate
// job in the source bucket's, as S3 says they are (HeadBucket's
// x-amz-bucket-region, on a redirect too), not in the region AWS_REGION
// gives; each side's client is made again in its bucket's region.
func TestJobRegionIsTheBucketsRegion(t *testing.T) {
	b, err, regions, made, out := connectFor(t, validSubmit(t), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(regions) != 1 || regions[0] != "us-west-2" || b.ctl.region != "us-west-2" {
		t.Errorf("copy job's S3 Control regions %v, want us-west-2 (the destination's)", regions)
	}
	if len(made) != 2 || made[1] != [2]string{"eu-west-1", "us-west-2"} || b.sides.DestRegion != "us-west-2" {
		t.Errorf("S3 connections %v: the destination's client is not in its bucket's region", made)
	}
	if !strings.Contains(out, "destination bucket dst is in us-west-2 (the AWS configuration says eu-west-1)") {
		t.Errorf("no note of the region found:\n%s", out)
	}
	rec := b.newRecord(strings.Repeat("t", 64), nil, 0, 0)
	if rec.Region != "us-west-2" || rec.AWS.Dest.Region != "us-west-2" || rec.AWS.Source.Region != "eu-west-1" {
		t.Errorf("recorded regions %s %+v", rec.Region, rec.AWS)
	}

	s := validSubmit(t)
	s.Job.Operation, s.Run.To = Replicate, loc(t, "s3://dst")
	_, err, regions, _, _ = connectFor(t, s, "us-west-2")
	if err != nil || len(regions) != 1 || regions[0] != "eu-west-1" {
		t.Errorf("replicate job's S3 Control regions %v (%v), want eu-west-1 (the source's)", regions, err)
	}
}

// A region a flag gave that is not the bucket's is refused: a usage
// error naming both, and no S3 Control connection.
func TestJobRegionFlagDisagrees(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*SubmitSpec)
		want string
	}{
		{"dest", func(s *SubmitSpec) { s.Run.DstSide.Region = "eu-west-1" }, "--dest-region eu-west-1: the destination bucket dst is in us-west-2"},
		{"shared", func(s *SubmitSpec) { s.Run.AWS.Region = "eu-west-1" }, "--region eu-west-1: the destination bucket dst is in us-west-2 (S3 says so): give --dest-region us-west-2"},
		{"source", func(s *SubmitSpec) { s.Run.SrcSide.Region = "us-east-1" }, "--source-region us-east-1: the source bucket src is in eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSubmit(t)
			tc.mod(s)
			_, err, regions, _, _ := connectFor(t, s, "")
			if err == nil || run.ExitCode(err) != exitcode.Usage || !strings.Contains(err.Error(), tc.want) || len(regions) != 0 {
				t.Errorf("%v (exit %d), S3 Control regions %v; want a usage error with %q", err, run.ExitCode(err), regions, tc.want)
			}
		})
	}
	// the flags that agree with S3 are taken as they are
	s := validSubmit(t)
	s.Run.SrcSide.Region, s.Run.DstSide.Region = "eu-west-1", "us-west-2"
	if _, err, regions, made, _ := connectFor(t, s, ""); err != nil || len(regions) != 1 || regions[0] != "us-west-2" || len(made) != 1 {
		t.Errorf("agreeing flags: %v %v %v", err, regions, made)
	}
}
