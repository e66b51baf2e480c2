package s3test

// These tests record how versitygw v1.8.0 and the pinned MinIO differ on
// what a copy needs (the README's compatibility notes; doc.go summarises).

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// factServer is a server under a fact test, with what it was seen to do.
type factServer struct {
	name                                             string
	c                                                *s3.Client
	newBucket                                        func(testing.TB, bool) string
	markerCopy, storageIA, partChecksum, longSegment string // error codes ("" = works)
	copyKeepsExpires, keepsRRS, keepsRedirect        bool
}

func factServers(t *testing.T) []factServer {
	v, m := Shared(t), SharedMinIO(t)
	return []factServer{
		{name: "versitygw", c: v.ClientWith("", noRetry), newBucket: v.NewBucket,
			markerCopy: "DirectoryObjectContainsData", longSegment: "KeyTooLongError", copyKeepsExpires: true, keepsRedirect: true},
		{name: "minio", c: m.ClientWith(noRetry), newBucket: m.NewBucket,
			storageIA: "InvalidStorageClass", partChecksum: "InvalidArgument", longSegment: "XMinioInvalidObjectName", keepsRRS: true},
	}
}

// TestFactServersDiffer: a "dir/" marker copies on MinIO, versitygw
// refuses (DirectoryObjectContainsData). CopyObject with the COPY metadata
// directive keeps Expires on versitygw and drops it on MinIO; an Expires
// set on CreateMultipartUpload is kept by both. MinIO stores and reports
// REDUCED_REDUNDANCY (a copy keeps it) and refuses STANDARD_IA with
// InvalidStorageClass (PutObject and CopyObject); versitygw takes any
// class and reports STANDARD.
// A key segment over 255 bytes: versitygw KeyTooLongError, MinIO
// XMinioInvalidObjectName. Website-Redirect-Location: versitygw keeps it,
// MinIO does not store it. Both ignore If-None-Match: * on CopyObject (the
// copy overwrites).
// An object the SDK uploads without asking for a checksum gets CRC32.
func TestFactServersDiffer(t *testing.T) {
	ctx := context.Background()
	exp := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	for _, s := range factServers(t) {
		t.Run(s.name, func(t *testing.T) {
			b := s.newBucket(t, false)
			put(t, s.c, b, "dir/", "")
			_, err := s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy/"), CopySource: aws.String(b + "/dir/")})
			if apiCode(err) != s.markerCopy {
				t.Errorf("CopyObject of a \"dir/\" marker: %v, want %q", err, s.markerCopy)
			}

			put(t, s.c, b, "exp", "x", func(in *s3.PutObjectInput) { in.Expires = &exp })
			if _, err := s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("exp-copy"), CopySource: aws.String(b + "/exp"),
				MetadataDirective: types.MetadataDirectiveCopy}); err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(head(t, s.c, b, "exp-copy").ExpiresString); (got != "") != s.copyKeepsExpires {
				t.Errorf("Expires after CopyObject: %q", got)
			}
			mpu, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("exp-mp"), Expires: &exp})
			if err != nil {
				t.Fatal(err)
			}
			complete(t, s.c, b, "exp-mp", mpu.UploadId, b+"/exp")
			if got := aws.ToString(head(t, s.c, b, "exp-mp").ExpiresString); got != exp.Format(http.TimeFormat) {
				t.Errorf("Expires set on CreateMultipartUpload: %q", got)
			}

			put(t, s.c, b, "rrs", "x", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassReducedRedundancy })
			_, err = s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("rrs-copy"), CopySource: aws.String(b + "/rrs"),
				StorageClass: types.StorageClassReducedRedundancy})
			want := types.StorageClassStandard
			if s.keepsRRS {
				want = types.StorageClassReducedRedundancy
			}
			if err != nil || head(t, s.c, b, "rrs").StorageClass != want || head(t, s.c, b, "rrs-copy").StorageClass != want {
				t.Errorf("REDUCED_REDUNDANCY: copy %v; classes %q, %q, want %q", err, head(t, s.c, b, "rrs").StorageClass,
					head(t, s.c, b, "rrs-copy").StorageClass, want)
			}
			_, err = s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String("ia"), Body: strings.NewReader("x"),
				StorageClass: types.StorageClassStandardIa})
			if apiCode(err) != s.storageIA {
				t.Errorf("PutObject STANDARD_IA: %v, want %q", err, s.storageIA)
			}
			_, err = s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("ia"), CopySource: aws.String(b + "/rrs"),
				StorageClass: types.StorageClassStandardIa})
			if apiCode(err) != s.storageIA {
				t.Errorf("CopyObject STANDARD_IA: %v, want %q", err, s.storageIA)
			}

			_, err = s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: aws.String(strings.Repeat("k", 256)), Body: strings.NewReader("x")})
			if apiCode(err) != s.longSegment {
				t.Errorf("a 256-byte key segment: %v, want %q", err, s.longSegment)
			}
			put(t, s.c, b, "redirect", "x", func(in *s3.PutObjectInput) { in.WebsiteRedirectLocation = aws.String("/elsewhere") })
			if got := aws.ToString(head(t, s.c, b, "redirect").WebsiteRedirectLocation); (got == "/elsewhere") != s.keepsRedirect {
				t.Errorf("Website-Redirect-Location after PutObject: %q", got)
			}

			_, err = s.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &b, Key: aws.String("exp-copy"), CopySource: aws.String(b + "/rrs"),
				IfNoneMatch: aws.String("*")})
			if err != nil || get(t, s.c, b, "exp-copy") != "x" || head(t, s.c, b, "exp-copy").StorageClass != want {
				t.Errorf("CopyObject If-None-Match: * over an existing key: %v", err)
			}

			h, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: aws.String("exp"), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil || h.ChecksumCRC32 == nil {
				t.Errorf("an object the SDK uploaded: checksum CRC32 %v (%v)", h.ChecksumCRC32, err)
			}
		})
	}
}

// complete copies src as the only part of an upload and completes it.
func complete(t *testing.T, c *s3.Client, b, key string, id *string, src string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: id, PartNumber: aws.Int32(1), CopySource: &src})
	if err != nil {
		t.Fatal(err)
	}
	r := out.CopyPartResult
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: r.ETag,
			ChecksumCRC32: r.ChecksumCRC32, ChecksumCRC32C: r.ChecksumCRC32C, ChecksumCRC64NVME: r.ChecksumCRC64NVME,
			ChecksumSHA1: r.ChecksumSHA1, ChecksumSHA256: r.ChecksumSHA256}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFactPartCopyChecksums: versitygw copies parts into an upload created
// with any of the checksum algorithms backfill carries (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256); MinIO refuses the part copy for every one, with 400 InvalidArgument "... (checksum
// missing, want "<ALGORITHM>", got "")".
func TestFactPartCopyChecksums(t *testing.T) {
	ctx := context.Background()
	for _, s := range factServers(t) {
		t.Run(s.name, func(t *testing.T) {
			b := s.newBucket(t, false)
			put(t, s.c, b, "src", "a small source")
			for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
				types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
				key := "mp-" + string(algo)
				mpu, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: algo})
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: mpu.UploadId,
					PartNumber: aws.Int32(1), CopySource: aws.String(b + "/src")})
				want := fmt.Sprintf("(checksum missing, want %q, got \"\")", algo)
				switch {
				case s.partChecksum == "" && err != nil:
					t.Errorf("%s: UploadPartCopy: %v", algo, err)
				case s.partChecksum != "" && (apiCode(err) != s.partChecksum || status(err) != 400 || !strings.Contains(fmt.Sprint(err), want)):
					t.Errorf("%s: UploadPartCopy: %v, want %s %s", algo, err, s.partChecksum, want)
				}
				_, _ = s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &b, Key: &key, UploadId: mpu.UploadId})
			}
		})
	}
}

// TestFactMinIOListMultipartUploads: MinIO lists a bucket's incomplete
// uploads when no prefix is given (from memory: the uploads started since
// the server started) and, with a prefix, only the uploads of exactly that
// key: a shorter prefix lists none.
func TestFactMinIOListMultipartUploads(t *testing.T) {
	ctx := context.Background()
	m := SharedMinIO(t)
	c := m.ClientWith(noRetry)
	b := m.NewBucket(t, false)
	if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("shows/a/big.mov")}); err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]int{"": 1, "shows/": 0, "shows/a/big": 0, "shows/a/big.mov": 1} {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &b, Prefix: aws.String(prefix)})
		if err != nil || len(out.Uploads) != want {
			t.Errorf("prefix %q: %d uploads (%v), want %d", prefix, len(out.Uploads), err, want)
		}
	}
}
