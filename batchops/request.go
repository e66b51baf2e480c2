package batchops

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/backfill-dev/backfill/internal/s3url"
)

// Manifest formats.
const (
	formatCSV       = string(types.JobManifestFormatS3BatchOperationsCsv20180820)
	formatInventory = string(types.JobManifestFormatS3InventoryReportCsv20161130)
)

func bucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

func objectARN(bucket, key string) string { return "arn:aws:s3:::" + bucket + "/" + key }

// prefixOf is a location's prefix without its trailing "/" (nil for none).
func prefixOf(u s3url.URL) *string {
	if p := strings.TrimSuffix(u.Prefix, "/"); p != "" {
		return aws.String(p)
	}
	return nil
}

// createJobInput is the CreateJob request of a record, always the same
// for the same record: a submit retried after a timeout sends it again as
// it was. ConfirmationRequired is always sent (left out, the service
// holds the job Suspended although the model's default is false).
func createJobInput(rec *Record) *s3control.CreateJobInput {
	j := rec.Job
	report, _ := s3url.Parse(j.ReportTo)
	in := &s3control.CreateJobInput{
		AccountId:            aws.String(rec.Account),
		ClientRequestToken:   aws.String(rec.Token),
		ConfirmationRequired: aws.Bool(rec.ConfirmationRequired),
		Description:          aws.String(rec.Description),
		Priority:             aws.Int32(j.Priority),
		RoleArn:              aws.String(j.RoleARN),
		Operation:            operation(j),
		Report: &types.JobReport{Enabled: true, Bucket: aws.String(bucketARN(report.Bucket)), Prefix: prefixOf(report),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScope(j.ReportScope)},
	}
	if j.Generate != nil {
		in.ManifestGenerator = generator(j)
		return in
	}
	m := rec.Manifest
	spec := &types.JobManifestSpec{Format: types.JobManifestFormat(m.Format)}
	if m.Format == formatCSV {
		spec.Fields = []types.JobManifestFieldName{types.JobManifestFieldNameBucket, types.JobManifestFieldNameKey}
		if m.Versions {
			spec.Fields = append(spec.Fields, types.JobManifestFieldNameVersionId)
		}
	}
	in.Manifest = &types.JobManifest{Spec: spec, Location: &types.JobManifestLocation{ObjectArn: aws.String(m.ARN), ETag: aws.String(m.ETag)}}
	return in
}

// operation is the job's operation: a copy into the destination bucket
// under TargetKeyPrefix with the copy options and the source's metadata
// and tags, or a replication.
func operation(j JobSpec) *types.JobOperation {
	if j.Operation == Replicate {
		return &types.JobOperation{S3ReplicateObject: &types.S3ReplicateObjectOperation{}}
	}
	to := j.to()
	prefix, _ := TargetKeyPrefix(j.from(), to) // checked by validate
	op := &types.S3CopyObjectOperation{
		TargetResource:          aws.String(bucketARN(to.Bucket)),
		MetadataDirective:       types.S3MetadataDirectiveCopy,
		StorageClass:            types.S3StorageClass(j.Copy.StorageClass),
		ChecksumAlgorithm:       types.S3ChecksumAlgorithm(j.Copy.ChecksumAlgorithm),
		CannedAccessControlList: types.S3CannedAccessControlList(j.Copy.ACL),
		BucketKeyEnabled:        j.Copy.BucketKey,
	}
	if prefix != "" {
		op.TargetKeyPrefix = aws.String(prefix)
	}
	switch j.Copy.SSE {
	case "AES256":
		op.NewObjectMetadata = &types.S3ObjectMetadata{SSEAlgorithm: types.S3SSEAlgorithmAes256}
	case "aws:kms":
		op.NewObjectMetadata = &types.S3ObjectMetadata{SSEAlgorithm: types.S3SSEAlgorithmKms}
		if j.Copy.SSEKMSKeyID != "" {
			op.SSEAwsKmsKeyId = aws.String(j.Copy.SSEKMSKeyID)
		}
	}
	return &types.JobOperation{S3PutObjectCopy: op}
}

// generator is the job's ManifestGenerator: the source bucket listed by
// S3, filtered by prefix, creation time, size (never over MaxCopySize),
// storage class and replication status; its manifest written under
// --manifest-to.
func generator(j JobSpec) types.JobManifestGenerator {
	g, from := j.Generate, j.from()
	f := &types.JobManifestGeneratorFilter{
		CreatedBefore:           aws.Time(g.CreatedBefore),
		CreatedAfter:            g.CreatedAfter,
		ObjectSizeLessThanBytes: aws.Int64(g.MaxSize + 1),
	}
	if g.MinSize > 0 {
		f.ObjectSizeGreaterThanBytes = aws.Int64(g.MinSize - 1)
	}
	if from.Prefix != "" {
		f.KeyNameConstraint = &types.KeyNameConstraint{MatchAnyPrefix: []string{from.Prefix}}
	}
	for _, c := range g.StorageClasses {
		f.MatchAnyStorageClass = append(f.MatchAnyStorageClass, types.S3StorageClass(c))
	}
	for _, s := range g.ReplicationStatuses {
		f.ObjectReplicationStatuses = append(f.ObjectReplicationStatuses, types.ReplicationStatus(s))
	}
	if g.EligibleForReplication {
		f.EligibleForReplication = aws.Bool(true)
	}
	out, _ := s3url.Parse(j.ManifestTo)
	return &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
		SourceBucket:         aws.String(bucketARN(from.Bucket)),
		EnableManifestOutput: true,
		Filter:               f,
		ManifestOutputLocation: &types.S3ManifestOutputLocation{Bucket: aws.String(bucketARN(out.Bucket)), ManifestPrefix: prefixOf(out),
			ManifestFormat: types.GeneratedManifestFormatS3InventoryReportCsv20211130},
	}}
}
