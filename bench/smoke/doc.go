// Package smoke holds one test: every program `make bench` runs, built and
// run with tiny inputs, exits 0 and prints its table with backfill's replica
// complete. It keeps `make bench` (hours, not part of `make test`) from
// rotting unseen; it times nothing. The peers (aws, rclone) take part where
// they are installed (`make peer-tools`) and are skipped otherwise.
package smoke
