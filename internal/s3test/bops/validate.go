package bops

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// CreateJob validation. Constraints come from the S3 Control service model
// (botocore s3control 2018-08-20 service-2.json and the aws-sdk-go-v2
// v1.71.1 types): required members, lengths, enums and ARN patterns. Every
// rejection answers BadRequestException (HTTP 400); the messages are the
// emulator's own (AWS's wording is UNCONFIRMED).

var (
	roleArnRe   = regexp.MustCompile(`^arn:[^:]+:iam::\d{12}:role/.+$`)
	accountIDRe = regexp.MustCompile(`^\d{12}$`)
	bucketRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	tagRe       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

const (
	opCopy      = "S3PutObjectCopy"
	opReplicate = "S3ReplicateObject"

	formatCSV        = "S3BatchOperations_CSV_20180820"
	formatInventory  = "S3InventoryReport_CSV_20161130"
	formatGenerated  = "S3InventoryReport_CSV_20211130"
	formatReport     = "Report_CSV_20180820"
	scopeAllTasks    = "AllTasks"
	scopeFailedTasks = "FailedTasksOnly"
)

// awsOperations are the JobOperation members AWS knows (SDK v1.71.1); the
// emulator runs only S3PutObjectCopy and S3ReplicateObject.
var awsOperations = map[string]bool{
	"LambdaInvoke": true, "S3PutObjectCopy": true, "S3PutObjectAcl": true, "S3PutObjectTagging": true,
	"S3DeleteObjectTagging": true, "S3InitiateRestoreObject": true, "S3PutObjectLegalHold": true,
	"S3PutObjectRetention": true, "S3ReplicateObject": true, "S3ComputeObjectChecksum": true,
	"S3UpdateObjectEncryption": true,
}

var (
	storageClasses     = set("STANDARD", "STANDARD_IA", "ONEZONE_IA", "GLACIER", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR")
	checksumAlgorithms = set("CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME", "SHA512", "MD5", "XXHASH64", "XXHASH3", "XXHASH128")
	replicationStatus  = set("COMPLETED", "FAILED", "REPLICA", "NONE")
	cannedACLs         = set("private", "public-read", "public-read-write", "aws-exec-read", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control")
)

func set(v ...string) map[string]bool {
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

// s3ARN is a parsed arn:<partition>:s3:::<bucket>[/<key>].
type s3ARN struct{ Bucket, Key string }

// parseS3ARN parses an S3 bucket or object ARN; wantKey says which.
func parseS3ARN(arn string, wantKey bool) (s3ARN, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] == "" || f[2] != "s3" || f[3] != "" || f[4] != "" {
		return s3ARN{}, false
	}
	bucket, key, hasKey := strings.Cut(f[5], "/")
	if !bucketRe.MatchString(bucket) || strings.Contains(bucket, "..") {
		return s3ARN{}, false
	}
	if wantKey != (hasKey && key != "") || (!wantKey && hasKey) {
		return s3ARN{}, false
	}
	return s3ARN{Bucket: bucket, Key: key}, true
}

func validBucketName(b string) bool { return bucketRe.MatchString(b) && !strings.Contains(b, "..") }

// validateCreateJob checks a decoded request (the account header is checked before).
func validateCreateJob(req *createJobRequest) *apiError {
	checks := []func(*createJobRequest) *apiError{
		validateRequired, validateScalars, validateTags, validateOperation,
		validateManifestChoice, validateReport,
	}
	for _, check := range checks {
		if err := check(req); err != nil {
			return err
		}
	}
	return nil
}

func validateRequired(req *createJobRequest) *apiError {
	switch {
	case req.Operation == nil:
		return badRequest("Operation is required")
	case req.Priority == nil:
		return badRequest("Priority is required")
	case req.Report == nil:
		return badRequest("Report is required")
	case req.RoleArn == nil:
		return badRequest("RoleArn is required")
	case req.ClientRequestToken == nil:
		return badRequest("ClientRequestToken is required")
	}
	return nil
}

func validateScalars(req *createJobRequest) *apiError {
	if n := utf8.RuneCountInString(*req.ClientRequestToken); n < 1 || n > 64 {
		return badRequest("ClientRequestToken must be 1 to 64 characters long")
	}
	if p := *req.Priority; p < 0 || p > 2147483647 {
		return badRequest("Priority must be between 0 and 2147483647")
	}
	if !roleArnRe.MatchString(*req.RoleArn) || len(*req.RoleArn) > 2048 {
		return badRequest("RoleArn %q is not a valid IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)", *req.RoleArn)
	}
	if d := req.Description; d != nil {
		if n := utf8.RuneCountInString(*d); n < 1 || n > 256 {
			return badRequest("Description must be 1 to 256 characters long, not %d", n)
		}
	}
	return nil
}

func validateTags(req *createJobRequest) *apiError {
	if req.Tags == nil {
		return nil
	}
	return validateTagSet("Tags", req.Tags.Members)
}

func validateTagSet(field string, tags []s3Tag) *apiError {
	for _, t := range tags {
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > 128 || !tagRe.MatchString(t.Key) {
			return badRequest("%s: tag key %q must be 1 to 128 allowed characters", field, t.Key)
		}
		if utf8.RuneCountInString(t.Value) > 256 || !tagRe.MatchString(t.Value) {
			return badRequest("%s: tag value for %q must be at most 256 allowed characters", field, t.Key)
		}
	}
	return nil
}

func validateOperation(req *createJobRequest) *apiError {
	names := req.Operation.names()
	switch {
	case len(names) == 0:
		return badRequest("Operation must name exactly one operation; it names none")
	case len(names) > 1:
		return badRequest("Operation must name exactly one operation; it names %s", strings.Join(names, ", "))
	case !awsOperations[names[0]]:
		return badRequest("Operation %q is not a valid operation", names[0])
	case names[0] != opCopy && names[0] != opReplicate:
		return notImplemented("operation %s is not emulated (only S3PutObjectCopy and S3ReplicateObject)", names[0])
	}
	if c := req.Operation.S3PutObjectCopy; c != nil {
		return validateCopy(c)
	}
	return nil
}

func validateCopy(c *copyOperation) *apiError {
	if c.TargetResource == nil {
		return badRequest("S3PutObjectCopy.TargetResource is required")
	}
	if _, ok := parseS3ARN(*c.TargetResource, false); !ok {
		return badRequest("S3PutObjectCopy.TargetResource %q is not a valid bucket ARN (arn:aws:s3:::<bucket>)", *c.TargetResource)
	}
	if len(c.Extra) > 0 {
		return badRequest("S3PutObjectCopy: unknown element %s", c.Extra[0].XMLName.Local)
	}
	if p := c.TargetKeyPrefix; p != nil && (len(*p) < 1 || len(*p) > 1024) {
		return badRequest("S3PutObjectCopy.TargetKeyPrefix must be 1 to 1024 characters long")
	}
	if d := c.MetadataDirective; d != nil && *d != "COPY" && *d != "REPLACE" {
		return badRequest("S3PutObjectCopy.MetadataDirective %q must be COPY or REPLACE", *d)
	}
	if sc := c.StorageClass; sc != nil && !storageClasses[*sc] {
		return badRequest("S3PutObjectCopy.StorageClass %q is not a valid storage class", *sc)
	}
	if a := c.ChecksumAlgorithm; a != nil && !checksumAlgorithms[*a] {
		return badRequest("S3PutObjectCopy.ChecksumAlgorithm %q is not a valid checksum algorithm", *a)
	}
	if a := c.CannedAccessControlList; a != nil && !cannedACLs[*a] {
		return badRequest("S3PutObjectCopy.CannedAccessControlList %q is not a valid canned ACL", *a)
	}
	if m := c.NewObjectMetadata; m != nil {
		if len(m.Extra) > 0 {
			return badRequest("S3PutObjectCopy.NewObjectMetadata: unknown element %s", m.Extra[0].XMLName.Local)
		}
		if a := m.SSEAlgorithm; a != nil && *a != "AES256" && *a != "KMS" {
			return badRequest("S3PutObjectCopy.NewObjectMetadata.SSEAlgorithm %q must be AES256 or KMS", *a)
		}
	}
	if c.NewObjectTagging != nil {
		return validateTagSet("S3PutObjectCopy.NewObjectTagging", c.NewObjectTagging.Members)
	}
	return nil
}

func validateManifestChoice(req *createJobRequest) *apiError {
	switch {
	case req.Manifest != nil && req.ManifestGenerator != nil:
		return badRequest("Jobs must be created with either a Manifest or a ManifestGenerator, not both")
	case req.Manifest == nil && req.ManifestGenerator == nil:
		return badRequest("Jobs must be created with either a Manifest or a ManifestGenerator")
	case req.Manifest != nil:
		return validateManifest(req.Manifest)
	}
	return validateGenerator(req.ManifestGenerator)
}

func validateManifest(m *jobManifest) *apiError {
	if m.Spec == nil || m.Location == nil {
		return badRequest("Manifest.Spec and Manifest.Location are required")
	}
	loc := m.Location
	if loc.ObjectArn == nil || loc.ETag == nil || *loc.ETag == "" {
		return badRequest("Manifest.Location.ObjectArn and Manifest.Location.ETag are required")
	}
	if len(*loc.ObjectArn) > 2000 {
		return badRequest("Manifest.Location.ObjectArn is longer than 2000 characters")
	}
	if _, ok := parseS3ARN(*loc.ObjectArn, true); !ok {
		return badRequest("Manifest.Location.ObjectArn %q is not a valid object ARN (arn:aws:s3:::<bucket>/<key>)", *loc.ObjectArn)
	}
	switch m.Spec.Format {
	case formatCSV:
		return validateFields(m.Spec.Fields.values())
	case formatInventory:
		return nil
	}
	return badRequest("Manifest.Spec.Format %q must be %s or %s", m.Spec.Format, formatCSV, formatInventory)
}

// validateFields accepts the CSV layouts Batch Operations documents:
// Bucket,Key and Bucket,Key,VersionId (with Ignore columns allowed).
func validateFields(fields []string) *apiError {
	seen := map[string]bool{}
	for _, f := range fields {
		switch f {
		case "Ignore":
		case "Bucket", "Key", "VersionId":
			if seen[f] {
				return badRequest("Manifest.Spec.Fields names %s twice", f)
			}
			seen[f] = true
		default:
			return badRequest("Manifest.Spec.Fields: %q is not one of Ignore, Bucket, Key, VersionId", f)
		}
	}
	if !seen["Bucket"] || !seen["Key"] {
		return badRequest("Manifest.Spec.Fields must include Bucket and Key for %s", formatCSV)
	}
	return nil
}

func validateReport(req *createJobRequest) *apiError {
	r := req.Report
	if r.Enabled == nil {
		return badRequest("Report.Enabled is required")
	}
	if r.Format != nil && *r.Format != formatReport {
		return badRequest("Report.Format %q must be %s", *r.Format, formatReport)
	}
	if s := r.ReportScope; s != nil && *s != scopeAllTasks && *s != scopeFailedTasks {
		return badRequest("Report.ReportScope %q must be AllTasks or FailedTasksOnly", *s)
	}
	if p := r.Prefix; p != nil && (len(*p) < 1 || len(*p) > 512) {
		return badRequest("Report.Prefix must be 1 to 512 characters long")
	}
	if o := r.ExpectedBucketOwner; o != nil && !accountIDRe.MatchString(*o) {
		return badRequest("Report.ExpectedBucketOwner must be a 12-digit account id")
	}
	if !*r.Enabled {
		return nil
	}
	if r.Bucket == nil || r.Format == nil {
		return badRequest("Report.Bucket and Report.Format are required when the report is enabled")
	}
	if _, ok := parseS3ARN(*r.Bucket, false); !ok {
		return badRequest("Report.Bucket %q is not a valid bucket ARN (arn:aws:s3:::<bucket>)", *r.Bucket)
	}
	return nil
}
