package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/backfill-dev/backfill/batchops"
	"github.com/backfill-dev/backfill/batchops/cost"
	"github.com/backfill-dev/backfill/run"
)

func priceFileFlag() cli.Flag {
	return &cli.StringFlag{Name: "price-file", Usage: "prices for the cost comparison: a JSON `FILE` whose fields replace the defaults (S3-FACTS.md section 9; `plan --json` shows them under advice.prices)"}
}

// planAdvisor reads --price-file (before anything is listed: a bad file
// is a usage error) and returns the plan's advisor.
func planAdvisor(c *cli.Context) (func(context.Context, run.PlanFacts) (run.Advice, error), error) {
	prices, err := cost.Load(c.String("price-file"))
	if err != nil {
		return nil, run.Usagef("%w", err)
	}
	return batchops.Advisor(prices), nil
}
