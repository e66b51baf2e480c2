package inventory

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// reportSource streams the failed tasks of an S3 Batch Operations
// completion report: its manifest.json (a file, or s3://.../manifest.json)
// and the results files it lists as failed, each checked against its
// MD5Checksum. Like a manifest, the whole report is checked before
// anything is copied.
type reportSource struct {
	files []resultsFile
	refresher
}

type resultsFile struct {
	path, name string
}

// openReport fetches the report's files and checks every failed row.
func openReport(ctx context.Context, spec Spec, deps Deps) (*Source, error) {
	files, cleanup, err := loadReport(ctx, spec.CompletionReport, deps.Source)
	if err != nil {
		return nil, fmt.Errorf("%w (nothing was copied)", err)
	}
	rs := &reportSource{files: files, refresher: spec.refresher(deps)}
	n, err := rs.check()
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("completion report: %w (nothing was copied)", err)
	}
	src := &Source{stream: rs, cleanup: cleanup, ReplicaLookup: lookupText(LookupHead, "")}
	if n == 0 {
		src.Empty = fmt.Sprintf("The completion report %s has no failed tasks: nothing to do.", spec.CompletionReport)
	}
	return src, nil
}

// loadReport fetches and checks a report's manifest and failed results
// files; cleanup removes the temp copies of files read from S3.
func loadReport(ctx context.Context, arg string, c getObjectAPI) (files []resultsFile, cleanup func(), err error) {
	var temps []string
	clean := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	fetch := func(bucket, key string) (string, error) {
		path, err := downloadTemp(ctx, c, bucket, key, "backfill-report-*")
		if err == nil {
			temps = append(temps, path)
		}
		return path, err
	}
	defer func() {
		if err != nil {
			clean()
		}
	}()

	manifestPath, remote := arg, strings.HasPrefix(arg, "s3://")
	if remote {
		bucket, key, _ := strings.Cut(strings.TrimPrefix(arg, "s3://"), "/")
		if manifestPath, err = fetch(bucket, key); err != nil {
			return nil, nil, err
		}
	}
	f, err := os.Open(manifestPath)
	if err != nil {
		return nil, nil, fmt.Errorf("--completion-report: %w", err)
	}
	m, err := ParseReportManifest(f, arg)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	for _, res := range m.Results {
		if res.TaskExecutionStatus != "failed" {
			continue
		}
		name := "s3://" + res.Bucket + "/" + res.Key
		var path string
		if remote {
			if path, err = fetch(res.Bucket, res.Key); err != nil {
				return nil, nil, err
			}
		} else {
			// A report copied to disk keeps its layout: job-ID/manifest.json
			// beside job-ID/results/*.csv.
			path = filepath.Join(filepath.Dir(manifestPath), "results", filepath.Base(res.Key))
			name = path
		}
		sum, err := md5File(path)
		if err != nil {
			return nil, nil, fmt.Errorf("completion report %s: results file %s: %w", arg, name, err)
		}
		if !strings.EqualFold(sum, res.MD5Checksum) {
			return nil, nil, fmt.Errorf("completion report %s: results file %s: MD5 %s, but the manifest says %s", arg, name, sum, res.MD5Checksum)
		}
		files = append(files, resultsFile{path: path, name: name})
	}
	return files, clean, nil
}

func md5File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// rows calls fn for every failed task, checking each row.
func (s *reportSource) rows(fn func(ReportRow) error) error {
	for _, rf := range s.files {
		f, err := os.Open(rf.path)
		if err != nil {
			return err
		}
		r := NewReportReader(f, rf.name)
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err == nil && row.TaskStatus == "failed" {
				switch {
				case row.Bucket != s.bucket:
					err = &ParseError{File: rf.name, Line: row.Line, Err: fmt.Errorf("bucket %q, but the source is %q", row.Bucket, s.bucket)}
				case !strings.HasPrefix(row.Key, s.prefix):
					err = &ParseError{File: rf.name, Line: row.Line, Err: fmt.Errorf("key %q is not under the source prefix %q", row.Key, s.prefix)}
				default:
					err = fn(row)
				}
			}
			if err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
	}
	return nil
}

func (s *reportSource) check() (int, error) {
	n := 0
	err := s.rows(func(ReportRow) error { n++; return nil })
	return n, err
}

func (s *reportSource) Stream(ctx context.Context, out chan<- Entry) error {
	return s.stream(ctx, out, func(emit func(Entry) error) error {
		return s.rows(func(row ReportRow) error {
			return emit(Entry{Rel: row.Key[len(s.prefix):], Named: true,
				Source: Object{Bucket: row.Bucket, Key: row.Key, VersionID: row.VersionID}})
		})
	})
}
