package bops

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
)

// What AWS only finds while a job is Preparing fails the job, with a
// FailureCode and FailureReason, before any task runs (so no report).
func TestPreparingFailures(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	other := e.bucket(false)
	e.putMany(src, []string{"a", "b"})
	cases := []struct {
		name   string
		in     func() (m *types.JobManifest, report string)
		code   string
		reason string
	}{
		{"ManifestETagMismatch", func() (*types.JobManifest, string) {
			m := e.manifest(src, "etag.csv", csvRows(src, []string{"a"}))
			m.Location.ETag = aws.String("0123456789abcdef0123456789abcdef")
			return m, rep
		}, failManifestETag, "does not match"},
		{"ManifestMissing", func() (*types.JobManifest, string) {
			m := e.manifest(src, "gone.csv", csvRows(src, []string{"a"}))
			m.Location.ObjectArn = aws.String("arn:aws:s3:::" + src + "/no-such-manifest.csv")
			return m, rep
		}, failManifestRead, "Reading the manifest failed: NoSuchKey"},
		{"ManifestBucketMissing", func() (*types.JobManifest, string) {
			m := e.manifest(src, "gone.csv", csvRows(src, []string{"a"}))
			m.Location.ObjectArn = aws.String("arn:aws:s3:::no-such-manifest-bucket-bops/m.csv")
			return m, rep
		}, failManifestRead, "Reading the manifest failed: NoSuchBucket"},
		{"HeaderRow", func() (*types.JobManifest, string) {
			return e.manifest(src, "header.csv", "Bucket,Key\n"+csvRows(src, []string{"a"})), rep
		}, failManifestContent, "header row"},
		{"MixedVersionColumns", func() (*types.JobManifest, string) {
			body := fmt.Sprintf("%s,a,v1\n%s,b\n", src, src)
			return e.manifest(src, "mixed.csv", body, "Bucket", "Key", "VersionId"), rep
		}, failManifestContent, "cannot be mixed"},
		{"RowsInTwoBuckets", func() (*types.JobManifest, string) {
			return e.manifest(src, "two.csv", csvRows(src, []string{"a"})+csvRows(other, []string{"b"})), rep
		}, failManifestContent, "more than one bucket"},
		{"NotABucket", func() (*types.JobManifest, string) {
			return e.manifest(src, "notbucket.csv", "My_Bucket,a\n"), rep
		}, failManifestContent, "not a bucket name"},
		{"EmptyManifest", func() (*types.JobManifest, string) {
			return e.manifest(src, "empty.csv", ""), rep
		}, failManifestContent, "no objects"},
		{"ReportBucketMissing", func() (*types.JobManifest, string) {
			return e.manifest(src, "ok.csv", csvRows(src, []string{"a"})), "no-such-report-bucket-bops"
		}, failReportBucket, "does not exist"},
		{"InventoryNotCSV", func() (*types.JobManifest, string) {
			return e.inventory(src, "inv-orc", "ORC", "Bucket, Key", nil), rep
		}, failManifestContent, "CSV inventory reports only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, report := c.in()
			id := e.create(e.copyJob(m, dst, report))
			d := e.wait(id, types.JobStatusFailed)
			if len(d.FailureReasons) != 1 || aws.ToString(d.FailureReasons[0].FailureCode) != c.code ||
				!strings.Contains(aws.ToString(d.FailureReasons[0].FailureReason), c.reason) {
				t.Fatalf("failure reasons: %s; want %s containing %q", failures(d), c.code, c.reason)
			}
			if d.TerminationDate == nil || aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded) != 0 {
				t.Errorf("failed job %+v", d)
			}
			if _, _, err := e.get(report, "reports/job-"+id+"/manifest.json"); err == nil {
				t.Error("a report was written though no task ran")
			}
		})
	}
}

// inventory writes an S3 Inventory report (manifest.json and one gzip CSV
// data file of rows) and returns the Manifest member naming it.
func (e *env) inventory(bucket, prefix, format, schema string, rows [][]string) *types.JobManifest {
	e.t.Helper()
	var csvBuf bytes.Buffer
	for _, r := range rows {
		csvBuf.WriteString(`"` + strings.Join(r, `","`) + `"` + "\n")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csvBuf.Bytes())
	zw.Close()
	dataKey := prefix + "/data/0b5d.csv.gz"
	e.put(bucket, dataKey, gz.String())
	sum := md5.Sum(gz.Bytes())
	manifest := fmt.Sprintf(`{"sourceBucket":%q,"destinationBucket":"arn:aws:s3:::%s","version":"2016-11-30",`+
		`"creationTimestamp":"1700000000000","fileFormat":%q,"fileSchema":%q,"files":[{"key":%q,"size":%d,"MD5checksum":%q}]}`,
		bucket, bucket, format, schema, dataKey, gz.Len(), hex.EncodeToString(sum[:]))
	out := e.put(bucket, prefix+"/manifest.json", manifest)
	return &types.JobManifest{
		Spec:     &types.JobManifestSpec{Format: types.JobManifestFormatS3InventoryReportCsv20161130},
		Location: &types.JobManifestLocation{ObjectArn: aws.String("arn:aws:s3:::" + bucket + "/" + prefix + "/manifest.json"), ETag: out.ETag},
	}
}

// An S3 Inventory report works as a manifest; its keys are form-encoded
// ('+' is a space).
func TestInventoryManifest(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.putMany(src, []string{"shots/a b.exr", "shots/c+d.exr"})
	m := e.inventory(src, "inv", "CSV", "Bucket, Key, Size, LastModifiedDate", [][]string{
		{src, "shots%2Fa+b.exr", "12", "2024-01-01T00:00:00.000Z"},
		{src, "shots%2Fc%2Bd.exr", "12", "2024-01-01T00:00:00.000Z"},
	})
	id := e.create(e.copyJob(m, dst, rep))
	d := e.wait(id, types.JobStatusComplete)
	if aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded) != 2 {
		t.Fatalf("inventory job: %s", failures(d))
	}
	for _, k := range []string{"shots/a b.exr", "shots/c+d.exr"} {
		if body, _, err := e.get(dst, k); err != nil || body != k {
			t.Errorf("copy of %q: %q %v", k, body, err)
		}
	}
}

// CSV manifest keys are URL-decoded with form semantics: %20 and a raw '+'
// are spaces, %2B is a plus (see decodeManifestKey for why).
func TestManifestKeyDecoding(t *testing.T) {
	e := newEnv(t, Options{})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	e.putMany(src, []string{"a b", "c+d", "e%f"})
	body := fmt.Sprintf("%s,a+b\n%s,c%%2Bd\n%s,e%%25f\n", src, src, src)
	id := e.create(e.copyJob(e.manifest(src, "m.csv", body), dst, rep))
	d := e.wait(id, types.JobStatusComplete)
	if aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded) != 3 {
		t.Fatalf("%d succeeded", aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded))
	}
	r := e.report(rep, "reports", id)
	var keys []string
	for _, row := range r.rows["succeeded"] {
		keys = append(keys, row[1])
	}
	for _, want := range []string{"a%20b", "c%2Bd", "e%25f"} {
		if !strings.Contains(strings.Join(keys, " "), want) {
			t.Errorf("report keys %q lack %q", keys, want)
		}
	}
}

// A job that has run at least 1,000 tasks fails once more than half of them
// failed; the report lists what ran.
func TestFailureThreshold(t *testing.T) {
	e := newEnv(t, Options{Concurrency: 16})
	src, dst, rep := e.bucket(false), e.bucket(false), e.bucket(false)
	var keys []string
	for i := range 1200 {
		keys = append(keys, fmt.Sprintf("missing-%04d", i))
	}
	e.putMany(src, []string{"present"})
	id := e.create(e.copyJob(e.manifest(src, "m.csv", csvRows(src, append([]string{"present"}, keys...))), dst, rep))
	d := e.wait(id, types.JobStatusFailed)
	if len(d.FailureReasons) != 1 || aws.ToString(d.FailureReasons[0].FailureCode) != failFailureThreshold {
		t.Fatalf("failure reasons: %s", failures(d))
	}
	ok, bad := aws.ToInt64(d.ProgressSummary.NumberOfTasksSucceeded), aws.ToInt64(d.ProgressSummary.NumberOfTasksFailed)
	if ok+bad < 1000 || 2*bad <= ok+bad || ok+bad > 1000+16 {
		t.Fatalf("stopped after %d succeeded, %d failed", ok, bad)
	}
	r := e.report(rep, "reports", id)
	if int64(len(r.rows["failed"])) != bad {
		t.Errorf("report has %d failed rows, %d failed", len(r.rows["failed"]), bad)
	}
}
