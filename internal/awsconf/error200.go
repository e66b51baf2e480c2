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
//
// Two answers are judged as the SDK would: a read error after the root
// element began goes to the deserializer behind the bytes read (which
// succeeds if the document was whole, as the SDK's check stopping at the
// root would), and a read error before it is returned, for the retryer to
// judge. One is judged more strictly: a 2xx copy answer with no root
// element at all (an empty body) is a 500, not a copy, because S3 always
// sends a result document for a copy that finished and the SDK would
// otherwise report success with no result (UploadPartCopy: no part ETag).
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
	b, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	root, found := rootElement(b)
	if readErr != nil && !found {
		// As the SDK's check does: the read error, for the retryer to judge.
		return out, md, readErr
	}
	resp.Body = &readBody{r: bytes.NewReader(b), b: b, err: readErr, root: root}
	if !found || bytes.EqualFold(root, []byte("Error")) {
		resp.StatusCode = 500
	}
	return out, md, nil
}

// readBody is an answer's body after error200 read it: its bytes, then the
// read error that ended them (if any), with the root element's local name
// for the deserializer after it (copyresult.go).
type readBody struct {
	r    *bytes.Reader
	b    []byte // all of it
	err  error  // the read error after the bytes, or nil
	root []byte // the root element's local name; nil if none
}

func (b *readBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF && b.err != nil {
		err = b.err
	}
	return n, err
}

func (b *readBody) Close() error { return nil }

// rootElement finds the start of the XML document b's root element and
// returns its local name, as the SDK's decoder would name it. Like that
// decoder it passes over a byte-order mark, text, the XML declaration,
// processing instructions, comments, CDATA and a DOCTYPE.
func rootElement(b []byte) (name []byte, found bool) {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 || i+1 >= len(b) {
			return nil, false
		}
		b = b[i:]
		var skip int
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			skip = endAfter(b, 2, "?>")
		case bytes.HasPrefix(b, []byte("<!--")):
			skip = endAfter(b, 4, "-->")
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			skip = endAfter(b, 9, "]]>")
		case bytes.HasPrefix(b, []byte("<!")):
			skip = declEnd(b)
		default:
			name := b[1:]
			if i := bytes.IndexAny(name, " \t\r\n/>"); i >= 0 {
				name = name[:i]
			}
			// encoding/xml's nsname: a prefix only when both sides of the
			// one colon are non-empty.
			if space, local, ok := bytes.Cut(name, []byte(":")); ok && len(space) > 0 && len(local) > 0 {
				name = local
			}
			return name, true
		}
		if skip < 0 {
			return nil, false
		}
		b = b[skip:]
	}
}

// endAfter returns the length of b up to and including the first end
// found from offset from on, or -1.
func endAfter(b []byte, from int, end string) int {
	i := bytes.Index(b[from:], []byte(end))
	if i < 0 {
		return -1
	}
	return from + i + len(end)
}

// declEnd returns the length of the <!...> declaration (a DOCTYPE, perhaps
// with an internal subset) at the start of b, or -1, as encoding/xml reads
// one: the character after "<!" is taken as it is; after it, a '>' outside
// quotes and nested '<'s ends it, and nested comments are skipped whole.
func declEnd(b []byte) int {
	depth, quote := 0, byte(0)
	for i := 3; i < len(b); i++ {
		c := b[i]
		if quote == 0 && c == '>' && depth == 0 {
			return i + 1
		}
		switch {
		case c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			depth--
		case c == '<':
			if bytes.HasPrefix(b[i:], []byte("<!--")) {
				j := bytes.Index(b[i+4:], []byte("-->"))
				if j < 0 {
					return -1
				}
				i += 4 + j + 2
				continue
			}
			depth++
		}
	}
	return -1
}
