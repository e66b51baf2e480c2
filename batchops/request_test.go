package batchops

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

func TestCreateJobInputCopy(t *testing.T) {
	rec := &Record{Account: "123456789012", Token: "tok", Description: "d", ConfirmationRequired: true,
		Job: JobSpec{Operation: Copy, From: "s3://src/shows/", To: "s3://dst/backup/shows/", RoleARN: "arn:aws:iam::123456789012:role/r",
			ReportTo: "s3://rep/reports/", ReportScope: ScopeFailed, Priority: 7,
			Copy: CopyOptions{StorageClass: "STANDARD_IA", SSE: "aws:kms", SSEKMSKeyID: "arn:aws:kms:us-east-1:123456789012:key/k", BucketKey: true, ChecksumAlgorithm: "CRC32C"}},
		Manifest: &ManifestRef{Format: formatCSV, ARN: "arn:aws:s3:::rep/m.csv", ETag: `"e"`, Versions: true}}
	in := createJobInput(rec)
	op := in.Operation.S3PutObjectCopy
	if aws.ToString(op.TargetResource) != "arn:aws:s3:::dst" || aws.ToString(op.TargetKeyPrefix) != "backup" || op.MetadataDirective != types.S3MetadataDirectiveCopy ||
		op.StorageClass != "STANDARD_IA" || op.NewObjectMetadata.SSEAlgorithm != types.S3SSEAlgorithmKms || !op.BucketKeyEnabled || op.ChecksumAlgorithm != "CRC32C" ||
		op.NewObjectTagging != nil {
		t.Errorf("copy operation %+v", op)
	}
	if !aws.ToBool(in.ConfirmationRequired) || aws.ToString(in.ClientRequestToken) != "tok" || aws.ToInt32(in.Priority) != 7 ||
		aws.ToString(in.Report.Bucket) != "arn:aws:s3:::rep" || aws.ToString(in.Report.Prefix) != "reports" || in.Report.ReportScope != types.JobReportScopeFailedTasksOnly {
		t.Errorf("input %+v report %+v", in, in.Report)
	}
	if len(in.Manifest.Spec.Fields) != 3 || aws.ToString(in.Manifest.Location.ETag) != `"e"` || in.ManifestGenerator != nil {
		t.Errorf("manifest %+v", in.Manifest)
	}
	rec.ConfirmationRequired = false // --yes: sent explicitly as false
	if in := createJobInput(rec); in.ConfirmationRequired == nil || *in.ConfirmationRequired {
		t.Error("ConfirmationRequired not sent as false")
	}
	rec.Manifest = &ManifestRef{Format: formatInventory, ARN: "arn:aws:s3:::inv/manifest.json", ETag: `"i"`}
	if in := createJobInput(rec); in.Manifest.Spec.Fields != nil || in.Manifest.Spec.Format != types.JobManifestFormatS3InventoryReportCsv20161130 {
		t.Errorf("inventory manifest %+v", in.Manifest.Spec)
	}
}

func TestCreateJobInputGenerate(t *testing.T) {
	before := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	rec := &Record{Account: "123456789012", Token: "tok",
		Job: JobSpec{Operation: Replicate, From: "s3://src/shows/", To: "s3://dst/shows/", RoleARN: "arn:aws:iam::123456789012:role/r",
			ReportTo: "s3://rep/", ReportScope: ScopeAll, ManifestTo: "s3://rep/manifests/",
			Generate: &Generator{CreatedBefore: before, MinSize: 100, MaxSize: MaxCopySize, ReplicationStatuses: []string{"NONE", "FAILED"},
				StorageClasses: []string{"STANDARD"}, EligibleForReplication: true}}}
	in := createJobInput(rec)
	g := in.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator).Value
	f := g.Filter
	if in.Manifest != nil || in.Operation.S3ReplicateObject == nil || aws.ToString(g.SourceBucket) != "arn:aws:s3:::src" || !g.EnableManifestOutput ||
		aws.ToString(g.ManifestOutputLocation.Bucket) != "arn:aws:s3:::rep" || aws.ToString(g.ManifestOutputLocation.ManifestPrefix) != "manifests" {
		t.Errorf("generator %+v", g)
	}
	if !f.CreatedBefore.Equal(before) || aws.ToInt64(f.ObjectSizeGreaterThanBytes) != 99 || aws.ToInt64(f.ObjectSizeLessThanBytes) != MaxCopySize+1 ||
		f.KeyNameConstraint.MatchAnyPrefix[0] != "shows/" || len(f.ObjectReplicationStatuses) != 2 || !aws.ToBool(f.EligibleForReplication) ||
		in.Report.Prefix != nil {
		t.Errorf("filter %+v", f)
	}
}
