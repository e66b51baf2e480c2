package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// regionFront answers as S3 does a HeadBucket signed for a region that
// is not the bucket's: 301 with the bucket's region in
// x-amz-bucket-region. Everything else goes on to the emulator, which
// (with versitygw behind it) refuses requests signed for another region.
type regionFront struct {
	rp     *httputil.ReverseProxy
	region string
}

func newRegionFront(t *testing.T, target, region string) string {
	u, _ := url.Parse(target)
	f := &regionFront{region: region, rp: &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host
	}}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *regionFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucketOnly := strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 && r.URL.Path != "/"
	if r.Method == http.MethodHead && bucketOnly && signedRegion(r) != f.region {
		w.Header().Set("X-Amz-Bucket-Region", f.region)
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	f.rp.ServeHTTP(w, r)
}

// signedRegion is the region of a SigV4 Authorization header's scope.
func signedRegion(r *http.Request) string {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if parts := strings.Split(cred, "/"); len(parts) > 3 {
		return parts[2]
	}
	return ""
}

// The job's region is its bucket's, as S3 says it is, not AWS_REGION's:
// with AWS_REGION=eu-west-1 and the buckets (and S3 Control) in
// us-east-1, submit finds that region, makes every request there, and the
// job there; the job commands find the region in the state file, and
// retry makes its job in the failed job's account and region (neither
// --account-id nor --region given). A --dest-region that is not the
// bucket's is refused.
func TestBatchopsJobInTheBucketsRegion(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	keys := b.media(3)
	b.setDeny(keys[1])
	environ := append(b.srv.Env(newRegionFront(t, b.front.URL(), b.emu.Region())), "AWS_REGION=eu-west-1")
	bo := func(args ...string) result { return b.runEnv(environ, append([]string{"batchops"}, args...)...) }

	r := bo(b.submitArgs("--dest-region", "eu-west-1")...)
	if r.code != 2 || !strings.Contains(r.stderr, "--dest-region eu-west-1: the destination bucket "+b.dst+" is in us-east-1") {
		t.Errorf("--dest-region not the bucket's: exit %d\n%s", r.code, r.stderr)
	}
	if len(b.jobs()) != 0 {
		t.Fatal("a job was made")
	}
	r = bo(b.submitArgs()...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	if !strings.Contains(r.stdout, "bucket "+b.dst+" is in us-east-1 (the AWS configuration says eu-west-1)") || !strings.Contains(r.stdout, "in us-east-1") {
		t.Errorf("submit:\n%s", r.stdout)
	}
	mustCode(t, bo("confirm", id), 0)
	mustCode(t, bo("wait", "--poll", "20ms", id), 3)
	b.setDeny()
	rt := bo("retry", "--yes", id)
	mustCode(t, rt, 0)
	id2 := jobID(t, rt)
	if id2 == id || !strings.Contains(rt.stdout, "Created job "+id2+" in us-east-1") {
		t.Errorf("retry:\n%s", rt.stdout)
	}
	mustCode(t, bo("wait", "--poll", "20ms", id2), 0)
	if d := b.describe(id2); d.ProgressSummary == nil || aws.ToInt64(d.ProgressSummary.TotalNumberOfTasks) != 1 {
		t.Errorf("the retry's job %+v", d.ProgressSummary)
	}
	b.exact(keys, "")
	// Without the state file's record, AWS_REGION's region is asked: the
	// S3 Control endpoint of us-east-1 refuses a request signed for
	// eu-west-1.
	if st := bo("status", "--account-id", b.emu.AccountID(), "--state", filepath.Join(b.dir, "none.json"), id); st.code != 1 {
		t.Errorf("status without the record: exit %d\n%s", st.code, st.stderr)
	}
}

// A replicate job with a manifest generator: S3 lists the versioned
// source (the versions eligible for replication, statuses NONE and
// FAILED), the copies are REPLICAs with the source's headers, metadata
// and tags.
func TestBatchopsGenerateReplicate(t *testing.T) {
	t.Parallel()
	b := newBopsEnv(t)
	b.src, b.dst = b.srv.NewBucket(t, true), b.srv.NewBucket(t, true)
	s3c := b.srv.Client(b.emu.URL())
	_, err := s3c.PutBucketReplication(t.Context(), &s3.PutBucketReplicationInput{Bucket: aws.String(b.src),
		ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::" + b.emu.AccountID() + ":role/replication"),
			Rules: []s3types.ReplicationRule{{ID: aws.String("all"), Priority: aws.Int32(1), Status: s3types.ReplicationRuleStatusEnabled,
				Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("shows/")},
				DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
				Destination:             &s3types.Destination{Bucket: aws.String("arn:aws:s3:::" + b.dst)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	keys := b.media(4)
	time.Sleep(10 * time.Millisecond) // created before the generator's created-before
	r := b.bo(b.submitArgs("--operation", "replicate", "--generate", "--from", "s3://"+b.src+"/shows/", "--to", "s3://"+b.dst+"/shows/", "--yes")...)
	mustCode(t, r, 0)
	id := jobID(t, r)
	d := b.describe(id)
	if d.Operation.S3ReplicateObject == nil || d.ManifestGenerator == nil || d.Manifest != nil {
		t.Fatalf("job %+v %T", d.Operation, d.ManifestGenerator)
	}
	b.waitJob(id, 0)
	b.exact(keys, "")
	h, err := s3c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(b.dst), Key: aws.String(keys[0])})
	if err != nil || h.ReplicationStatus != s3types.ReplicationStatusReplica {
		t.Errorf("replica status %q %v", h.ReplicationStatus, err)
	}
}
