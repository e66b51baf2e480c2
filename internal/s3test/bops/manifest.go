package bops

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxManifestSize bounds a manifest (or inventory data file) the emulator
// reads into memory; test manifests are far smaller.
const maxManifestSize = 256 << 20

// readManifest reads a job's manifest the way Preparing does: the object
// must exist with the ETag the job names, and every row must parse.
func (s *Server) readManifest(ctx context.Context, m *jobManifest) ([]task, *failure) {
	loc, _ := parseS3ARN(*m.Location.ObjectArn, true)
	body, f := s.getManifestObject(ctx, loc, m.Location.ObjectVersionId, *m.Location.ETag)
	if f != nil {
		return nil, f
	}
	var tasks []task
	if m.Spec.Format == formatCSV {
		tasks, f = parseCSVManifest(body, m.Spec.Fields.values())
	} else {
		tasks, f = s.readInventoryManifest(ctx, body)
	}
	if f == nil && len(tasks) == 0 {
		f = failf(failManifestContent, "The manifest lists no objects") // UNCONFIRMED: AWS may complete an empty job instead
	}
	return tasks, f
}

// getManifestObject checks the manifest's ETag and reads it (with If-Match,
// so a manifest replaced in between is not read).
func (s *Server) getManifestObject(ctx context.Context, loc s3ARN, version *string, etag string) ([]byte, *failure) {
	head, err := s.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &loc.Bucket, Key: &loc.Key, VersionId: version})
	if err != nil {
		// A HEAD answer has no body, so no error code: ask GET for it
		// (NoSuchKey, NoSuchBucket, AccessDenied ...).
		_, f := s.getObject(ctx, loc.Bucket, loc.Key, version, nil)
		if f == nil {
			f = manifestReadFailure(err)
		}
		return nil, f
	}
	got := trimETag(strings.TrimSpace(deref(head.ETag)))
	if got != trimETag(strings.TrimSpace(etag)) {
		return nil, failf(failManifestETag, "The manifest ETag %q does not match the ETag of s3://%s/%s (%q)",
			etag, loc.Bucket, loc.Key, got)
	}
	return s.getObject(ctx, loc.Bucket, loc.Key, version, head.ETag)
}

func (s *Server) getObject(ctx context.Context, bucket, key string, version, ifMatch *string) ([]byte, *failure) {
	out, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, VersionId: version, IfMatch: ifMatch})
	if err != nil {
		return nil, manifestReadFailure(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxManifestSize+1))
	if err != nil {
		return nil, manifestReadFailure(err)
	}
	if len(b) > maxManifestSize {
		return nil, failf(failManifestContent, "s3://%s/%s is larger than the emulator reads (%d bytes)", bucket, key, maxManifestSize)
	}
	return b, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// parseCSVManifest reads an S3BatchOperations_CSV_20180820 manifest: no
// header row ("Batch Operations doesn't support header rows on CSV
// manifests", UG inventory-configure-bops), every row with exactly the
// columns of Fields (so version ids in all rows or in none), keys
// URL-encoded.
func parseCSVManifest(body []byte, fields []string) ([]task, *failure) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	var tasks []task
	for line := 1; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return tasks, nil
		}
		if err != nil {
			return nil, failf(failManifestContent, "The manifest is not valid CSV: %v", err)
		}
		if len(row) != len(fields) {
			return nil, failf(failManifestContent, "Manifest row %d has %d fields, the job's Fields name %d (rows with and without version ids cannot be mixed)",
				line, len(row), len(fields))
		}
		t, f := csvTask(row, fields, line)
		if f != nil {
			return nil, f
		}
		tasks = append(tasks, t)
	}
}

func csvTask(row, fields []string, line int) (task, *failure) {
	var t task
	for i, name := range fields {
		switch name {
		case "Bucket":
			t.Bucket = row[i]
		case "Key":
			k, err := decodeManifestKey(row[i])
			if err != nil {
				return t, failf(failManifestContent, "Manifest row %d: the key %q is not URL-encoded correctly", line, row[i])
			}
			t.Key = k
		case "VersionId":
			t.VersionID, t.HasVersion = row[i], true
		}
	}
	if !validBucketName(t.Bucket) {
		if line == 1 && strings.EqualFold(t.Bucket, "bucket") {
			return t, failf(failManifestContent, "Manifest row 1 looks like a header row (%q); CSV manifests must not have one", strings.Join(row, ","))
		}
		return t, failf(failManifestContent, "Manifest row %d: %q is not a bucket name", line, t.Bucket)
	}
	if t.Key == "" {
		return t, failf(failManifestContent, "Manifest row %d has an empty key", line)
	}
	return t, nil
}

// decodeManifestKey decodes a manifest key. The user guide requires keys to
// be URL-encoded (its example: object%20key%20with%20spaces) but does not
// say whether '+' means a space (form encoding, as S3 Inventory writes
// keys, cloud-custodian#1997) or a plus (path encoding): UNCONFIRMED. The
// emulator decodes with form semantics, so a raw '+' becomes a space and a
// manifest must write '+' as %2B and a space as %20 (which read the same
// under either rule) to name such keys.
func decodeManifestKey(s string) (string, error) { return url.QueryUnescape(s) }

// inventoryManifest is the manifest.json of an S3 Inventory report
// (UG storage-inventory-location).
type inventoryManifest struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"`
	Version           string `json:"version"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key         string `json:"key"`
		Size        int64  `json:"size"`
		MD5Checksum string `json:"MD5checksum"`
	} `json:"files"`
}

// readInventoryManifest reads an S3InventoryReport_CSV_20161130 manifest:
// manifest.json names CSV data files (gzip) in destinationBucket whose
// columns fileSchema gives; ORC and Parquet inventories are refused.
func (s *Server) readInventoryManifest(ctx context.Context, body []byte) ([]task, *failure) {
	var m inventoryManifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, failf(failManifestContent, "The inventory manifest.json is not valid JSON: %v", err)
	}
	if m.FileFormat != "CSV" {
		return nil, failf(failManifestContent, "The inventory report is %q; Batch Operations accepts CSV inventory reports only", m.FileFormat)
	}
	cols, f := inventoryColumns(m.FileSchema)
	if f != nil {
		return nil, f
	}
	dest, ok := parseS3ARN(m.DestinationBucket, false)
	if !ok {
		return nil, failf(failManifestContent, "The inventory destinationBucket %q is not a bucket ARN", m.DestinationBucket)
	}
	var tasks []task
	for _, file := range m.Files {
		data, f := s.getObject(ctx, dest.Bucket, file.Key, nil, nil)
		if f != nil {
			return nil, f
		}
		sum := md5.Sum(data)
		if file.MD5Checksum != "" && hex.EncodeToString(sum[:]) != file.MD5Checksum {
			return nil, failf(failManifestContent, "The inventory file %s does not match its MD5checksum", file.Key)
		}
		got, f := parseInventoryFile(data, cols, file.Key)
		if f != nil {
			return nil, f
		}
		tasks = append(tasks, got...)
	}
	return tasks, nil
}

// inventoryCols are the indexes of the columns a job uses (-1: absent).
type inventoryCols struct{ bucket, key, version, n int }

func inventoryColumns(schema string) (inventoryCols, *failure) {
	c := inventoryCols{bucket: -1, key: -1, version: -1}
	for i, name := range strings.Split(schema, ",") {
		switch strings.TrimSpace(name) {
		case "Bucket":
			c.bucket = i
		case "Key":
			c.key = i
		case "VersionId":
			c.version = i
		}
		c.n = i + 1
	}
	if c.bucket < 0 || c.key < 0 {
		return c, failf(failManifestContent, "The inventory fileSchema %q has no Bucket or Key column", schema)
	}
	return c, nil
}

// parseInventoryFile reads one inventory CSV data file (gzip when it starts
// with the gzip magic). Keys are form-decoded (S3-FACTS section 4). An empty
// VersionId is kept: its task fails as AWS documents.
func parseInventoryFile(data []byte, c inventoryCols, name string) ([]task, *failure) {
	var rd io.Reader = bytes.NewReader(data)
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, failf(failManifestContent, "The inventory file %s is not valid gzip: %v", name, err)
		}
		defer zr.Close()
		rd = zr
	}
	r := csv.NewReader(rd)
	r.FieldsPerRecord = -1
	var tasks []task
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return tasks, nil
		}
		if err != nil {
			return nil, failf(failManifestContent, "The inventory file %s is not valid CSV: %v", name, err)
		}
		if len(row) != c.n {
			return nil, failf(failManifestContent, "The inventory file %s has a row of %d fields; fileSchema names %d", name, len(row), c.n)
		}
		key, err := url.QueryUnescape(row[c.key])
		if err != nil {
			return nil, failf(failManifestContent, "The inventory file %s has a key that is not URL-encoded: %q", name, row[c.key])
		}
		t := task{Bucket: row[c.bucket], Key: key}
		if c.version >= 0 {
			t.VersionID, t.HasVersion = row[c.version], true
		}
		tasks = append(tasks, t)
	}
}
