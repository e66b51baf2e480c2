package s3test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// waitReplication polls HeadObject on bucket/key until its replication
// status is want, for at most limit (a bound, not an expectation; MinIO
// usually takes milliseconds). poke, if not nil, runs before each poll. It
// returns the distinct statuses seen, in order, and fails the test with them
// if want never came.
func waitReplication(t *testing.T, c *s3.Client, bucket, key string, want types.ReplicationStatus,
	limit time.Duration, poke func()) []types.ReplicationStatus {
	t.Helper()
	var seen []types.ReplicationStatus
	deadline := time.Now().Add(limit)
	for {
		if poke != nil {
			poke()
		}
		h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
		}
		if len(seen) == 0 || seen[len(seen)-1] != h.ReplicationStatus {
			seen = append(seen, h.ReplicationStatus)
		}
		if h.ReplicationStatus == want {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/%s: replication status %q after %s (seen %q), want %q", bucket, key, h.ReplicationStatus, limit, seen, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func head(t *testing.T, c *s3.Client, bucket, key string) *s3.HeadObjectOutput {
	t.Helper()
	h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject %s/%s: %v", bucket, key, err)
	}
	return h
}

// TestMinIOStartKillRestartStop: a server keeps its port, credentials and
// objects across Kill and Restart, refuses connections while killed, and
// Stop removes its folder.
func TestMinIOStartKillRestartStop(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	m, err := StartMinIO(ctx, MinIOOptions{Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready in %s", time.Since(start).Round(time.Millisecond))
	dir, endpoint := m.dir, m.Endpoint
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") || m.Region != "eu-west-1" {
		t.Fatalf("unexpected server %s in %s", endpoint, m.Region)
	}
	b := m.NewBucket(t, true)
	put(t, m.Client(), b, "k", "v")
	loc, err := m.Client().GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &b})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Errorf("GetBucketLocation = %v, %v; want eu-west-1 (MINIO_REGION)", loc, err)
	}
	env := strings.Join(m.Env(), "\n") + "\n"
	for _, want := range []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=eu-west-1"} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("Env lacks %s", want)
		}
	}

	m.Kill()
	if _, err := http.Get(endpoint + "/minio/health/live"); err == nil {
		t.Error("killed server still answers")
	}
	start = time.Now()
	if err := m.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("ready again in %s", time.Since(start).Round(time.Millisecond))
	if m.Endpoint != endpoint {
		t.Errorf("endpoint %s after Restart, was %s", m.Endpoint, endpoint)
	}
	if got := get(t, m.Client(), b, "k"); got != "v" {
		t.Errorf("after Restart: %q", got)
	}

	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("folder left behind: %v", err)
	}
	if err := m.Restart(ctx); err == nil {
		t.Error("Restart after Stop worked")
	}
}

// TestMCRuleStates: mc lists the rule it added with the options asked for,
// disables and enables it by ID, and removes it. While the rule is
// disabled, a new object is not replicated and has no replication status.
// `mc replicate resync start` is refused for a rule without existing-objects.
func TestMCRuleStates(t *testing.T) {
	ctx := context.Background()
	s := SharedMinIO(t)
	src, dst := s.NewBucket(t, true), s.NewBucket(t, true)
	mc := MCFor(t)
	arn, err := mc.AddReplication(ctx, s, src, s, dst, ReplicationID("rule-1"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := mc.ReplicationRules(ctx, s, src)
	if err != nil {
		t.Fatal(err)
	}
	want := ReplicationRule{ID: "rule-1", Enabled: true, Priority: 1, ARN: arn, DeleteMarkers: true, Deletes: true}
	if len(rules) != 1 || rules[0] != want {
		t.Fatalf("rules %+v, want [%+v]", rules, want)
	}
	if err := mc.SetReplicationEnabled(ctx, s, src, "rule-1", false); err != nil {
		t.Fatal(err)
	}
	if rules, err = mc.ReplicationRules(ctx, s, src); err != nil || len(rules) != 1 || rules[0].Enabled {
		t.Fatalf("after disable: %+v, %v", rules, err)
	}
	c := s.Client()
	put(t, c, src, "while-disabled", "x")
	if st := head(t, c, src, "while-disabled").ReplicationStatus; st != "" {
		t.Errorf("object written while the rule is disabled: status %q", st)
	}
	if err := mc.SetReplicationEnabled(ctx, s, src, "rule-1", true); err != nil {
		t.Fatal(err)
	}
	put(t, c, src, "while-enabled", "x")
	waitReplication(t, c, src, "while-enabled", types.ReplicationStatusCompleted, 30*time.Second, nil)
	err = mc.Resync(ctx, s, src, arn)
	if err == nil || !strings.Contains(err.Error(), "ExistingObjects") {
		t.Errorf("resync of a rule without existing-objects: %v", err)
	}
	t.Logf("resync of a rule without existing-objects: %v", err)
	if err := mc.RemoveReplication(ctx, s, src); err != nil {
		t.Fatal(err)
	}
	if rules, err = mc.ReplicationRules(ctx, s, src); err != nil || len(rules) != 0 {
		t.Fatalf("after remove: %+v, %v", rules, err)
	}
	_, err = c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(src)})
	t.Logf("GetBucketReplication after mc replicate rm --all: %v", err)
}

// TestMCErrorsHideSecrets: a failed mc command's error names the command
// and mc's message, with the servers' secret keys replaced by "***".
func TestMCErrorsHideSecrets(t *testing.T) {
	ctx := context.Background()
	s := SharedMinIO(t)
	src := s.NewBucket(t, true)
	_, err := MCFor(t).AddReplication(ctx, s, src, s, "no-such-bucket-"+randString(8, "abcdefghij"))
	if err == nil {
		t.Fatal("replication to a missing bucket was accepted")
	}
	if strings.Contains(err.Error(), s.SecretKey) || !strings.Contains(err.Error(), "***") {
		t.Errorf("error does not hide the secret: %v", err)
	}
	t.Logf("replication to a missing bucket: %v", err)
}
