package report

import (
	"testing"

	"github.com/backfill-dev/backfill/verify"
)

func TestTallyMoveKeepsHowCounts(t *testing.T) {
	tl := NewTally()
	tl.Add(verify.Verdict{Class: verify.Missing, How: verify.ByNothing}, 10)
	tl.Add(verify.Verdict{Class: verify.ContentDiffers, How: verify.ByETag}, 5)
	tl.Move(verify.Verdict{Class: verify.Missing, How: verify.ByNothing}, verify.Verdict{Class: verify.Same, How: verify.ByETag}, 10)
	tl.Move(verify.Verdict{Class: verify.ContentDiffers, How: verify.ByETag}, verify.Verdict{Class: verify.Same, How: verify.ByChecksum}, 5)
	m, c, s := tl.Classes[verify.Missing], tl.Classes[verify.ContentDiffers], tl.Classes[verify.Same]
	if *m != (ClassTally{}) || *c != (ClassTally{}) {
		t.Errorf("moved from: %+v %+v", m, c)
	}
	if s.Count != 2 || s.Bytes != 15 || s.ByETag != 1 || s.ByChecksum != 1 || tl.Checked != 2 || tl.Differences(false) != 0 {
		t.Errorf("moved to: %+v, checked %d", s, tl.Checked)
	}
}
