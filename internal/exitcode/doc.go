// Package exitcode holds backfill's exit statuses: the one list the CLI
// exits with, the run pipeline classifies outcomes into, and the reports
// and help texts print. It has no code, only constants.
package exitcode
