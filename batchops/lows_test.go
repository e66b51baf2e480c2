package batchops

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/backfill-dev/backfill/inventory"
)

// The account-id host prefix is dropped only for hosts that cannot take
// it (an IP address, localhost); a custom endpoint with a DNS name
// (PrivateLink, FIPS) keeps the SDK's rule.
func TestKeepHostOnlyForLiteralHosts(t *testing.T) {
	for endpoint, keep := range map[string]bool{
		"http://127.0.0.1:9000": true, "https://[::1]:443": true, "http://localhost:8080": true,
		"https://vpce-0a1b.s3-control.us-east-1.vpce.amazonaws.com": false, "https://s3-control-fips.us-east-1.amazonaws.com": false,
	} {
		if got := literalHost(endpoint); got != keep {
			t.Errorf("%s: keep the host %v, want %v", endpoint, got, keep)
		}
	}
	// what the SDK then sends: the account in front of a DNS name
	var host string
	a := Account{ID: "123456789012", Region: "us-east-1", Endpoint: "https://vpce-0a1b.s3-control.us-east-1.vpce.amazonaws.com", MaxAttempts: 1}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	c, err := connectControl(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	c.api.(*s3control.Client).DescribeJob(context.Background(), &s3control.DescribeJobInput{AccountId: aws.String(a.ID), JobId: aws.String("j")},
		func(o *s3control.Options) {
			o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
				return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("host", func(ctx context.Context, in middleware.FinalizeInput, _ middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					host = in.Request.(*smithyhttp.Request).URL.Host
					return middleware.FinalizeOutput{}, middleware.Metadata{}, context.Canceled
				}), middleware.After)
			})
		})
	if host != "123456789012.vpce-0a1b.s3-control.us-east-1.vpce.amazonaws.com" {
		t.Errorf("host %q", host)
	}
}

// The check before the job refuses a key that decodes differently with
// path and form rules, or is not encoded as backfill encodes it.
func TestCheckEncoding(t *testing.T) {
	for raw, want := range map[string]string{
		"a%20b%2Bc.mov": "", "a+b.mov": "with path rules", "a b.mov": "is not encoded", "a%zz": "does not URL-decode", "a%2fb": "is not encoded",
	} {
		path := filepath.Join(t.TempDir(), "m.csv")
		os.WriteFile(path, []byte("src,"+raw+"\n"), 0o600)
		err := checkEncoding(path)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", raw, err, want)
		}
	}
}

// With --generate --large-locally, the objects over 5 GiB copied here are
// those the generator's filters would take but for their size.
func TestGeneratorTakes(t *testing.T) {
	now := time.Now()
	after := now.Add(-48 * time.Hour)
	g := &Generator{CreatedBefore: now.Add(-time.Hour), CreatedAfter: &after, StorageClasses: []string{"STANDARD"}, MinSize: 1}
	objs := []inventory.Object{
		{Key: "ok", LastModified: now.Add(-2 * time.Hour)},
		{Key: "new", LastModified: now},
		{Key: "old", LastModified: now.Add(-72 * time.Hour)},
		{Key: "ia", LastModified: now.Add(-2 * time.Hour), StorageClass: "STANDARD_IA"},
	}
	for i := range objs {
		objs[i].Size = MaxCopySize + 1
	}
	if got := generatorTakes(g, objs); len(got) != 1 || got[0].Key != "ok" {
		t.Errorf("taken %+v", got)
	}
}

// submit says what the job's role needs beyond the defaults, with the
// policy command that grants it; policy --inventory grants read on the
// inventory's delivery.
func TestNeedsAndInventoryPolicy(t *testing.T) {
	var out bytes.Buffer
	b := &submit{out: newPrinter(&out, false)}
	rec := &Record{Job: JobSpec{Operation: Copy, From: "s3://src/", To: "s3://dst/", ReportTo: "s3://rep/reports", ManifestTo: "s3://rep/reports/manifests/"},
		Manifest: &ManifestRef{Format: formatInventory, ARN: "arn:aws:s3:::inv/inv/src/config1/2026-11-23T01-00Z/manifest.json"}}
	b.needs(rec)
	if !strings.Contains(out.String(), "--inventory s3://inv/inv/src/config1/2026-11-23T01-00Z/manifest.json") || !strings.Contains(out.String(), "--upload-manifest") {
		t.Errorf("inventory as it is:\n%s", out.String())
	}
	out.Reset()
	rec.Manifest = &ManifestRef{Format: formatCSV, Versions: true}
	b.needs(rec)
	if !strings.Contains(out.String(), "--versions") {
		t.Errorf("versions:\n%s", out.String())
	}
	out.Reset()
	rec.Manifest.Versions = false
	if b.needs(rec); out.Len() != 0 {
		t.Errorf("nothing extra, yet: %s", out.String())
	}
	s := policySpec(t, Copy)
	s.Inventory = loc(t, "s3://inv/inv/src/config1/2026-11-23T01-00Z/manifest.json")
	d, _ := PermissionPolicy(s)
	if r := resources(d)["s3:GetObject"]; len(r) != 3 || r[2] != "arn:aws:s3:::inv/inv/src/config1/*" {
		t.Errorf("inventory read %v", r)
	}
}
