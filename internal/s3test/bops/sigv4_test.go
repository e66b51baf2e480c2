package bops

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
)

// Requests must carry a valid SigV4 signature of the emulator's key pair.
func TestSigV4(t *testing.T) {
	e := newEnv(t, Options{})
	ak, sk := e.emu.opts.AccessKey, e.emu.opts.SecretKey
	const list = "/v20180820/jobs"
	cases := []struct {
		name        string
		key, secret string
		mod         func(*http.Request)
		status      int
		code        string
	}{
		{name: "Valid", key: ak, secret: sk, status: 200},
		{name: "WrongSecret", key: ak, secret: sk + "x", status: 403, code: "SignatureDoesNotMatch"},
		{name: "UnknownKey", key: "AKIAUNKNOWN", secret: sk, status: 403, code: "InvalidAccessKeyId"},
		{name: "NoAuthorization", key: ak, secret: sk, mod: func(r *http.Request) { r.Header.Del("Authorization") },
			status: 403, code: "AccessDenied"},
		{name: "QueryChangedAfterSigning", key: ak, secret: sk, mod: func(r *http.Request) { r.URL.RawQuery = "maxResults=1" },
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "SignedHeaderChanged", key: ak, secret: sk, mod: func(r *http.Request) { r.Header.Set("X-Amz-Account-Id", "123456789013") },
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "PayloadHashMismatch", key: ak, secret: sk, mod: func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
		}, status: 400, code: "XAmzContentSHA256Mismatch"},
		{name: "WrongRegion", key: ak, secret: sk, mod: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
		}, status: 400, code: "AuthorizationHeaderMalformed"},
		{name: "NotSigV4", key: ak, secret: sk, mod: func(r *http.Request) { r.Header.Set("Authorization", "AWS "+ak+":c2lnbmF0dXJl") },
			status: 400, code: "AuthorizationHeaderMalformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := e.signed(http.MethodGet, list, "", c.key, c.secret, func(r *http.Request) {
				if c.mod != nil {
					c.mod(r)
				}
			})
			if resp.StatusCode != c.status || c.code != "" && !strings.Contains(body, "<Code>"+c.code+"</Code>") {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
		})
	}
}

// A request signed long ago is refused.
func TestSigV4ClockSkew(t *testing.T) {
	e := newEnv(t, Options{})
	resp, body := e.signedAt(time.Now().Add(-20*time.Minute), http.MethodGet, "/v20180820/jobs", "",
		e.emu.opts.AccessKey, e.emu.opts.SecretKey)
	if resp.StatusCode != 403 || !strings.Contains(body, "<Code>RequestTimeTooSkewed</Code>") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// The SDK reports a bad signature as an API error with AWS's code.
func TestSigV4SDKErrors(t *testing.T) {
	e := newEnv(t, Options{})
	bad := e.emu.Client(func(o *s3control.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: e.emu.opts.AccessKey, SecretAccessKey: "not-the-secret"}, nil
		})
	})
	_, err := bad.ListJobs(e.ctx, &s3control.ListJobsInput{AccountId: aws.String(e.emu.AccountID())})
	apiErr(t, err, "SignatureDoesNotMatch", 403)
}
