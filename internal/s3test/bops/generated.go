package bops

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// writeGenerated writes a generated manifest (EnableManifestOutput) in
// S3InventoryReport_CSV_20211130 format and records it in the job's
// GeneratedManifestDescriptor. Layout and fields, all UNCONFIRMED (AWS does
// not document them): an inventory-style manifest.json (version
// "2021-11-30") at <ManifestPrefix>/job-<id>/manifest.json naming one gzip
// CSV data file <ManifestPrefix>/job-<id>/data/<uuid>.csv.gz without a
// header, columns per fileSchema ("Bucket, Key" or "Bucket, Key,
// VersionId"), keys percent-encoded.
func (s *Server) writeGenerated(ctx context.Context, j *job, source string, tasks []task, versioned bool) *failure {
	loc := j.req.ManifestGenerator.S3JobManifestGenerator.ManifestOutputLocation
	out, _ := parseS3ARN(*loc.Bucket, false)
	base := "job-" + j.id
	if p := deref(loc.ManifestPrefix); p != "" {
		base = strings.TrimSuffix(p, "/") + "/" + base
	}
	data, err := generatedCSV(tasks, versioned)
	if err != nil {
		return failf(failGeneratedOutput, "Writing the generated manifest failed: %v", err)
	}
	dataKey := base + "/data/" + newUUID() + ".csv.gz"
	if _, err := s.put(ctx, out.Bucket, dataKey, "application/gzip", data); err != nil {
		return failf(failGeneratedOutput, "Writing the generated manifest to %s failed: %s", out.Bucket, describeErr(err).Code)
	}
	schema := "Bucket, Key"
	if versioned {
		schema += ", VersionId"
	}
	sum := md5.Sum(data)
	m := map[string]any{
		"sourceBucket":      source,
		"destinationBucket": *loc.Bucket,
		"version":           "2021-11-30",
		"creationTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"fileFormat":        "CSV",
		"fileSchema":        schema,
		"files":             []map[string]any{{"key": dataKey, "size": len(data), "MD5checksum": hex.EncodeToString(sum[:])}},
	}
	body, _ := json.Marshal(m)
	manifestKey := base + "/manifest.json"
	etag, err := s.put(ctx, out.Bucket, manifestKey, "application/json", body)
	if err != nil {
		return failf(failGeneratedOutput, "Writing the generated manifest to %s failed: %s", out.Bucket, describeErr(err).Code)
	}
	arn := "arn:aws:s3:::" + out.Bucket + "/" + manifestKey
	j.mu.Lock()
	j.generated = &generatedDescriptor{Format: formatGenerated,
		Location: manifestLocation{ObjectArn: &arn, ETag: aws.String(trimETag(etag))}}
	j.mu.Unlock()
	return nil
}

func generatedCSV(tasks []task, versioned bool) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := csv.NewWriter(zw)
	for _, t := range tasks {
		row := []string{t.Bucket, encodeKey(t.Key)}
		if versioned {
			row = append(row, t.VersionID)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// put writes an object and returns its ETag.
func (s *Server) put(ctx context.Context, bucket, key, contentType string, data []byte) (string, error) {
	out, err := s.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key,
		Body: bytes.NewReader(data), ContentType: &contentType})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}
