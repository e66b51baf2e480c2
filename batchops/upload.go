package batchops

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// uploadPartSize is the part size of manifests uploaded in parts: one
// PutObject takes up to 5 GiB, but a manifest of a billion rows is larger,
// and parts are retried one by one.
const uploadPartSize = 64 << 20

// uploadAPI is what a manifest upload asks of S3.
type uploadAPI interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, optFns ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

// upload puts the file at path to bucket/key and returns the object's
// ETag, which the job names (CreateJob's manifest ETag). The manifest is
// stored with SSE-S3: Batch Operations does not read CSV manifests
// encrypted with SSE-KMS, which a bucket's default could otherwise choose.
func upload(ctx context.Context, api uploadAPI, path, bucket, key string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	where := fmt.Sprintf("upload the manifest to s3://%s/%s", bucket, key)
	if st.Size() <= uploadPartSize {
		out, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: f,
			ContentLength: aws.Int64(st.Size()), ContentType: aws.String("text/csv"), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
		if err != nil {
			return "", fmt.Errorf("%s: %w", where, err)
		}
		return aws.ToString(out.ETag), nil
	}
	etag, err := uploadParts(ctx, api, f, st.Size(), bucket, key)
	if err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	return etag, nil
}

func uploadParts(ctx context.Context, api uploadAPI, f *os.File, size int64, bucket, key string) (string, error) {
	up, err := api.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ContentType: aws.String("text/csv"), ServerSideEncryption: s3types.ServerSideEncryptionAes256})
	if err != nil {
		return "", err
	}
	var parts []s3types.CompletedPart
	for n := int32(1); int64(n-1)*uploadPartSize < size; n++ {
		off := int64(n-1) * uploadPartSize
		length := min(uploadPartSize, size-off)
		out, err := api.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: io.NewSectionReader(f, off, length), ContentLength: aws.Int64(length)})
		if err != nil {
			return "", abort(api, bucket, key, up.UploadId, fmt.Errorf("part %d: %w", n, err))
		}
		parts = append(parts, s3types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	out, err := api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return "", abort(api, bucket, key, up.UploadId, err)
	}
	return aws.ToString(out.ETag), nil
}

// abort aborts an upload that failed with err (it is billed until
// aborted), with a context of its own: the run's may be what ended.
func abort(api uploadAPI, bucket, key string, id *string, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, aerr := api.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: id})
	if aerr != nil {
		return fmt.Errorf("%w (and its upload %s could not be aborted: %v; `backfill cleanup --orphans s3://%s/` finds it)", err, aws.ToString(id), aerr, bucket)
	}
	return err
}
