package inventory

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// ReportFormat is the only completion-report format S3 Batch Operations
// writes.
const ReportFormat = "Report_CSV_20180820"

// ReportManifest is the manifest.json of a Batch Operations completion
// report: <prefix>/job-<id>/manifest.json.
type ReportManifest struct {
	Format             string         `json:"Format"`
	ReportCreationDate string         `json:"ReportCreationDate"`
	Results            []ReportResult `json:"Results"`
	ReportSchema       string         `json:"ReportSchema"`
}

// ReportResult is one results file of a report.
type ReportResult struct {
	TaskExecutionStatus string `json:"TaskExecutionStatus"` // succeeded | failed
	Bucket              string `json:"Bucket"`
	MD5Checksum         string `json:"MD5Checksum"`
	Key                 string `json:"Key"`
}

// ParseReportManifest reads and checks a report's manifest.json: one JSON
// object (nothing after it) of the format ReportFormat whose results each
// have a key, a checksum and a status. Errors are *ParseError naming file.
func ParseReportManifest(r io.Reader, file string) (*ReportManifest, error) {
	var m ReportManifest
	dec := json.NewDecoder(r)
	if err := dec.Decode(&m); err != nil {
		return nil, &ParseError{File: file, Err: fmt.Errorf("not a completion report manifest: %w", err)}
	}
	if _, err := dec.Token(); err != io.EOF { // one JSON document, as S3 writes it: anything after it is damage
		return nil, &ParseError{File: file, Err: errors.New("not a completion report manifest: data after its JSON object")}
	}
	if m.Format != ReportFormat {
		return nil, &ParseError{File: file, Err: fmt.Errorf("format %q; a completion report is %s", m.Format, ReportFormat)}
	}
	for i, res := range m.Results {
		if res.Key == "" || res.MD5Checksum == "" {
			return nil, &ParseError{File: file, Err: fmt.Errorf("Results[%d] has no Key or MD5Checksum", i)}
		}
		switch res.TaskExecutionStatus {
		case "succeeded", "failed":
		default:
			return nil, &ParseError{File: file, Err: fmt.Errorf("Results[%d]: TaskExecutionStatus %q", i, res.TaskExecutionStatus)}
		}
	}
	return &m, nil
}

// ReportRow is one task of a completion report.
type ReportRow struct {
	Line       int
	Bucket     string
	Key        string // decoded
	VersionID  string
	TaskStatus string // succeeded | failed
	ErrorCode  string
	HTTPStatus int
	Message    string
}

// ReportReader reads the CSV rows of a completion report's results file.
//
// Parsed defensively (S3-FACTS 1.5): the documented schema puts ErrorCode
// before HTTPStatusCode, AWS's own example rows and real reports put the
// numeric HTTP status first; whichever of the two fields is a number is
// the status. Keys are URL-decoded as manifest keys are.
type ReportReader struct {
	file string
	r    *csv.Reader
	line int   // of the last row read
	err  error // the first error, returned again by every later Next
}

// NewReportReader reads the results CSV in r; file names it in errors.
func NewReportReader(r io.Reader, file string) *ReportReader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	return &ReportReader{file: file, r: cr}
}

// Next returns the next row, io.EOF at the end, or a *ParseError naming
// the file and line; after an error, it returns that error again (never a
// row past a bad one).
func (rr *ReportReader) Next() (ReportRow, error) {
	if rr.err != nil {
		return ReportRow{}, rr.err
	}
	row, err := rr.next()
	if err != nil && err != io.EOF {
		rr.err = err
	}
	return row, err
}

func (rr *ReportReader) next() (ReportRow, error) {
	rec, err := rr.r.Read()
	if err == io.EOF {
		return ReportRow{}, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return ReportRow{}, &ParseError{File: rr.file, Line: pe.Line, Err: pe.Err}
		}
		// A read that failed (a cut download, say): the line after the
		// last one read is where it broke.
		return ReportRow{}, &ParseError{File: rr.file, Line: rr.line + 1, Err: err}
	}
	line, _ := rr.r.FieldPos(0)
	rr.line = line
	fail := func(format string, a ...any) (ReportRow, error) {
		return ReportRow{}, &ParseError{File: rr.file, Line: line, Err: fmt.Errorf(format, a...)}
	}
	if len(rec) < 6 {
		return fail("%d fields; a report row is Bucket, Key, VersionId, TaskStatus, ErrorCode/HTTPStatusCode, HTTPStatusCode/ErrorCode[, ResultMessage]", len(rec))
	}
	row := ReportRow{Line: line, Bucket: rec[0], VersionID: rec[2], TaskStatus: strings.ToLower(rec[3])}
	if len(rec) > 6 {
		row.Message = strings.Join(rec[6:], ",")
	}
	if n, err := strconv.Atoi(rec[4]); err == nil {
		row.HTTPStatus, row.ErrorCode = n, rec[5]
	} else if n, err := strconv.Atoi(rec[5]); err == nil {
		row.HTTPStatus, row.ErrorCode = n, rec[4]
	} else {
		return fail("no HTTP status code in fields 5 or 6 (%q, %q)", rec[4], rec[5])
	}
	switch row.TaskStatus {
	case "succeeded", "failed":
	default:
		return fail("task status %q (want succeeded or failed)", rec[3])
	}
	if row.Bucket == "" {
		return fail("no bucket")
	}
	key, err := url.PathUnescape(rec[1])
	if err != nil || key == "" {
		return fail("key %q is not URL-encoded correctly", rec[1])
	}
	row.Key = key
	return row, nil
}
