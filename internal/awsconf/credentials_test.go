package awsconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/internal/s3err"
)

// TestCredentialsThatCannotBeRefreshed: when the SDK cannot get the
// credentials (here a credential_process that fails, as one whose SSO
// session ended does), the request's error is a credentials error, which
// is about the run, with what to do.
func TestCredentialsThatCannotBeRefreshed(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\ncredential_process = sh -c 'echo the SSO session has expired >&2; exit 1'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	c, err := New(t.Context(), Options{Endpoint: "http://127.0.0.1:1", MaxAttempts: 2}, Side{}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CopyObject(t.Context(), copyInput())
	if code := s3err.Code(err); code != "CredentialsError" {
		t.Fatalf("code %q for %v", code, err)
	}
	re := s3err.AsRunError("copy", err)
	if re == nil || !strings.Contains(re.Error(), "renew") || !strings.Contains(re.Error(), "credential_process") {
		t.Errorf("run error %v", re)
	}
	if t.Context().Err() == nil && c.CheckCredentials(t.Context()) == nil {
		t.Error("CheckCredentials found credentials")
	}
}
