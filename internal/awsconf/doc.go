// Package awsconf builds the AWS SDK clients backfill uses, one per side of a
// copy (source and destination), from the SDK's default configuration chain
// plus backfill's flags.
//
// Contract:
//   - Each side may have its own profile, region and endpoint; a side's own
//     setting beats the shared one, which beats the SDK's chain (environment,
//     shared config files, AWS_ENDPOINT_URL*).
//   - Retries are configured here once, for every client: the SDK's standard
//     retryer with MaxAttempts attempts and no retry-token quota, so a burst
//     of 503s slows the run down instead of failing objects with
//     QuotaExceeded; and a per-client send-rate limit, off until S3
//     throttles, then just under the rate S3 accepted in the last second,
//     probing upward while it is not throttled (throttle.go). An answer cut
//     short (the connection closed after the headers: io.ErrUnexpectedEOF)
//     is retried too, which the SDK's retryer does not do (truncated.go).
//   - A side's credentials provider is wrapped so that credentials the SDK
//     cannot load or refresh (an ended SSO or role session) fail as an
//     *s3err.CredentialsError, a failure of the run (credentials.go).
//   - The HTTP client is the SDK's BuildableClient with a connection pool
//     sized to the run's concurrency. Keeping it buildable is what lets
//     AWS_CA_BUNDLE work (the SDK refuses other clients with "unsupported
//     transport").
//   - A custom endpoint implies path-style addressing.
//   - When no region is set anywhere and no endpoint is given, the bucket's
//     own region is looked up (one HeadBucket).
//   - Three cuts in the SDK's per-request work (and the lean copy below), each checked against the
//     SDK's own answer in tests: endpoint resolutions are cached per bucket
//     and settings (endpoint.go; S3's rules do not read the key), and the
//     copies' "200 OK with an Error body" check reads the root element
//     without a second XML decoder (error200.go). These two keep the SDK's
//     behaviour: same endpoints, same retried 500 for such an answer.
//     With Options.CopyOutputUnread (the engine's destination client), a
//     CopyObject answered with a whole CopyObjectResult document returns an
//     empty output without decoding it; every other answer goes to the
//     SDK's deserializer, so errors and retries are the SDK's
//     (copyresult.go). The one difference is deliberate: a whole
//     CopyObjectResult the SDK cannot decode (a malformed field) counts as
//     the copy it reports, where the SDK would fail it.
//   - With Options.CopyOutputUnread and no DebugLog, a plain CopyObject
//     (the fields the engine sends on a one-request copy, nothing else) is
//     first sent once without the SDK's per-request middleware stack: the
//     SDK's own URI/header encoder, endpoint resolver, SigV4 signer, HTTP
//     client, credentials and attempt token (the send-rate limit), built
//     and sent by hand (leancopy.go). That halves a small copy's CPU. A
//     whole CopyObjectResult, or an answer about the object (changed,
//     missing, archived), settles the call there; every other answer makes
//     the SDK's own call after it with that attempt spent (its errors,
//     codes, retries). TestLeanCopyRequestIsTheSDKs checks method, host,
//     escaped path and x-amz headers against the SDK's request for both
//     addressing styles and awkward keys; TestLeanCopySignatureVerifies
//     checks the signature by the SigV4 specification on a server. An
//     answer saying the signature or clock is off, or a refusal the SDK's
//     request then gets past, turns the path off for the client;
//     BACKFILL_SDK_COPY (any non-empty value) turns it off for a run.
//   - Credentials are never logged or stored; CheckCredentials only reports
//     whether they could be found.
package awsconf
