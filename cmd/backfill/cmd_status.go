package main

import (
	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/report"
	"github.com/backfill-dev/backfill/run"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show what a checkpoint holds: done, failed by reason, shards, the job's spec, when it last ran",
		UsageText: "backfill status [--checkpoint PATH] [--json] [--failures FILE]",
		Description: `Reads a checkpoint without changing it (one that does not exist is an error,
exit 1, and nothing is created). With --failures FILE, writes the failed
objects as an S3 Batch Operations CSV manifest (bucket,key[,versionId], URL-encoded
keys, no header), to feed to a Batch Operations job or back to backfill.

` + exitcode.Help,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Value: run.DefaultCheckpoint, Usage: "the checkpoint `PATH`"},
			&cli.BoolFlag{Name: "json", Usage: "JSON instead of text"},
			&cli.StringFlag{Name: "failures", Usage: "write the failed objects to `FILE` as a Batch Operations CSV manifest (mode 0600)"},
			&cli.IntFlag{Name: "examples", Value: 5, Usage: "keys shown per failure reason (`N`)"},
		},
		Action:       runStatus,
		OnUsageError: onUsageError,
	}
}

func runStatus(c *cli.Context) error {
	if err := noArgs(c); err != nil {
		return err
	}
	rep, err := run.Status(run.StatusSpec{Checkpoint: c.String("checkpoint"), Examples: c.Int("examples"), Failures: c.String("failures")})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return report.JSON(c.App.Writer, rep)
	}
	report.PrintStatus(c.App.Writer, rep)
	return nil
}
