package bops

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"

	"github.com/backfill-dev/backfill/internal/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// testStep paces the jobs of the tests.
const testStep = 2 * time.Millisecond

// env is one test's emulator, in front of the shared versitygw.
type env struct {
	t   *testing.T
	ctx context.Context
	srv *s3test.Server
	emu *Server
	s3  *s3.Client // straight to versitygw
	ctl *s3control.Client
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	srv := s3test.Shared(t)
	if opts.Step == 0 {
		opts.Step = testStep
	}
	emu := StartTest(t, srv, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return &env{t: t, ctx: ctx, srv: srv, emu: emu, s3: srv.Client(""), ctl: emu.Client()}
}

// rawClient is a control client without the SDK's client-side checks
// (required members, idempotency token fill), so the emulator's own
// rejections can be tested.
func (e *env) rawClient() *s3control.Client {
	return e.emu.Client(func(o *s3control.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			_, _ = st.Initialize.Remove("OperationInputValidation")
			_, _ = st.Initialize.Remove("OperationIdempotencyTokenAutoFill")
			return nil
		})
	})
}

func (e *env) bucket(versioned bool) string {
	e.t.Helper()
	return e.srv.NewBucket(e.t, versioned)
}

func (e *env) put(bucket, key, body string, mod ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	e.t.Helper()
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)}
	for _, m := range mod {
		m(in)
	}
	out, err := e.s3.PutObject(e.ctx, in)
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return out
}

// putMany writes keys (body = key) with bounded concurrency.
func (e *env) putMany(bucket string, keys []string) {
	e.t.Helper()
	g, ctx := errgroup.WithContext(e.ctx)
	g.SetLimit(16)
	for _, k := range keys {
		g.Go(func() error {
			_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader(k)})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(bucket, key string) (string, *s3.GetObjectOutput, error) {
	out, err := e.s3.GetObject(e.ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), out, err
}

// manifest writes a CSV manifest and returns its Manifest member.
func (e *env) manifest(bucket, key, body string, fields ...types.JobManifestFieldName) *types.JobManifest {
	e.t.Helper()
	out := e.put(bucket, key, body)
	if len(fields) == 0 {
		fields = []types.JobManifestFieldName{"Bucket", "Key"}
	}
	return &types.JobManifest{
		Spec:     &types.JobManifestSpec{Format: types.JobManifestFormatS3BatchOperationsCsv20180820, Fields: fields},
		Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::" + bucket + "/" + key), ETag: out.ETag},
	}
}

func csvRows(bucket string, keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s,%s\n", bucket, encodeKey(k))
	}
	return b.String()
}

// copyJob is a valid S3PutObjectCopy job into dst with report to rep.
func (e *env) copyJob(m *types.JobManifest, dst, rep string) *s3control.CreateJobInput {
	return &s3control.CreateJobInput{
		AccountId:            aws.String(e.emu.AccountID()),
		ConfirmationRequired: aws.Bool(false),
		Operation: &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{
			TargetResource: aws.String("arn:aws:s3:::" + dst),
		}},
		Manifest: m,
		Priority: aws.Int32(10),
		RoleArn:  aws.String("arn:aws:iam::" + e.emu.AccountID() + ":role/batch"),
		Report: &types.JobReport{Enabled: true, Bucket: aws.String("arn:aws:s3:::" + rep),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeAllTasks,
			Prefix: aws.String("reports")},
	}
}

func (e *env) create(in *s3control.CreateJobInput) string {
	e.t.Helper()
	out, err := e.ctl.CreateJob(e.ctx, in)
	if err != nil {
		e.t.Fatalf("CreateJob: %v", err)
	}
	return aws.ToString(out.JobId)
}

func (e *env) describe(id string) *types.JobDescriptor {
	e.t.Helper()
	out, err := e.ctl.DescribeJob(e.ctx, &s3control.DescribeJobInput{AccountId: aws.String(e.emu.AccountID()), JobId: &id})
	if err != nil {
		e.t.Fatalf("DescribeJob: %v", err)
	}
	return out.Job
}

// wait polls DescribeJob (bounded by the test's context) until the job is
// in one of want, and fails the test if it reaches another terminal status.
func (e *env) wait(id string, want ...types.JobStatus) *types.JobDescriptor {
	e.t.Helper()
	for {
		d := e.describe(id)
		for _, w := range want {
			if d.Status == w {
				return d
			}
		}
		if terminal(string(d.Status)) {
			e.t.Fatalf("job %s is %s, waiting for %v; failures %s", id, d.Status, want, failures(d))
		}
		select {
		case <-e.ctx.Done():
			e.t.Fatalf("job %s still %s, waiting for %v", id, d.Status, want)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func failures(d *types.JobDescriptor) string {
	var s []string
	for _, f := range d.FailureReasons {
		s = append(s, aws.ToString(f.FailureCode)+": "+aws.ToString(f.FailureReason))
	}
	return strings.Join(s, "; ")
}

// apiErr asserts err is an API error with code (and, if status != 0, HTTP status).
func apiErr(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if status != 0 {
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() != status {
			t.Fatalf("%s: want HTTP %d, got %d", code, status, re.HTTPStatusCode())
		}
	}
}

// report reads a job's completion report: manifest.json and the rows of
// each results file by TaskExecutionStatus.
type report struct {
	manifest reportManifest
	rows     map[string][][]string
}

func (e *env) report(bucket, prefix, id string) report {
	e.t.Helper()
	body, _, err := e.get(bucket, prefix+"/job-"+id+"/manifest.json")
	if err != nil {
		e.t.Fatalf("report manifest: %v", err)
	}
	var r report
	if err := json.Unmarshal([]byte(body), &r.manifest); err != nil {
		e.t.Fatal(err)
	}
	r.rows = map[string][][]string{}
	for _, res := range r.manifest.Results {
		data, _, err := e.get(res.Bucket, res.Key)
		if err != nil {
			e.t.Fatalf("report file %s: %v", res.Key, err)
		}
		rows, err := csv.NewReader(bytes.NewReader([]byte(data))).ReadAll()
		if err != nil {
			e.t.Fatal(err)
		}
		r.rows[res.TaskExecutionStatus] = append(r.rows[res.TaskExecutionStatus], rows...)
	}
	return r
}

// sparseObject makes an object of size bytes without writing them: a
// sparse file in versitygw's bucket folder is served as an object.
func (e *env) sparseObject(bucket, key string, size int64) {
	e.t.Helper()
	f, err := os.Create(filepath.Join(e.srv.RootDir, bucket, key))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		e.t.Fatal(err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// signed sends a request to the emulator signed (SigV4, service s3) with the
// given key pair, carrying this emulator's x-amz-account-id, and returns
// the answer and its body.
func (e *env) signed(method, path, body, accessKey, secretKey string, mod ...func(*http.Request)) (*http.Response, string) {
	e.t.Helper()
	return e.signedAt(time.Now(), method, path, body, accessKey, secretKey, mod...)
}

// signedAt is signed with the signature made at time at.
func (e *env) signedAt(at time.Time, method, path, body, accessKey, secretKey string, mod ...func(*http.Request)) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.emu.URL()+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	req.Header.Set("X-Amz-Account-Id", e.emu.AccountID())
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	if err := v4.NewSigner().SignHTTP(e.ctx, creds, req, hash, "s3", e.emu.Region(), at); err != nil {
		e.t.Fatal(err)
	}
	for _, m := range mod {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func staticCreds(key, secret string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, nil
	})
}
