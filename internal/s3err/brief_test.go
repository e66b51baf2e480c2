package s3err

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkError builds an error shaped like the S3 client's: an operation
// error around an HTTP response error (with request and host ids) around
// the API error.
func sdkError(op string, status int, inner error) error {
	resp := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: inner}
	return &smithy.OperationError{ServiceID: "S3", OperationName: op,
		Err: &hostIDError{ResponseError: &awshttp.ResponseError{ResponseError: resp, RequestID: "REQ123"}, HostID: "HOST456"}}
}

// hostIDError is S3's response error (service/internal/s3shared): the
// request id and the host id.
type hostIDError struct {
	*awshttp.ResponseError
	HostID string
}

func (e *hostIDError) Error() string {
	return fmt.Sprintf("https response error StatusCode: %d, RequestID: %s, HostID: %s, %v",
		e.Response.StatusCode, e.RequestID, e.HostID, e.Err)
}
func (e *hostIDError) Unwrap() error { return e.ResponseError }

func TestBrief(t *testing.T) {
	denied := sdkError("ListObjectsV2", 403, &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"})
	if !strings.Contains(denied.Error(), "RequestID: REQ123, HostID: HOST456") {
		t.Fatalf("the fake is not shaped like the SDK's: %v", denied)
	}
	refused := sdkError("CopyObject", 0, errors.New("request send failed, dial tcp 127.0.0.1:1: connect: connection refused"))
	refused.(*smithy.OperationError).Err = &retry.MaxAttemptsError{Attempt: 10, Err: refused.(*smithy.OperationError).Err}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{denied, "ListObjectsV2 answered 403 AccessDenied: Access Denied"},
		{fmt.Errorf("source s3://media: access denied (%w)", denied), "source s3://media: access denied (ListObjectsV2 answered 403 AccessDenied: Access Denied)"},
		{&RunError{What: "list s3://media/", Hint: "denied", Err: denied}, "list s3://media/: denied (ListObjectsV2 answered 403 AccessDenied: Access Denied)"},
		{sdkError("HeadObject", 404, &smithy.GenericAPIError{Code: "NotFound", Message: "Not Found"}), "HeadObject answered 404 NotFound: Not Found"},
		{refused, "CopyObject: request send failed, dial tcp 127.0.0.1:1: connect: connection refused (after 10 attempts)"},
		{errors.Join(errors.New("first"), denied), "first\nListObjectsV2 answered 403 AccessDenied: Access Denied"},
		{fmt.Errorf("flattened: %v", denied), "flattened: operation error S3: ListObjectsV2, api error AccessDenied: Access Denied"},
		{errors.New("plain"), "plain"},
		{nil, ""},
	} {
		got := Brief(tc.err)
		if got != tc.want {
			t.Errorf("Brief(%v)\n = %q\nwant %q", tc.err, got, tc.want)
		}
		if strings.Contains(got, "REQ123") || strings.Contains(got, "HOST456") {
			t.Errorf("request details left in %q", got)
		}
	}
}
