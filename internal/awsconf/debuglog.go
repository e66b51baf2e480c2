package awsconf

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/logging"
)

// debugLogMode is what --debug asks the SDK to log: each retry, and each
// request's line and headers (never a body).
const debugLogMode = aws.LogRetries | aws.LogRequest

// sdkLogger is where the SDK's own log lines go. Without --debug they go
// nowhere: no "falling back to IMDSv1" or checksum warnings among the
// progress lines. With it, to w, every line passed through Redact first.
func sdkLogger(w io.Writer) logging.Logger {
	if w == nil {
		return logging.Nop{}
	}
	return &debugLogger{w: w}
}

type debugLogger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *debugLogger) Logf(c logging.Classification, format string, v ...any) {
	msg := strings.TrimRight(Redact(fmt.Sprintf(format, v...)), "\r\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "backfill: debug: SDK %s %s\n", c, msg)
}

// secretPatterns find what a request dump must never show: SigV4
// signatures (Authorization header, presigned query), session tokens
// (header, query), and SSE-C keys.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(Signature=)[^,\s&]+`),
	regexp.MustCompile(`(?im)^(X-Amz-Security-Token:[ \t]*)[^\r\n]+`),
	regexp.MustCompile(`(?i)(X-Amz-Security-Token=)[^&\s]+`),
	regexp.MustCompile(`(?im)^(X-Amz-(?:Copy-Source-)?Server-Side-Encryption-Customer-Key(?:-MD5)?:[ \t]*)[^\r\n]+`),
}

// Redact removes signatures, session tokens and encryption keys from an
// SDK log line (a request dump, a retry message), leaving their names.
func Redact(s string) string {
	for _, p := range secretPatterns {
		s = p.ReplaceAllString(s, "${1}REDACTED")
	}
	return s
}
