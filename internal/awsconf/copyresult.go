package awsconf

import (
	"bytes"
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkDeserializerID is the ID of each operation's output deserializer in
// the SDK's stacks.
const sdkDeserializerID = "OperationDeserializer"

// copyObjectResult is the root element of a finished CopyObject's answer.
var copyObjectResult = []byte("CopyObjectResult")

// skipCopyOutput puts copyOutputUnread in front of the SDK's CopyObject
// deserializer (Options.CopyOutputUnread). Where the stack lacks either the
// SDK's deserializer or backfill's 200-error check, it is left as it is.
func skipCopyOutput(stack *middleware.Stack) error {
	if stack.ID() != "CopyObject" {
		return nil
	}
	sdk, ok := stack.Deserialize.Get(sdkDeserializerID)
	if !ok {
		return nil
	}
	if m, _ := stack.Deserialize.Get(sdk200ErrorID); !isError200(m) {
		return nil // no answer read and checked for copyOutputUnread to judge
	}
	if _, ok := sdk.(copyOutputUnread); ok {
		return nil
	}
	_, err := stack.Deserialize.Swap(sdkDeserializerID, copyOutputUnread{sdk: sdk})
	return err
}

// copyOutputUnread settles a CopyObject whose answer is a CopyObjectResult
// document, from its start tag to its end tag, without decoding it: the
// call returns an empty CopyObjectOutput (with its ResultMetadata: request
// and host IDs), for a caller that reads nothing from it but the error.
// Decoding the document (a second XML decoder with a 4 KiB buffer, a ring
// buffer, the headers) was about a tenth of a small copy's CPU and a
// quarter of its allocated bytes.
//
// Every other answer goes to the SDK's deserializer as it came: an error
// status (a 200 with an Error body has been turned into a 500 by error200
// by then), a transport error, a body cut short by a read error, and any
// other document. So errors keep the SDK's codes, messages and request
// IDs, and the retryer judges them as before. What is not checked is the
// inside of the document: a CopyObjectResult S3 sent whole means the copy
// finished, whatever its fields say; the SDK would fail one it cannot
// parse (a malformed tag, a bad date), and the engine would copy again.
type copyOutputUnread struct {
	sdk middleware.DeserializeMiddleware
}

func (copyOutputUnread) ID() string { return sdkDeserializerID }

func (m copyOutputUnread) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	out middleware.DeserializeOutput, md middleware.Metadata, err error,
) {
	out, md, err = next.HandleDeserialize(ctx, in)
	resp, _ := out.RawResponse.(*smithyhttp.Response)
	if err != nil || resp == nil || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return m.sdk.HandleDeserialize(ctx, in, answered{out, md, err})
	}
	body, ok := resp.Body.(*readBody)
	if !ok || body.err != nil || !bytes.Equal(body.root, copyObjectResult) || !endsRoot(body.b) {
		return m.sdk.HandleDeserialize(ctx, in, answered{out, md, err})
	}
	out.Result = &s3.CopyObjectOutput{}
	return out, md, nil
}

// endsRoot says whether the document b ends with a CopyObjectResult end
// tag (perhaps namespace-prefixed) and whitespace: the answer came whole.
func endsRoot(b []byte) bool {
	b = bytes.TrimRight(b, " \t\r\n")
	if !bytes.HasSuffix(b, []byte(">")) {
		return false
	}
	i := bytes.LastIndex(b, []byte("</"))
	if i < 0 {
		return false
	}
	name := b[i+2 : len(b)-1]
	if space, local, ok := bytes.Cut(name, []byte(":")); ok && len(space) > 0 && len(local) > 0 {
		name = local // as rootElement names the start tag
	}
	return bytes.Equal(name, copyObjectResult)
}

func isError200(m middleware.DeserializeMiddleware) bool {
	_, ok := m.(error200)
	return ok
}

// answered is the rest of the stack, already called: it hands the SDK's
// deserializer the answer the request got.
type answered struct {
	out middleware.DeserializeOutput
	md  middleware.Metadata
	err error
}

func (a answered) HandleDeserialize(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
	return a.out, a.md, a.err
}
