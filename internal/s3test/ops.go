package s3test

import (
	"net/http"
	"net/url"
	"strings"
)

// subresource names the operations a query subresource selects, by method.
type subresource struct {
	query               string
	get, put, del, post string
}

// bucketSubresources are checked in order; the first one present wins.
var bucketSubresources = []subresource{
	{query: "versioning", get: "GetBucketVersioning", put: "PutBucketVersioning"},
	{query: "location", get: "GetBucketLocation"},
	{query: "versions", get: "ListObjectVersions"},
	{query: "uploads", get: "ListMultipartUploads"},
	{query: "delete", post: "DeleteObjects"},
	{query: "replication", get: "GetBucketReplication", put: "PutBucketReplication", del: "DeleteBucketReplication"},
	{query: "tagging", get: "GetBucketTagging", put: "PutBucketTagging", del: "DeleteBucketTagging"},
	{query: "policyStatus", get: "GetBucketPolicyStatus"},
	{query: "policy", get: "GetBucketPolicy", put: "PutBucketPolicy", del: "DeleteBucketPolicy"},
	{query: "encryption", get: "GetBucketEncryption", put: "PutBucketEncryption", del: "DeleteBucketEncryption"},
	{query: "publicAccessBlock", get: "GetPublicAccessBlock", put: "PutPublicAccessBlock", del: "DeletePublicAccessBlock"},
	{query: "ownershipControls", get: "GetBucketOwnershipControls", put: "PutBucketOwnershipControls", del: "DeleteBucketOwnershipControls"},
	{query: "acl", get: "GetBucketAcl", put: "PutBucketAcl"},
	{query: "cors", get: "GetBucketCors", put: "PutBucketCors", del: "DeleteBucketCors"},
	{query: "lifecycle", get: "GetBucketLifecycleConfiguration", put: "PutBucketLifecycleConfiguration", del: "DeleteBucketLifecycle"},
	{query: "object-lock", get: "GetObjectLockConfiguration", put: "PutObjectLockConfiguration"},
	{query: "notification", get: "GetBucketNotificationConfiguration", put: "PutBucketNotificationConfiguration"},
	{query: "website", get: "GetBucketWebsite", put: "PutBucketWebsite", del: "DeleteBucketWebsite"},
	{query: "logging", get: "GetBucketLogging", put: "PutBucketLogging"},
	{query: "requestPayment", get: "GetBucketRequestPayment", put: "PutBucketRequestPayment"},
	{query: "accelerate", get: "GetBucketAccelerateConfiguration", put: "PutBucketAccelerateConfiguration"},
	{query: "analytics", get: "GetBucketAnalyticsConfiguration", put: "PutBucketAnalyticsConfiguration", del: "DeleteBucketAnalyticsConfiguration"},
	{query: "metrics", get: "GetBucketMetricsConfiguration", put: "PutBucketMetricsConfiguration", del: "DeleteBucketMetricsConfiguration"},
}

var objectSubresources = []subresource{
	{query: "tagging", get: "GetObjectTagging", put: "PutObjectTagging", del: "DeleteObjectTagging"},
	{query: "acl", get: "GetObjectAcl", put: "PutObjectAcl"},
	{query: "attributes", get: "GetObjectAttributes"},
	{query: "retention", get: "GetObjectRetention", put: "PutObjectRetention"},
	{query: "legal-hold", get: "GetObjectLegalHold", put: "PutObjectLegalHold"},
	{query: "restore", post: "RestoreObject"},
	{query: "select", post: "SelectObjectContent"},
	{query: "uploads", post: "CreateMultipartUpload"},
}

func (sr subresource) op(method string) string {
	switch method {
	case http.MethodGet:
		return sr.get
	case http.MethodPut:
		return sr.put
	case http.MethodDelete:
		return sr.del
	case http.MethodPost:
		return sr.post
	}
	return ""
}

// SplitPath splits a path-style request path (already unescaped) into bucket
// and key: the first segment is the bucket, the rest is the key, verbatim
// (so "/b//x" is key "/x" and "/b/a//c" is key "a//c").
func SplitPath(path string) (bucket, key string) {
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// Operation classifies a path-style S3 request into the API name, e.g.
// "PutObject", "UploadPartCopy", "ListObjectsV2". Bucket requests it does not
// know are "Bucket:<METHOD>", others "Unknown:<METHOD>".
func Operation(r *http.Request) string {
	bucket, key := SplitPath(r.URL.Path)
	q := r.URL.Query()
	m := r.Method
	switch {
	case bucket == "":
		if m == http.MethodGet {
			return "ListBuckets"
		}
		return "Unknown:" + m
	case key == "":
		return bucketOperation(m, q)
	}
	return objectOperation(m, q, r.Header.Get("X-Amz-Copy-Source") != "")
}

func bucketOperation(m string, q url.Values) string {
	if q.Has("inventory") {
		switch m {
		case http.MethodGet:
			if q.Has("id") {
				return "GetBucketInventoryConfiguration"
			}
			return "ListBucketInventoryConfigurations"
		case http.MethodPut:
			return "PutBucketInventoryConfiguration"
		case http.MethodDelete:
			return "DeleteBucketInventoryConfiguration"
		}
		return "Bucket:" + m
	}
	for _, sr := range bucketSubresources {
		if q.Has(sr.query) {
			if op := sr.op(m); op != "" {
				return op
			}
			return "Bucket:" + m
		}
	}
	switch m {
	case http.MethodGet:
		if q.Get("list-type") == "2" {
			return "ListObjectsV2"
		}
		return "ListObjects"
	case http.MethodHead:
		return "HeadBucket"
	case http.MethodPut:
		return "CreateBucket"
	case http.MethodDelete:
		return "DeleteBucket"
	}
	return "Bucket:" + m
}

func objectOperation(m string, q url.Values, copySource bool) string {
	if q.Has("uploadId") {
		switch m {
		case http.MethodPut:
			if copySource {
				return "UploadPartCopy"
			}
			return "UploadPart"
		case http.MethodPost:
			return "CompleteMultipartUpload"
		case http.MethodDelete:
			return "AbortMultipartUpload"
		case http.MethodGet:
			return "ListParts"
		}
		return "Unknown:" + m
	}
	for _, sr := range objectSubresources {
		if q.Has(sr.query) {
			if op := sr.op(m); op != "" {
				return op
			}
			return "Unknown:" + m
		}
	}
	switch m {
	case http.MethodGet:
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		if copySource {
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodDelete:
		return "DeleteObject"
	}
	return "Unknown:" + m
}
