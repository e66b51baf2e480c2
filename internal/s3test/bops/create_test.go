package bops

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// Every CreateJob rejection, answered before a job exists, with the error
// code and HTTP status AWS uses and the SDK's modelled error type.
func TestCreateJobRejections(t *testing.T) {
	e := newEnv(t, Options{})
	src := e.bucket(false)
	m := e.manifest(src, "m.csv", csvRows(src, []string{"a"}))
	gen := func(f func(*types.S3JobManifestGenerator)) types.JobManifestGenerator {
		g := types.S3JobManifestGenerator{SourceBucket: aws.String("arn:aws:s3:::" + src), EnableManifestOutput: false}
		f(&g)
		return &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: g}
	}
	cases := []struct {
		name   string
		mutate func(*s3control.CreateJobInput)
		code   string
		status int
	}{
		{"MissingOperation", func(in *s3control.CreateJobInput) { in.Operation = nil }, codeBadRequest, 400},
		{"MissingPriority", func(in *s3control.CreateJobInput) { in.Priority = nil }, codeBadRequest, 400},
		{"MissingReport", func(in *s3control.CreateJobInput) { in.Report = nil }, codeBadRequest, 400},
		{"MissingRoleArn", func(in *s3control.CreateJobInput) { in.RoleArn = nil }, codeBadRequest, 400},
		{"MissingClientRequestToken", func(in *s3control.CreateJobInput) { in.ClientRequestToken = nil }, codeBadRequest, 400},
		{"MissingAccountId", func(in *s3control.CreateJobInput) { in.AccountId = nil }, codeBadRequest, 400},
		{"ForeignAccountId", func(in *s3control.CreateJobInput) { in.AccountId = aws.String("210987654321") }, "AccessDenied", 403},
		{"ManifestAndGenerator", func(in *s3control.CreateJobInput) { in.ManifestGenerator = gen(func(*types.S3JobManifestGenerator) {}) }, codeBadRequest, 400},
		{"NeitherManifestNorGenerator", func(in *s3control.CreateJobInput) { in.Manifest = nil }, codeBadRequest, 400},
		{"EmptyOperation", func(in *s3control.CreateJobInput) { in.Operation = &types.JobOperation{} }, codeBadRequest, 400},
		{"TwoOperations", func(in *s3control.CreateJobInput) {
			in.Operation.S3ReplicateObject = &types.S3ReplicateObjectOperation{}
		}, codeBadRequest, 400},
		{"OperationNotEmulated", func(in *s3control.CreateJobInput) {
			in.Operation = &types.JobOperation{S3PutObjectTagging: &types.S3SetObjectTaggingOperation{}}
		}, "NotImplemented", 501},
		{"MalformedRoleArn", func(in *s3control.CreateJobInput) { in.RoleArn = aws.String("arn:aws:iam::12345:role/batch") }, codeBadRequest, 400},
		{"RoleArnNotARole", func(in *s3control.CreateJobInput) { in.RoleArn = aws.String("arn:aws:iam::123456789012:user/me") }, codeBadRequest, 400},
		{"ManifestArnWithoutKey", func(in *s3control.CreateJobInput) {
			in.Manifest.Location.ObjectArn = aws.String("arn:aws:s3:::" + src)
		}, codeBadRequest, 400},
		{"ManifestArnNotS3", func(in *s3control.CreateJobInput) {
			in.Manifest.Location.ObjectArn = aws.String("s3://" + src + "/m.csv")
		}, codeBadRequest, 400},
		{"ManifestWithoutETag", func(in *s3control.CreateJobInput) { in.Manifest.Location.ETag = nil }, codeBadRequest, 400},
		{"ManifestUnknownFormat", func(in *s3control.CreateJobInput) { in.Manifest.Spec.Format = "S3BatchOperations_CSV" }, codeBadRequest, 400},
		{"ManifestFieldsWithoutKey", func(in *s3control.CreateJobInput) {
			in.Manifest.Spec.Fields = []types.JobManifestFieldName{"Bucket", "VersionId"}
		}, codeBadRequest, 400},
		{"ReportBucketArnWithKey", func(in *s3control.CreateJobInput) { in.Report.Bucket = aws.String("arn:aws:s3:::reports/prefix") }, codeBadRequest, 400},
		{"ReportBucketNotArn", func(in *s3control.CreateJobInput) { in.Report.Bucket = aws.String("reports") }, codeBadRequest, 400},
		{"ReportEnabledWithoutBucket", func(in *s3control.CreateJobInput) { in.Report.Bucket = nil }, codeBadRequest, 400},
		{"TargetResourceNotBucketArn", func(in *s3control.CreateJobInput) {
			in.Operation.S3PutObjectCopy.TargetResource = aws.String("arn:aws:s3:::dst/key")
		}, codeBadRequest, 400},
		{"TargetResourceMissing", func(in *s3control.CreateJobInput) { in.Operation.S3PutObjectCopy.TargetResource = nil }, codeBadRequest, 400},
		{"TargetResourceBadBucketName", func(in *s3control.CreateJobInput) {
			in.Operation.S3PutObjectCopy.TargetResource = aws.String("arn:aws:s3:::Dst_Bucket")
		}, codeBadRequest, 400},
		{"DescriptionTooLong", func(in *s3control.CreateJobInput) { in.Description = aws.String(strings.Repeat("d", 257)) }, codeBadRequest, 400},
		{"DescriptionEmpty", func(in *s3control.CreateJobInput) { in.Description = aws.String("") }, codeBadRequest, 400},
		{"PriorityNegative", func(in *s3control.CreateJobInput) { in.Priority = aws.Int32(-1) }, codeBadRequest, 400},
		{"ClientRequestTokenTooLong", func(in *s3control.CreateJobInput) { in.ClientRequestToken = aws.String(strings.Repeat("t", 65)) }, codeBadRequest, 400},
		{"StorageClassUnknown", func(in *s3control.CreateJobInput) { in.Operation.S3PutObjectCopy.StorageClass = "REDUCED_REDUNDANCY" }, codeBadRequest, 400},
		{"GeneratorSourceNotBucketArn", func(in *s3control.CreateJobInput) {
			in.Manifest = nil
			in.ManifestGenerator = gen(func(g *types.S3JobManifestGenerator) { g.SourceBucket = aws.String(src) })
		}, codeBadRequest, 400},
		{"GeneratorOutputWithoutLocation", func(in *s3control.CreateJobInput) {
			in.Manifest = nil
			in.ManifestGenerator = gen(func(g *types.S3JobManifestGenerator) { g.EnableManifestOutput = true })
		}, codeBadRequest, 400},
		{"GeneratorTwoPrefixes", func(in *s3control.CreateJobInput) {
			in.Manifest = nil
			in.ManifestGenerator = gen(func(g *types.S3JobManifestGenerator) {
				g.Filter = &types.JobManifestGeneratorFilter{KeyNameConstraint: &types.KeyNameConstraint{MatchAnyPrefix: []string{"a", "b"}}}
			})
		}, codeBadRequest, 400},
		{"TagKeyTooLong", func(in *s3control.CreateJobInput) {
			in.Tags = []types.S3Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}
		}, codeBadRequest, 400},
	}
	raw := e.rawClient()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := e.copyJob(cloneManifest(m), src, src)
			in.ClientRequestToken = aws.String("token-" + c.name)
			c.mutate(in)
			_, err := raw.CreateJob(e.ctx, in)
			apiErr(t, err, c.code, c.status)
		})
	}
	if n := e.emu.jobCount(); n != 0 {
		t.Errorf("%d jobs exist after rejections only", n)
	}
}

func cloneManifest(m *types.JobManifest) *types.JobManifest {
	spec, loc := *m.Spec, *m.Location
	return &types.JobManifest{Spec: &spec, Location: &loc}
}

// The modelled errors decode into the SDK's types.
func TestCreateJobErrorTypes(t *testing.T) {
	e := newEnv(t, Options{})
	src := e.bucket(false)
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"a"})), src, src)
	in.Description = aws.String(strings.Repeat("d", 257))
	_, err := e.ctl.CreateJob(e.ctx, in)
	var bad *types.BadRequestException
	if !errorsAs(err, &bad) {
		t.Fatalf("want *types.BadRequestException, got %T %v", err, err)
	}
}

// CreateJob is idempotent per ClientRequestToken: the same token with the
// same content returns the same job; with other content, IdempotencyException.
func TestCreateJobIdempotency(t *testing.T) {
	e := newEnv(t, Options{})
	src := e.bucket(false)
	in := e.copyJob(e.manifest(src, "m.csv", csvRows(src, []string{"a"})), src, src)
	in.ClientRequestToken = aws.String("backfill-token-1")
	in.ConfirmationRequired = aws.Bool(true)
	first := e.create(in)
	if again := e.create(in); again != first {
		t.Fatalf("same token and content: job %s, then %s", first, again)
	}
	in.Priority = aws.Int32(99)
	_, err := e.ctl.CreateJob(e.ctx, in)
	apiErr(t, err, codeIdempotency, 400)
	var ie *types.IdempotencyException
	if !errorsAs(err, &ie) {
		t.Fatalf("want *types.IdempotencyException, got %T", err)
	}
	in.ClientRequestToken = aws.String("backfill-token-2")
	if other := e.create(in); other == first {
		t.Fatal("a new token returned the old job")
	}
}

// A body that is not a CreateJobRequest is refused.
func TestCreateJobMalformedXML(t *testing.T) {
	e := newEnv(t, Options{})
	for _, body := range []string{"<CreateJobRequest>", "<Other/>", `<CreateJobRequest><Priority>x</Priority></CreateJobRequest>`} {
		resp, text := e.signed(http.MethodPost, "/v20180820/jobs", body, e.emu.opts.AccessKey, e.emu.opts.SecretKey)
		if resp.StatusCode != 400 || !strings.Contains(text, "<Code>MalformedXML</Code>") {
			t.Errorf("%q: %d %s", body, resp.StatusCode, text)
		}
	}
}

// An element naming an operation AWS does not have is a bad request.
func TestCreateJobUnknownOperation(t *testing.T) {
	e := newEnv(t, Options{})
	body := `<CreateJobRequest xmlns="` + controlNS + `"><ClientRequestToken>t1</ClientRequestToken>` +
		`<Operation><S3MoveObject></S3MoveObject></Operation><Priority>1</Priority>` +
		`<Report><Enabled>false</Enabled></Report><RoleArn>arn:aws:iam::123456789012:role/r</RoleArn>` +
		`<Manifest><Location><ETag>e</ETag><ObjectArn>arn:aws:s3:::b-b-b/m.csv</ObjectArn></Location>` +
		`<Spec><Fields><member>Bucket</member><member>Key</member></Fields><Format>S3BatchOperations_CSV_20180820</Format></Spec></Manifest>` +
		`</CreateJobRequest>`
	resp, text := e.signed(http.MethodPost, "/v20180820/jobs", body, e.emu.opts.AccessKey, e.emu.opts.SecretKey)
	if resp.StatusCode != 400 || !strings.Contains(text, "<Code>BadRequestException</Code>") || !strings.Contains(text, "S3MoveObject") {
		t.Errorf("%d %s", resp.StatusCode, text)
	}
}
