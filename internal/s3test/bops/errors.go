package bops

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
)

// apiError is an error answer: HTTP status, error code and message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Error codes of the S3 Control job operations. The five modelled ones decode
// into the SDK's types (types.BadRequestException, ...). The API reference
// lists every client error of these operations with HTTP 400; the service
// model carries no httpError trait, so the statuses rest on the reference.
const (
	codeBadRequest       = "BadRequestException"
	codeIdempotency      = "IdempotencyException"
	codeJobStatus        = "JobStatusException"
	codeNotFound         = "NotFoundException"
	codeInvalidRequest   = "InvalidRequestException"   // ListJobs
	codeInvalidNextToken = "InvalidNextTokenException" // ListJobs
)

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func notImplemented(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotImplemented, Code: "NotImplemented",
		Message: "bops emulator: " + fmt.Sprintf(format, args...)}
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "BOPS" + hex.EncodeToString(b)
}

// writeControlError answers with the S3 Control error body. The SDK
// (s3shared.GetErrorResponseComponents, IsWrappedWithErrorTag) reads
// ErrorResponse/Error/{Code,Message} and ErrorResponse/{RequestId,HostId}.
func writeControlError(w http.ResponseWriter, r *http.Request, e *apiError) {
	id := requestID()
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		"<ErrorResponse><Error><Code>" + html.EscapeString(e.Code) + "</Code><Message>" +
		html.EscapeString(e.Message) + "</Message></Error><RequestId>" + id +
		"</RequestId><HostId>" + id + "</HostId></ErrorResponse>"
	writeBody(w, r, e.Status, id, body)
}

// writeS3Error answers with the S3 error body (<Error> at the root), for the
// S3 requests the emulator answers itself.
func writeS3Error(w http.ResponseWriter, r *http.Request, e *apiError) {
	id := requestID()
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		"<Error><Code>" + html.EscapeString(e.Code) + "</Code><Message>" + html.EscapeString(e.Message) +
		"</Message><RequestId>" + id + "</RequestId><HostId>" + id + "</HostId></Error>"
	writeBody(w, r, e.Status, id, body)
}

func writeBody(w http.ResponseWriter, r *http.Request, status int, id, body string) {
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", id)
	h.Set("X-Amz-Id-2", id)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
