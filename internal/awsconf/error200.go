package awsconf

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdk200ErrorID is the ID of the SDK's check for S3's "200 OK with an
// error in the body" answers (CopyObject, UploadPartCopy): S3 sends the
// status before the copy ends and the outcome after it.
const sdk200ErrorID = "S3:ProcessResponseFor200Error"

// error200Ops are the operations whose check is swapped for error200: the
// copies, made once per object or part. Their answers are a few hundred
// bytes of XML (plus the whitespace S3 sends while a long copy runs).
var error200Ops = map[string]bool{"CopyObject": true, "UploadPartCopy": true}

// swap200ErrorCheck puts error200 in place of the SDK's check on the copy
// operations. The SDK's check runs a second XML decoder over the answer
// (with its own 4 KiB buffer) just to read the root element's name: about
// a tenth of a small copy's CPU. Where the SDK has no such check (a
// renamed ID), its stack is left as it is.
func swap200ErrorCheck(stack *middleware.Stack) error {
	if !error200Ops[stack.ID()] {
		return nil
	}
	if _, ok := stack.Deserialize.Get(sdk200ErrorID); !ok {
		return nil
	}
	_, err := stack.Deserialize.Swap(sdk200ErrorID, error200{})
	return err
}

// error200 does what the SDK's check does, with less work: a 2xx answer
// whose XML root element is Error is given status 500, so the SDK parses
// it as the error it is and the retryer treats it as a server error. The
// body is read whole (the deserializer would read it anyway) and handed on
// as an in-memory reader.
type error200 struct{}

func (error200) ID() string { return sdk200ErrorID }

func (error200) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	out middleware.DeserializeOutput, md middleware.Metadata, err error,
) {
	out, md, err = next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		return out, md, &smithy.DeserializationError{Err: fmt.Errorf("unknown transport type %T", out.RawResponse)}
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return out, md, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		// As the SDK's check does: the read error, for the retryer to judge.
		return out, md, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rootIsError(body) {
		resp.StatusCode = 500
	}
	return out, md, nil
}

// rootIsError reports whether the XML document b's root element is named
// Error (in any case, any namespace prefix), as the SDK's check decides.
// Like the SDK's decoder it passes over a byte-order mark, text, the XML
// declaration, processing instructions, comments, CDATA and a DOCTYPE.
func rootIsError(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			return false
		}
		b = b[i:]
		var end string
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end = "?>"
		case bytes.HasPrefix(b, []byte("<!--")):
			end = "-->"
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			end = "]]>"
		case bytes.HasPrefix(b, []byte("<!")):
			n := declEnd(b)
			if n < 0 {
				return false
			}
			b = b[n:]
			continue
		default:
			name := b[1:]
			if i := bytes.IndexAny(name, " \t\r\n/>"); i >= 0 {
				name = name[:i]
			}
			if i := bytes.LastIndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return bytes.EqualFold(name, []byte("Error"))
		}
		i = bytes.Index(b, []byte(end))
		if i < 0 {
			return false
		}
		b = b[i+len(end):]
	}
}

// declEnd returns the length of the <!...> declaration (a DOCTYPE, perhaps
// with an internal subset) at the start of b, or -1: its '>' is the one
// that closes its first '<', outside quotes.
func declEnd(b []byte) int {
	depth, quote := 0, byte(0)
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '<':
			depth++
		case c == '>':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}
