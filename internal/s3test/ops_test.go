package s3test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestOperation(t *testing.T) {
	cases := []struct {
		method, target, copySource, want string
	}{
		{"GET", "/", "", "ListBuckets"},
		{"POST", "/", "", "Unknown:POST"},
		{"PUT", "/b", "", "CreateBucket"},
		{"PUT", "/b/", "", "CreateBucket"},
		{"DELETE", "/b", "", "DeleteBucket"},
		{"HEAD", "/b", "", "HeadBucket"},
		{"GET", "/b?list-type=2&prefix=a", "", "ListObjectsV2"},
		{"GET", "/b?prefix=a", "", "ListObjects"},
		{"GET", "/b?versions&prefix=a", "", "ListObjectVersions"},
		{"GET", "/b?uploads", "", "ListMultipartUploads"},
		{"GET", "/b?versioning", "", "GetBucketVersioning"},
		{"PUT", "/b?versioning", "", "PutBucketVersioning"},
		{"GET", "/b?location", "", "GetBucketLocation"},
		{"PUT", "/b?replication", "", "PutBucketReplication"},
		{"GET", "/b?replication", "", "GetBucketReplication"},
		{"PUT", "/b?inventory&id=x", "", "PutBucketInventoryConfiguration"},
		{"GET", "/b?inventory&id=x", "", "GetBucketInventoryConfiguration"},
		{"GET", "/b?inventory", "", "ListBucketInventoryConfigurations"},
		{"GET", "/b?tagging", "", "GetBucketTagging"},
		{"PUT", "/b?publicAccessBlock", "", "PutPublicAccessBlock"},
		{"PUT", "/b?encryption", "", "PutBucketEncryption"},
		{"GET", "/b?policyStatus", "", "GetBucketPolicyStatus"},
		{"POST", "/b?delete", "", "DeleteObjects"},
		{"POST", "/b", "", "Bucket:POST"},
		{"PATCH", "/b?versioning", "", "Bucket:PATCH"},
		{"GET", "/b/k?x-id=GetObject", "", "GetObject"},
		{"HEAD", "/b/k", "", "HeadObject"},
		{"PUT", "/b/k", "", "PutObject"},
		{"PUT", "/b/k", "/src/k", "CopyObject"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", "UploadPart"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "/src/k", "UploadPartCopy"},
		{"POST", "/b/k?uploads", "", "CreateMultipartUpload"},
		{"POST", "/b/k?uploadId=u", "", "CompleteMultipartUpload"},
		{"DELETE", "/b/k?uploadId=u", "", "AbortMultipartUpload"},
		{"GET", "/b/k?uploadId=u", "", "ListParts"},
		{"DELETE", "/b/k", "", "DeleteObject"},
		{"DELETE", "/b/k?versionId=v", "", "DeleteObject"},
		{"GET", "/b/k?tagging", "", "GetObjectTagging"},
		{"PUT", "/b/k?tagging", "", "PutObjectTagging"},
		{"DELETE", "/b/k?tagging", "", "DeleteObjectTagging"},
		{"GET", "/b/k?acl", "", "GetObjectAcl"},
		{"PUT", "/b/k?acl", "", "PutObjectAcl"},
		{"GET", "/b/k?attributes", "", "GetObjectAttributes"},
		{"POST", "/b/k", "", "Unknown:POST"},
		{"PATCH", "/b/k", "", "Unknown:PATCH"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		if c.copySource != "" {
			r.Header.Set("X-Amz-Copy-Source", c.copySource)
		}
		if got := Operation(r); got != c.want {
			t.Errorf("%s %s (copy %q) = %s, want %s", c.method, c.target, c.copySource, got, c.want)
		}
	}
}

func TestSplitPath(t *testing.T) {
	for _, c := range []struct{ target, bucket, key string }{
		{"/", "", ""},
		{"/b", "b", ""},
		{"/b/", "b", ""},
		{"/b/a/b%20c", "b", "a/b c"},
		{"/b//x", "b", "/x"},
		{"/b/a//c", "b", "a//c"},
		{"/b/a%2Bb%25", "b", "a+b%"},
	} {
		r := httptest.NewRequest(http.MethodGet, c.target, nil)
		if b, k := SplitPath(r.URL.Path); b != c.bucket || k != c.key {
			t.Errorf("%s = %q %q, want %q %q", c.target, b, k, c.bucket, c.key)
		}
	}
}
