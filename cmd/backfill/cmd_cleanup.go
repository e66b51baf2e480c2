package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/s3url"
)

func cleanupCommand() *cli.Command {
	return &cli.Command{
		Name:  "cleanup",
		Usage: "abort incomplete multipart uploads: the ones a checkpoint recorded, or orphans found in a bucket",
		UsageText: `backfill cleanup [--checkpoint PATH]
   backfill cleanup --orphans s3://BUCKET[/PREFIX] [--older-than DURATION] [--abort]`,
		Description: `Incomplete multipart uploads cost storage until they are aborted. A large
copy that failed or was interrupted is aborted by backfill itself; one whose
abort failed, or whose run was killed, stays recorded in the checkpoint, and
"backfill cleanup" aborts those (and forgets them).

With --orphans, it lists the incomplete multipart uploads of a bucket (under
a prefix) started more than --older-than ago, whoever started them, and with
--abort aborts them.

` + exitStatusHelp,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Value: DefaultCheckpoint, Usage: "abort the uploads recorded in the checkpoint `PATH`"},
			&cli.StringFlag{Name: "orphans", Usage: "list incomplete uploads in `s3://BUCKET[/PREFIX]` instead"},
			&cli.DurationFlag{Name: "older-than", Value: 24 * time.Hour, Usage: "with --orphans: only uploads started more than `DURATION` ago"},
			&cli.BoolFlag{Name: "abort", Usage: "with --orphans: abort them (default: only list)"},
			&cli.BoolFlag{Name: "json", Usage: "JSON lines instead of text"},
		}, awsFlags()...),
		Action:       runCleanup,
		OnUsageError: onUsageError,
	}
}

type uploadLine struct {
	Bucket   string    `json:"bucket"`
	Key      string    `json:"key"`
	UploadID string    `json:"upload_id"`
	Started  time.Time `json:"started,omitempty"`
	Action   string    `json:"action"` // listed, aborted, abort-failed
	Error    string    `json:"error,omitempty"`
}

func runCleanup(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("unexpected argument %q", c.Args().First())
	}
	w := c.App.Writer
	show := func(l uploadLine) {
		if c.Bool("json") {
			json.NewEncoder(w).Encode(l) //nolint:errcheck
			return
		}
		fmt.Fprintf(w, "%-12s s3://%s/%s upload %s", l.Action, l.Bucket, l.Key, l.UploadID)
		if !l.Started.IsZero() {
			fmt.Fprintf(w, " started %s", l.Started.UTC().Format(time.RFC3339))
		}
		if l.Error != "" {
			fmt.Fprintf(w, ": %s", l.Error)
		}
		fmt.Fprintln(w)
	}
	if o := c.String("orphans"); o != "" {
		u, err := s3url.Parse(o)
		if err != nil {
			return usageErrorf("--orphans: %w", err)
		}
		ao, _, dstSide := awsOptions(c, 8)
		client, err := awsconf.New(c.Context, ao, dstSide, u.Bucket)
		if err != nil {
			return err
		}
		return orphans(c.Context, client, u, c.Duration("older-than"), c.Bool("abort"), show)
	}

	cp, err := openCheckpoint(c.String("checkpoint"), false)
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
		fmt.Fprintf(w, "No multipart uploads recorded in %s.\n", cp.Path())
		return nil
	}
	ao, _, dstSide := awsOptions(c, 8)
	client, err := awsconf.New(c.Context, ao, dstSide, dest.Bucket)
	if err != nil {
		return err
	}
	b := checkpoint.NewBatch()
	failed := 0
	for _, u := range ups {
		key := dest.Key(u.Key)
		l := uploadLine{Bucket: dest.Bucket, Key: key, UploadID: u.UploadID, Started: u.Started, Action: "aborted"}
		if err := abortUpload(c.Context, client, dest.Bucket, key, u.UploadID); err != nil {
			l.Action, l.Error = "abort-failed", err.Error()
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
		return &exitError{code: exitPartial, err: fmt.Errorf("%d uploads could not be aborted; they stay recorded", failed)}
	}
	return nil
}

func abortUpload(ctx context.Context, c *awsconf.Client, bucket, key, id string) error {
	_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(id)})
	if err != nil && engine.ErrorCode(err) == "NoSuchUpload" {
		return nil // already gone
	}
	return err
}

func orphans(ctx context.Context, c *awsconf.Client, u s3url.URL, olderThan time.Duration, abort bool, show func(uploadLine)) error {
	p := s3.NewListMultipartUploadsPaginator(c, &s3.ListMultipartUploadsInput{Bucket: aws.String(u.Bucket), Prefix: aws.String(u.Prefix)})
	cutoff := time.Now().Add(-olderThan)
	failed := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if re := engine.AsRunError("list uploads in "+u.String(), err); re != nil {
				return re
			}
			return fmt.Errorf("list multipart uploads in %s: %w", u, err)
		}
		for _, up := range page.Uploads {
			started := aws.ToTime(up.Initiated)
			if started.After(cutoff) {
				continue
			}
			l := uploadLine{Bucket: u.Bucket, Key: aws.ToString(up.Key), UploadID: aws.ToString(up.UploadId), Started: started, Action: "listed"}
			if abort {
				l.Action = "aborted"
				if err := abortUpload(ctx, c, u.Bucket, l.Key, l.UploadID); err != nil {
					l.Action, l.Error = "abort-failed", err.Error()
					failed++
				}
			}
			show(l)
		}
	}
	if failed > 0 {
		return &exitError{code: exitPartial, err: fmt.Errorf("%d uploads could not be aborted", failed)}
	}
	return nil
}
