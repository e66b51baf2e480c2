package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/checkpoint"
	"github.com/backfill-dev/backfill/internal/s3url"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show what a checkpoint holds: done, failed by reason, shards, the job's spec, when it last ran",
		UsageText: "backfill status [--checkpoint PATH] [--json] [--failures FILE]",
		Description: `Reads a checkpoint without changing it. With --failures FILE, writes the failed
objects as an S3 Batch Operations CSV manifest (bucket,key[,versionId], URL-encoded
keys, no header), to feed to a Batch Operations job or back to backfill.

` + exitStatusHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Value: DefaultCheckpoint, Usage: "the checkpoint `PATH`"},
			&cli.BoolFlag{Name: "json", Usage: "JSON instead of text"},
			&cli.StringFlag{Name: "failures", Usage: "write the failed objects to `FILE` as a Batch Operations CSV manifest (mode 0600)"},
			&cli.IntFlag{Name: "examples", Value: 5, Usage: "keys shown per failure reason (`N`)"},
		},
		Action:       runStatus,
		OnUsageError: onUsageError,
	}
}

type uploadView struct {
	Key       string    `json:"key"`
	VersionID string    `json:"version_id,omitempty"`
	UploadID  string    `json:"upload_id"`
	PartsDone int       `json:"parts_done"`
	Parts     int       `json:"parts"`
	Size      int64     `json:"size"`
	Started   time.Time `json:"started"`
}

type failureGroup struct {
	Code  string   `json:"code"`
	Count int64    `json:"count"`
	Keys  []string `json:"first_keys"`
}

type statusReport struct {
	Checkpoint string              `json:"checkpoint"`
	Spec       checkpoint.Spec     `json:"spec"`
	Created    time.Time           `json:"created"`
	LastRun    time.Time           `json:"last_run"`
	Cutoff     time.Time           `json:"cutoff"`
	Done       int64               `json:"done"`
	Failed     int64               `json:"failed"`
	FailedBy   []failureGroup      `json:"failed_by_code"`
	InProgress int64               `json:"in_progress_uploads"`
	Uploads    []uploadView        `json:"uploads,omitempty"`
	Shards     int                 `json:"shards"`
	ShardsDone int                 `json:"shards_complete"`
	Complete   bool                `json:"listing_complete"`
	Totals     checkpoint.Counters `json:"totals"`
}

func runStatus(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("unexpected argument %q", c.Args().First())
	}
	cp, err := openCheckpoint(c.String("checkpoint"), true)
	if err != nil {
		return err
	}
	defer cp.Close()
	info, err := cp.Info()
	if err != nil {
		return err
	}
	rep := statusReport{Checkpoint: info.Path, Spec: info.Spec, Created: info.Created, LastRun: info.LastRun, Cutoff: info.Cutoff,
		Done: info.Done, Failed: info.Failed, Shards: info.Shards, ShardsDone: info.Complete,
		Complete: info.Shards > 0 && info.Shards == info.Complete, Totals: info.Counters}

	var w *csv.Writer
	var closeFile func() error
	if path := c.String("failures"); path != "" {
		f, err := createPrivate(path)
		if err != nil {
			return fmt.Errorf("--failures: %w", err)
		}
		w, closeFile = csv.NewWriter(f), f.Close
	}
	source := s3urlOrEmpty(info.Spec["source"])
	groups := map[string]*failureGroup{}
	examples := c.Int("examples")
	err = cp.Each(checkpoint.Failed, func(key, version string, r checkpoint.Record) error {
		g := groups[r.Code]
		if g == nil {
			g = &failureGroup{Code: r.Code}
			groups[r.Code] = g
		}
		g.Count++
		if len(g.Keys) < examples {
			g.Keys = append(g.Keys, key)
		}
		if w != nil {
			row := []string{source.Bucket, s3url.EscapeKey(source.Key(key))}
			if version != "" {
				row = append(row, version)
			}
			return w.Write(row)
		}
		return nil
	})
	if w != nil {
		w.Flush()
		if err == nil {
			err = w.Error()
		}
		if cerr := closeFile(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	for _, g := range groups {
		rep.FailedBy = append(rep.FailedBy, *g)
	}
	err = cp.Uploads(func(u checkpoint.Upload) error {
		rep.InProgress++
		rep.Uploads = append(rep.Uploads, uploadView{Key: u.Key, VersionID: u.VersionID, UploadID: u.UploadID,
			PartsDone: len(u.Parts), Parts: int((u.Size + u.PartSize - 1) / max(u.PartSize, 1)), Size: u.Size, Started: u.Started})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(rep.FailedBy, func(i, j int) bool { return rep.FailedBy[i].Count > rep.FailedBy[j].Count })

	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printStatus(c.App.Writer, rep)
	return nil
}

func s3urlOrEmpty(s string) s3url.URL {
	u, _ := s3url.Parse(s)
	return u
}

func printStatus(w io.Writer, r statusReport) {
	fmt.Fprintf(w, "Checkpoint %s\n", r.Checkpoint)
	fmt.Fprintf(w, "  job:       %s -> %s\n", r.Spec["source"], r.Spec["destination"])
	var opts []string
	for _, k := range []string{"include", "exclude", "min-age", "storage-class", "sse", "sse-kms-key-id", "bucket-key", "acl"} {
		if v := r.Spec[k]; v != "" && v != "0s" {
			opts = append(opts, k+"="+strings.ReplaceAll(v, "\n", ","))
		}
	}
	if len(opts) > 0 {
		fmt.Fprintf(w, "  options:   %s\n", strings.Join(opts, " "))
	}
	fmt.Fprintf(w, "  created:   %s\n  last run:  %s\n  cutoff:    %s (objects modified after it are left to live replication)\n",
		fmtTime(r.Created), fmtTime(r.LastRun), fmtTime(r.Cutoff))
	listing := "in progress"
	if r.Complete {
		listing = "complete"
	}
	fmt.Fprintf(w, "  listing:   %s (%d of %d shards complete)\n", listing, r.ShardsDone, r.Shards)
	fmt.Fprintf(w, "  done:      %d objects\n", r.Done)
	fmt.Fprintf(w, "  failed:    %d objects\n", r.Failed)
	for _, g := range r.FailedBy {
		fmt.Fprintf(w, "    %-24s %d, e.g. %s\n", g.Code, g.Count, strings.Join(quoteAll(g.Keys), ", "))
	}
	fmt.Fprintf(w, "  in progress multipart uploads: %d\n", r.InProgress)
	for i, u := range r.Uploads {
		if i == 20 {
			fmt.Fprintf(w, "    ... (%d more; --json lists them all)\n", len(r.Uploads)-i)
			break
		}
		fmt.Fprintf(w, "    %q: %d of %d parts (%s), upload %s, since %s\n", u.Key, u.PartsDone, u.Parts, humanBytes(u.Size), u.UploadID, fmtTime(u.Started))
	}
	t := r.Totals
	fmt.Fprintf(w, "  all runs:  copied %d (%s)", t.Copied, humanBytes(t.BytesCopied))
	if len(t.Skipped) > 0 {
		fmt.Fprintf(w, ", skipped: %s", countsText(t.Skipped, nil))
	}
	if len(t.Failed) > 0 {
		fmt.Fprintf(w, ", failed attempts: %s", countsText(t.Failed, nil))
	}
	fmt.Fprintln(w)
}

func quoteAll(ks []string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = fmt.Sprintf("%q", k)
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
