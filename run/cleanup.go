package run

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3err"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/report"
)

// UploadsAPI is what cleanup needs of the destination's client.
type UploadsAPI interface {
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(ctx context.Context, in *s3.ListMultipartUploadsInput, optFns ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
}

// CleanupSpec is what `backfill cleanup` does: abort the uploads a
// checkpoint recorded, or (Orphans set) find the incomplete uploads of a
// bucket started more than OlderThan ago and, with Abort, abort them.
type CleanupSpec struct {
	Checkpoint string
	Orphans    *s3url.URL
	OlderThan  time.Duration
	Abort      bool
	AWS        awsconf.Options
	DstSide    awsconf.Side
	// Debug shows errors with the SDK's full text.
	Debug bool
}

// UploadLine is one upload cleanup saw, and what it did with it: a
// --json line (its event first, like copy's object lines) or a line of
// text (String).
type UploadLine struct {
	Event    string    `json:"event"` // listed, aborted, abort-failed
	Bucket   string    `json:"bucket"`
	Key      string    `json:"key"`
	UploadID string    `json:"upload_id"`
	Started  time.Time `json:"started,omitzero"`
	Error    string    `json:"error,omitempty"`
	// Err is the abort's error; Cleanup sets Error from it.
	Err error `json:"-"`
}

// Cleanup runs cleanup, calling show for each upload; say gets a line
// of text (when nothing was recorded).
func Cleanup(ctx context.Context, s CleanupSpec, show func(UploadLine), say func(string)) error {
	if err := checkEndpoints(s.AWS, awsconf.Side{}, s.DstSide); err != nil {
		return err
	}
	s.AWS.Connections = 8
	show = withErrorText(show, s.Debug)
	if s.Orphans != nil {
		client, err := awsconf.New(ctx, s.AWS, s.DstSide, s.Orphans.Bucket)
		if err != nil {
			return err
		}
		return orphans(ctx, client, *s.Orphans, s.OlderThan, s.Abort, show)
	}
	cp, err := openExisting(s.Checkpoint, false)
	if err != nil {
		return err
	}
	defer cp.Close()
	spec, err := cp.Spec()
	if err != nil {
		return err
	}
	dest, err := s3url.Parse(spec["destination"])
	if err != nil {
		return fmt.Errorf("checkpoint %s has no destination: %w", cp.Path(), err)
	}
	var ups []checkpoint.Upload
	if err := cp.Uploads(func(u checkpoint.Upload) error { ups = append(ups, u); return nil }); err != nil {
		return err
	}
	if len(ups) == 0 {
		say(fmt.Sprintf("No multipart uploads recorded in %s.", cp.Path()))
		return nil
	}
	client, err := awsconf.New(ctx, s.AWS, s.DstSide, dest.Bucket)
	if err != nil {
		return err
	}
	if err := sameUploadEndpoint(cp.Path(), spec, client.Endpoint, dest, ups, "cleanup"); err != nil {
		return err
	}
	return abortRecorded(ctx, cp, client, dest, ups, show)
}

func (l UploadLine) String() string {
	s := fmt.Sprintf("%-12s s3://%s/%s upload %s", l.Event, l.Bucket, l.Key, l.UploadID)
	if !l.Started.IsZero() {
		s += " started " + report.Time(l.Started)
	}
	if l.Error != "" {
		s += ": " + l.Error
	}
	return s
}

// withErrorText fills in each line's Error before show sees it.
func withErrorText(show func(UploadLine), debug bool) func(UploadLine) {
	return func(l UploadLine) {
		if l.Err != nil {
			l.Error = report.ErrorText(l.Err, debug)
		}
		show(l)
	}
}

// abortRecorded aborts the recorded uploads and forgets the ones it could.
func abortRecorded(ctx context.Context, cp *checkpoint.Store, c UploadsAPI, dest s3url.URL, ups []checkpoint.Upload, show func(UploadLine)) error {
	b := checkpoint.NewBatch()
	failed := 0
	for _, u := range ups {
		key := dest.Key(u.Key)
		l := UploadLine{Bucket: dest.Bucket, Key: key, UploadID: u.UploadID, Started: u.Started, Event: "aborted"}
		if err := abortUpload(ctx, c, dest.Bucket, key, u.UploadID); err != nil {
			l.Event, l.Err = "abort-failed", err
			failed++
		} else {
			b.DeleteUpload(u.Key, u.VersionID)
		}
		show(l)
	}
	if err := cp.Apply(b); err != nil {
		return err
	}
	if failed > 0 {
		return &ExitError{Code: exitcode.Partial, Err: fmt.Errorf("%d uploads could not be aborted; they stay recorded", failed)}
	}
	return nil
}

// aborter is the one call abortUpload makes.
type aborter interface {
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

func abortUpload(ctx context.Context, c aborter, bucket, key, id string) error {
	_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil && s3err.Code(err) == "NoSuchUpload" {
		return nil // already gone
	}
	return err
}

func orphans(ctx context.Context, c UploadsAPI, u s3url.URL, olderThan time.Duration, abort bool, show func(UploadLine)) error {
	p := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(u.Bucket), Prefix: aws.String(u.Prefix)})
	cutoff := time.Now().Add(-olderThan)
	failed := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if re := s3err.AsRunError("list uploads in "+u.String(), err); re != nil {
				return re
			}
			return fmt.Errorf("list multipart uploads in %s: %w", u, err)
		}
		for _, up := range page.Uploads {
			started := aws.ToTime(up.Initiated)
			if started.After(cutoff) {
				continue
			}
			l := UploadLine{Bucket: u.Bucket, Key: aws.ToString(up.Key), UploadID: aws.ToString(up.UploadId), Started: started, Event: "listed"}
			if abort {
				l.Event = "aborted"
				if err := abortUpload(ctx, c, u.Bucket, l.Key, l.UploadID); err != nil {
					l.Event, l.Err = "abort-failed", err
					failed++
				}
			}
			show(l)
		}
	}
	if failed > 0 {
		return &ExitError{Code: exitcode.Partial, Err: fmt.Errorf("%d uploads could not be aborted", failed)}
	}
	return nil
}
