package awsconf

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// CopyObject is the SDK's CopyObject, but for a client made with
// Options.CopyOutputUnread (the engine's destination client) a plain copy
// is first sent once without the SDK's middleware stack (leanCopier).
// A whole CopyObjectResult, or an answer about the object itself (see
// objectCodes), ends the call there. Any other answer goes on to the
// SDK's CopyObject with one attempt fewer, as its next attempt would;
// a copy the lean path does not handle is the SDK's from the start.
func (c *Client) CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	if c.lean == nil || len(optFns) > 0 {
		return c.Client.CopyObject(ctx, in, optFns...)
	}
	a := c.lean.try(ctx, in)
	switch {
	case a.done:
		return a.out, a.err
	case !a.sent:
		return c.Client.CopyObject(ctx, in)
	}
	out, err := c.Client.CopyObject(ctx, in, afterLeanAttempt)
	if err == nil && !a.retryable {
		// S3 refused the lean request and took the SDK's: the two differ
		// somewhere, so the SDK sends the rest.
		c.lean.off.Store(true)
	}
	return out, err
}

// leanCopier sends one attempt of a plain CopyObject by hand: the SDK's
// own URI and header encoding (httpbinding), its endpoint resolver (with
// backfill's cache), its SigV4 signer, HTTP client, credentials and
// retryer's attempt token (the send-rate limit, taken before signing), and
// none of the rest of its per-request stack (about 40 middleware steps and
// 250 allocations: the larger part of a small copy's CPU, measured in
// BenchmarkCopyObject).
//
// It is a first attempt only. It settles a success, and the answers that
// are about the object (objectCodes: a changed source, a missing key, an
// archived object), returned as an *smithy.OperationError carrying S3's
// code, message, status and request ID like the SDK's (without the host
// ID). Every other outcome (a throttle, a server error, a 200 with an
// Error body, a transport error, an access or signing refusal) goes on to
// the SDK's call, after the retryer's first backoff when retryable, with
// the SDK's retryer told one attempt is spent (afterLeanAttempt): its
// errors, codes and retries are then the call's. An answer that says the
// signing or the clock is off (the SDK corrects for clock skew, this path
// does not), or a refusal the SDK's own request then gets past, turns the
// lean path off for the client's life.
type leanCopier struct {
	opts     s3.Options
	retryer  attemptTokens
	signer   *v4.Signer
	requests *Requests
	off      atomic.Bool

	mu        sync.RWMutex
	endpoints map[string]leanEndpoint // by bucket (bucketEndpoint)
}

// attemptTokens is the part of backfill's retryer the lean path uses.
type attemptTokens interface {
	GetAttemptToken(context.Context) (func(error) error, error)
	IsErrorRetryable(error) bool
	RetryDelay(attempt int, err error) (time.Duration, error)
}

// leanAttempt is how a lean attempt went: done (out and err are the
// call's), sent but not settled (retryable says whether the retryer would
// try again), or not sent at all.
type leanAttempt struct {
	out                   *s3.CopyObjectOutput
	err                   error
	done, sent, retryable bool
}

// objectCodes are S3's answers about the object, not the request: the SDK
// would return them at once (none is retryable), and the engine settles
// them (a changed or deleted source, an archived object).
var objectCodes = map[string]bool{
	"PreconditionFailed": true, "NoSuchKey": true, "NoSuchVersion": true,
	"ObjectNotInActiveTierError": true, "InvalidObjectState": true,
}

// noLeanEnv, set to anything but empty, turns the lean path off: every
// copy is the SDK's (for comparing the two, or if the lean path ever
// misbehaves).
const noLeanEnv = "BACKFILL_SDK_COPY"

// emptySHA256 is the SHA-256 of an empty payload: a copy has no body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// errNotSent releases an attempt token whose request was never sent.
var errNotSent = errors.New("lean copy: request not sent")

// newLeanCopier returns the lean path for client, or nil when the
// client's settings are ones it does not reproduce.
func newLeanCopier(client *s3.Client, requests *Requests) *leanCopier {
	o := client.Options()
	r, ok := o.Retryer.(attemptTokens)
	if !ok || o.HTTPClient == nil || o.Credentials == nil || o.EndpointResolverV2 == nil ||
		o.UseAccelerate || o.EndpointOptions.DisableHTTPS || strings.Contains(o.Region, "fips") || o.Region == "" {
		return nil
	}
	return &leanCopier{opts: o, retryer: r, requests: requests, endpoints: map[string]leanEndpoint{},
		signer: v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })}
}

// plainCopy is the input the lean path sends: these fields and no other.
func plainCopy(in *s3.CopyObjectInput) bool {
	if in == nil || aws.ToString(in.Bucket) == "" || aws.ToString(in.Key) == "" || aws.ToString(in.CopySource) == "" ||
		strings.HasPrefix(*in.Bucket, "arn:") || strings.HasSuffix(*in.Bucket, "--x-s3") {
		return false
	}
	p := s3.CopyObjectInput{
		Bucket: in.Bucket, Key: in.Key, CopySource: in.CopySource, CopySourceIfMatch: in.CopySourceIfMatch,
		MetadataDirective: in.MetadataDirective, TaggingDirective: in.TaggingDirective, StorageClass: in.StorageClass,
		ServerSideEncryption: in.ServerSideEncryption, SSEKMSKeyId: in.SSEKMSKeyId, BucketKeyEnabled: in.BucketKeyEnabled,
		ACL: in.ACL, ExpectedSourceBucketOwner: in.ExpectedSourceBucketOwner, ExpectedBucketOwner: in.ExpectedBucketOwner,
	}
	return reflect.DeepEqual(&p, in)
}

// try sends the copy once, if it can.
func (l *leanCopier) try(ctx context.Context, in *s3.CopyObjectInput) leanAttempt {
	if l.off.Load() || !plainCopy(in) {
		return leanAttempt{}
	}
	req, name, region, err := l.request(ctx, in)
	if err != nil {
		return leanAttempt{}
	}
	release, err := l.retryer.GetAttemptToken(ctx)
	if err != nil {
		return leanAttempt{}
	}
	if err := l.sign(ctx, req, name, region); err != nil {
		_ = release(errNotSent)
		return leanAttempt{}
	}
	start := time.Now()
	outcome := l.send(req)
	_ = release(outcome)
	if outcome == nil {
		l.requests.record("CopyObject", time.Since(start))
		return leanAttempt{out: &s3.CopyObjectOutput{}, done: true, sent: true}
	}
	var re *smithyhttp.ResponseError
	var api smithy.APIError
	if errors.As(outcome, &re) && errors.As(outcome, &api) {
		if objectCodes[api.ErrorCode()] {
			l.requests.record("CopyObject", -1)
			return leanAttempt{done: true, sent: true, err: &smithy.OperationError{ServiceID: "S3", OperationName: "CopyObject",
				Err: &awshttp.ResponseError{ResponseError: re, RequestID: re.Response.Header.Get("X-Amz-Request-Id")}}}
		}
		if c := api.ErrorCode(); c == "SignatureDoesNotMatch" || c == "RequestTimeTooSkewed" {
			l.off.Store(true)
		}
	}
	a := leanAttempt{sent: true, retryable: ctx.Err() == nil && l.retryer.IsErrorRetryable(outcome)}
	if a.retryable {
		if d, err := l.retryer.RetryDelay(1, outcome); err == nil && d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
	return a
}

// afterLeanAttempt gives the SDK's call after a lean attempt a retryer
// with that attempt spent: one attempt fewer (at least one), and backoffs
// counted from the second attempt.
func afterLeanAttempt(o *s3.Options) {
	if r, ok := o.Retryer.(aws.RetryerV2); ok {
		o.Retryer = afterLean{r}
	}
}

type afterLean struct{ aws.RetryerV2 }

func (r afterLean) MaxAttempts() int { return max(r.RetryerV2.MaxAttempts()-1, 1) }

func (r afterLean) RetryDelay(attempt int, err error) (time.Duration, error) {
	return r.RetryerV2.RetryDelay(attempt+1, err)
}

// request builds the copy's HTTP request as the SDK would, unsigned: the
// same path (the key escaped by the SDK's own URI encoder, joined to the
// endpoint's path), the same x-amz headers. It returns the signing name
// and region the endpoint gives.
func (l *leanCopier) request(ctx context.Context, in *s3.CopyObjectInput) (req *http.Request, name, region string, err error) {
	ep, name, region, err := l.bucketEndpoint(ctx, in)
	if err != nil {
		return nil, "", "", err
	}
	enc, err := httpbinding.NewEncoder("/{Key+}", "", http.Header{})
	if err != nil {
		return nil, "", "", err
	}
	if err := enc.SetURI("Key").String(*in.Key); err != nil {
		return nil, "", "", err
	}
	setHeader(enc, "X-Amz-Copy-Source", in.CopySource)
	setHeader(enc, "X-Amz-Copy-Source-If-Match", in.CopySourceIfMatch)
	setHeader(enc, "X-Amz-Metadata-Directive", nonEmptyString(string(in.MetadataDirective)))
	setHeader(enc, "X-Amz-Tagging-Directive", nonEmptyString(string(in.TaggingDirective)))
	setHeader(enc, "X-Amz-Storage-Class", nonEmptyString(string(in.StorageClass)))
	setHeader(enc, "X-Amz-Server-Side-Encryption", nonEmptyString(string(in.ServerSideEncryption)))
	setHeader(enc, "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", in.SSEKMSKeyId)
	if in.BucketKeyEnabled != nil {
		enc.SetHeader("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled").Boolean(*in.BucketKeyEnabled)
	}
	setHeader(enc, "X-Amz-Acl", nonEmptyString(string(in.ACL)))
	setHeader(enc, "X-Amz-Source-Expected-Bucket-Owner", in.ExpectedSourceBucketOwner)
	setHeader(enc, "X-Amz-Expected-Bucket-Owner", in.ExpectedBucketOwner)
	enc.SetHeader("Accept-Encoding").String("identity")
	enc.SetHeader("X-Amz-Content-Sha256").String(emptySHA256)

	base, rawBase := ep.Path, ep.RawPath
	if rawBase == "" {
		rawBase = base
	}
	req, err = enc.Encode(&http.Request{Method: http.MethodPut, URL: &ep, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1})
	if err != nil {
		return nil, "", "", err
	}
	req.URL.Path = smithyhttp.JoinPath(base, req.URL.Path)
	req.URL.RawPath = smithyhttp.JoinPath(rawBase, req.URL.RawPath)
	req.Host = req.URL.Host
	req.Header.Set("User-Agent", "backfill")
	return req.WithContext(ctx), name, region, nil
}

// sign signs req with SigV4 for the signing name and region, now.
func (l *leanCopier) sign(ctx context.Context, req *http.Request, name, region string) error {
	creds, err := l.opts.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	if !creds.HasKeys() {
		return errors.New("anonymous credentials")
	}
	return l.signer.SignHTTP(ctx, creds, req, emptySHA256, name, region, time.Now().UTC())
}

func setHeader(enc *httpbinding.Encoder, name string, v *string) {
	if v != nil {
		enc.SetHeader(name).String(*v)
	}
}

func nonEmptyString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// leanEndpoint is a bucket's resolved endpoint and signing scope.
type leanEndpoint struct {
	uri          url.URL
	name, region string
}

// maxLeanEndpoints bounds the lean path's endpoint cache (a run copies
// into one bucket).
const maxLeanEndpoints = 64

// bucketEndpoint is endpoint, remembered per bucket: S3's endpoint rules
// read neither the key nor the copy source (TestEndpointCacheIgnoresKey),
// and the client's settings do not change.
func (l *leanCopier) bucketEndpoint(ctx context.Context, in *s3.CopyObjectInput) (url.URL, string, string, error) {
	bucket := *in.Bucket
	l.mu.RLock()
	e, ok := l.endpoints[bucket]
	l.mu.RUnlock()
	if ok {
		return e.uri, e.name, e.region, nil
	}
	uri, name, region, err := l.endpoint(ctx, in)
	if err != nil {
		return uri, name, region, err
	}
	l.mu.Lock()
	if len(l.endpoints) < maxLeanEndpoints {
		l.endpoints[bucket] = leanEndpoint{uri: uri, name: name, region: region}
	}
	l.mu.Unlock()
	return uri, name, region, nil
}

// endpoint resolves the bucket's endpoint with the client's resolver and
// the parameters the SDK binds for CopyObject. It refuses (an error) what
// the lean path does not reproduce: extra endpoint headers and any auth
// scheme but plain SigV4.
func (l *leanCopier) endpoint(ctx context.Context, in *s3.CopyObjectInput) (ep url.URL, name, region string, err error) {
	o := &l.opts
	p := s3.EndpointParameters{
		Region:                         aws.String(o.Region),
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
		Bucket:                         in.Bucket,
		Key:                            in.Key,
		CopySource:                     in.CopySource,
		DisableS3ExpressSessionAuth:    aws.Bool(true),
	}
	e, err := o.EndpointResolverV2.ResolveEndpoint(ctx, p)
	if err != nil {
		return ep, "", "", err
	}
	if len(e.Headers) > 0 {
		return ep, "", "", errors.New("endpoint headers")
	}
	name, region = "s3", o.Region
	opts, _ := smithyauth.GetAuthOptions(&e.Properties)
	if len(opts) > 0 {
		a := opts[0]
		if a.SchemeID != "sigv4" && a.SchemeID != smithyauth.SchemeIDSigV4 {
			return ep, "", "", errors.New("auth scheme " + a.SchemeID)
		}
		if n, ok := smithyhttp.GetSigV4SigningName(&a.SignerProperties); ok && n != "" && n != "s3" {
			return ep, "", "", errors.New("signing name " + n)
		}
		if r, ok := smithyhttp.GetSigV4SigningRegion(&a.SignerProperties); ok && r != "" {
			region = r
		}
		if d, ok := smithyhttp.GetDisableDoubleEncoding(&a.SignerProperties); ok && !d {
			return ep, "", "", errors.New("double URI encoding")
		}
	}
	return e.URI, name, region, nil
}

// send makes the request and reads the answer. It returns nil for a whole
// CopyObjectResult, else an error the retryer can judge: the transport's,
// or an API error with S3's code and the answer's status (a 200 with an
// Error body counts as a 500, as the SDK's check makes it).
func (l *leanCopier) send(req *http.Request) error {
	resp, err := l.opts.HTTPClient.Do(req)
	if err != nil {
		return &smithyhttp.RequestSendError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body) // as the SDK reads it: a long copy's heartbeat whitespace, then the document
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusOK {
		if root, ok := rootElement(body); ok && string(root) == string(copyObjectResult) && endsRoot(body) {
			return nil
		}
		resp.StatusCode = http.StatusInternalServerError
	}
	var doc struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	_ = xml.Unmarshal(body, &doc)
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp},
		Err: &smithy.GenericAPIError{Code: doc.Code, Message: doc.Message}}
}
