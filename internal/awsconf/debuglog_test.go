package awsconf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
)

func TestRedact(t *testing.T) {
	dump := "GET /media?list-type=2 HTTP/1.1\r\n" +
		"Host: 127.0.0.1:9000\r\n" +
		"Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n" +
		"X-Amz-Security-Token: FwoGZXIvYXdzEXAMPLETOKEN+/=\r\n" +
		"x-amz-server-side-encryption-customer-key: c2VjcmV0LWtleQ==\r\n" +
		"X-Amz-Date: 20260101T000000Z\r\n\r\n" +
		"GET /k?X-Amz-Security-Token=QUERYTOKEN&X-Amz-Signature=fedcba9876&X-Amz-Credential=AKIDEXAMPLE HTTP/1.1\r\n"
	got := Redact(dump)
	for _, secret := range []string{"0123456789abcdef", "FwoGZXIvYXdzEXAMPLETOKEN", "c2VjcmV0LWtleQ", "QUERYTOKEN", "fedcba9876"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q left in\n%s", secret, got)
		}
	}
	for _, kept := range []string{"Host: 127.0.0.1:9000\r\n", "Signature=REDACTED\r\n", "X-Amz-Security-Token: REDACTED\r\n", "X-Amz-Date: 20260101T000000Z", "SignedHeaders=host;x-amz-date;x-amz-security-token,", "X-Amz-Signature=REDACTED&"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q missing from\n%s", kept, got)
		}
	}
}

func TestSDKLogger(t *testing.T) {
	if _, ok := sdkLogger(nil).(logging.Nop); !ok {
		t.Error("without --debug the SDK must log nothing")
	}
	var b bytes.Buffer
	sdkLogger(&b).Logf(logging.Debug, "Request\n%s", "Authorization: x Signature=abc123\r\n")
	if got := b.String(); got != "backfill: debug: SDK DEBUG Request\nAuthorization: x Signature=REDACTED\n" {
		t.Errorf("%q", got)
	}
}
