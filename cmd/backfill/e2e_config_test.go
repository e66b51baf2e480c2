package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeAWSFiles(t *testing.T, dir, creds string) []string {
	t.Helper()
	cf := filepath.Join(dir, "credentials")
	if err := os.WriteFile(cf, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_SHARED_CREDENTIALS_FILE=" + cf, "AWS_CONFIG_FILE=" + cfg, "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}
}

func TestProfilesPerSide(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	env := writeAWSFiles(t, e.dir, "[good]\naws_access_key_id = "+e.srv.AccessKey+"\naws_secret_access_key = "+e.srv.SecretKey+
		"\n[bad]\naws_access_key_id = "+e.srv.AccessKey+"\naws_secret_access_key = not-the-secret\n")
	runWith := func(args ...string) (string, int) {
		cmd := e.command(append(e.copyArgs(), args...)...)
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(interface{ ExitCode() int }); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	if out, code := runWith("--source-profile", "good", "--dest-profile", "bad"); code != 1 || !strings.Contains(out, "destination") {
		t.Errorf("bad destination profile: exit %d\n%s", code, out)
	}
	if out, code := runWith("--source-profile", "bad", "--dest-profile", "good"); code != 1 || !strings.Contains(out, "source") {
		t.Errorf("bad source profile: exit %d\n%s", code, out)
	}
	if out, code := runWith("--profile", "no-such-profile"); code != 1 || !strings.Contains(out, "no-such-profile") {
		t.Errorf("unknown profile: exit %d\n%s", code, out)
	}
	if n := e.proxy.Count("CopyObject"); n != 0 {
		t.Errorf("%d copies with a bad profile", n)
	}
	if out, code := runWith("--profile", "bad", "--source-profile", "good", "--dest-profile", "good"); code != 0 {
		t.Errorf("good profiles: exit %d\n%s", code, out)
	}
	if len(e.listing(e.dst, "")) != 1 {
		t.Error("not copied with good profiles")
	}
	if strings.Contains(strings.Join(os.Environ(), ""), e.srv.SecretKey) {
		t.Fatal("test leaked the secret into its own environment")
	}
}

// TestRegionsPerSide checks which region each side's requests are signed
// for: the listing of the source for the source's region, copies and the
// destination's listing for the destination's.
func TestRegionsPerSide(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.put(e.src, obj{key: "a", body: "a"})
	// versitygw answers only requests signed for its own region
	// (us-east-1), so each side is checked with the other one right.
	for _, tc := range []struct{ srcRegion, dstRegion string }{
		{"eu-west-1", "us-east-1"},
		{"us-east-1", "ap-southeast-2"},
	} {
		e.proxy.Reset()
		e.run(e.copyArgs("--source-region", tc.srcRegion, "--dest-region", tc.dstRegion)...)
		seen := map[string]bool{}
		for _, req := range e.proxy.Requests() {
			want := tc.srcRegion
			if req.Bucket == e.dst || req.Op == "CopyObject" {
				want = tc.dstRegion
			}
			if auth := req.Header.Get("Authorization"); !strings.Contains(auth, "/"+want+"/s3/") {
				t.Errorf("%s on %s signed %q, want region %s", req.Op, req.Bucket, auth, want)
			}
			seen[req.Bucket] = true
		}
		if tc.srcRegion == "us-east-1" && !seen[e.dst] || !seen[e.src] {
			t.Errorf("%+v: requests seen for %v", tc, seen)
		}
	}
}
