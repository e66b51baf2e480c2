package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A copy job from a listing: the plan, the job made Suspended, confirmed,
// waited for; every object exact in the replica; status and list show it.
func TestBatchopsSubmitFromListing(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(12)
	b.put(b.dst, obj{key: "shows/alpha/take 3+final.mov", body: "frame data 3", meta: map[string]string{"take": "3"}, ctype: "video/quicktime"})
	// --dry-run --json: the plan as JSON lines; nothing uploaded or made.
	dry := b.bo(b.submitArgs("--dry-run", "--json")...)
	mustCode(t, dry, 0)
	lines := jsonLines(t, dry.stdout)
	if len(lines) < 2 || lines[0]["event"] != "plan" || lines[0]["objects"] != 11.0 || lines[0]["estimate"] == nil {
		t.Errorf("--dry-run --json:\n%s", dry.stdout)
	}
	if len(b.jobs()) != 0 || len(b.listing(b.rep, "")) != 0 {
		t.Errorf("--dry-run made a job or uploaded: %v", b.listing(b.rep, ""))
	}
	r := b.bo(b.submitArgs()...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	t.Logf("submit:\n%s", r.stdout)
	for _, want := range []string{"11 objects", "exists 1", "Batch Operations fees", "S3-FACTS.md section 9", "time unknown", "backfill batchops confirm " + id} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("submit output lacks %q:\n%s", want, r.stdout)
		}
	}
	d := b.describe(id)
	if !aws.ToBool(d.ConfirmationRequired) || d.Operation.S3PutObjectCopy == nil || d.Manifest == nil {
		t.Fatalf("job %+v", d)
	}
	mustCode(t, b.bo(b.acct("confirm", id)...), 0)
	w := b.waitJob(id, 0)
	t.Logf("wait:\n%s%s", w.stdout, w.stderr)
	if !strings.Contains(w.stdout, "11 succeeded, 0 failed, of 11") {
		t.Errorf("wait:\n%s", w.stdout)
	}
	b.exact(append(keys[:3:3], keys[4:]...), "") // take 3 was there already
	st := b.bo(b.acct("status", id)...)
	mustCode(t, st, 0)
	if !strings.Contains(st.stdout, "Complete") {
		t.Errorf("status:\n%s", st.stdout)
	}
	l := b.bo(b.acct("list")...)
	mustCode(t, l, 0)
	if !strings.Contains(l.stdout, id) {
		t.Errorf("list:\n%s", l.stdout)
	}
	if len(b.jobs()) != 1 {
		t.Errorf("jobs %v", b.jobs())
	}
}
