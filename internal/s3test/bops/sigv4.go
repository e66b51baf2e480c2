package bops

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV4 verification, written from the Signature Version 4 specification
// rather than with the SDK's signer, so a client bug is not mirrored by the
// check: canonical request (method, S3-style URI encoded once, sorted query,
// the signed headers, the payload hash from x-amz-content-sha256), string to
// sign, signing key HMAC chain, constant-time compare. Only the
// Authorization-header form is accepted (no presigned URLs, no SigV4a, no
// aws-chunked streaming payloads).

const (
	sigAlgorithm = "AWS4-HMAC-SHA256"
	amzDateFmt   = "20060102T150405Z"
	maxSkew      = 15 * time.Minute
)

type authorization struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func accessDenied() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Access Denied"}
}

func malformedAuth(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed",
		Message: "The authorization header is malformed; " + msg}
}

func parseAuthorization(h string) (*authorization, *apiError) {
	rest, ok := strings.CutPrefix(h, sigAlgorithm+" ")
	if !ok {
		return nil, malformedAuth("only " + sigAlgorithm + " is supported")
	}
	a := &authorization{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return nil, malformedAuth("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"")
			}
			a.accessKey, a.date, a.region, a.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.accessKey == "" || len(a.signedHeaders) == 0 || a.signature == "" {
		return nil, malformedAuth("Credential, SignedHeaders and Signature are required")
	}
	return a, nil
}

// verifySigV4 checks r (whose body is body) against the one known key pair.
func (s *Server) verifySigV4(r *http.Request, body []byte) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return accessDenied()
	}
	a, aerr := parseAuthorization(h)
	if aerr != nil {
		return aerr
	}
	if a.accessKey != s.opts.AccessKey {
		return &apiError{Status: http.StatusForbidden, Code: "InvalidAccessKeyId",
			Message: "The AWS Access Key Id you provided does not exist in our records."}
	}
	if a.region != s.opts.Region {
		return malformedAuth("the region '" + a.region + "' is wrong; expecting '" + s.opts.Region + "'")
	}
	if a.service != "s3" {
		return malformedAuth("the service '" + a.service + "' is wrong; expecting 's3'")
	}
	if err := checkSignedHeaders(a.signedHeaders); err != nil {
		return err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFmt, amzDate)
	if err != nil || !strings.HasPrefix(amzDate, a.date) {
		return accessDenied()
	}
	if d := time.Since(t); d > maxSkew || d < -maxSkew {
		return &apiError{Status: http.StatusForbidden, Code: "RequestTimeTooSkewed",
			Message: "The difference between the request time and the current time is too large."}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if aerr := checkPayload(payload, body); aerr != nil {
		return aerr
	}
	want := signature(s.opts.SecretKey, a, amzDate, canonicalRequest(r, a.signedHeaders, payload))
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
			Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return nil
}

func checkSignedHeaders(signed []string) *apiError {
	if !sort.StringsAreSorted(signed) {
		return malformedAuth("SignedHeaders must be sorted")
	}
	var host, date bool
	for _, h := range signed {
		host = host || h == "host"
		date = date || h == "x-amz-date"
	}
	if !host || !date {
		return accessDenied()
	}
	return nil
}

func checkPayload(payload string, body []byte) *apiError {
	switch {
	case payload == "":
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: "Missing required header for this request: x-amz-content-sha256"}
	case payload == "UNSIGNED-PAYLOAD":
		return nil
	case strings.HasPrefix(payload, "STREAMING-"):
		return notImplemented("streaming (aws-chunked) payloads are not supported")
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != payload {
		return &apiError{Status: http.StatusBadRequest, Code: "XAmzContentSHA256Mismatch",
			Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return nil
}

func canonicalRequest(r *http.Request, signed []string, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(uriEncode(r.URL.Path, false) + "\n")
	b.WriteString(canonicalQuery(r.URL.RawQuery) + "\n")
	for _, name := range signed {
		b.WriteString(name + ":" + canonicalHeaderValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payload)
	return b.String()
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values(name)
		if len(vals) == 0 && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var pairs []string
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			dk, dv = k, v
		}
		pairs = append(pairs, uriEncode(dk, true)+"="+uriEncode(dv, true))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode is SigV4's UriEncode: every byte but A-Z a-z 0-9 - . _ ~ (and
// '/' unless encodeSlash) becomes %XX with upper-case hex.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func signature(secret string, a *authorization, amzDate, canonical string) string {
	scope := a.date + "/" + a.region + "/" + a.service + "/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), a.date)
	for _, part := range []string{a.region, a.service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
