package inventory

import (
	"context"
	"strconv"
	"time"
)

// RowsSpec names an inventory delivery to read row by row (verify): the
// same locations, resolution and checks as Spec.Inventory.
type RowsSpec struct {
	// Inventory and Date as in Spec; Bucket is the bucket the inventory
	// must be of, Prefix the keys wanted.
	Inventory, Date string
	Bucket, Prefix  string
}

// Rows is an opened, checked delivery: its manifest and every data
// file's MD5 were checked; its rows are read by Each.
type Rows struct {
	src     *inventorySource
	cleanup func()
}

// OpenRows finds, fetches and checks an inventory delivery (manifest
// checksum, every data file's MD5, the columns backfill needs).
func OpenRows(ctx context.Context, spec RowsSpec, c SourceAPI) (*Rows, error) {
	where := location{arg: spec.Inventory, date: spec.Date, fromBucket: spec.Bucket}
	src, cleanup, err := loadInventory(ctx, where, c, nil)
	if err != nil {
		return nil, err
	}
	src.prefix = spec.Prefix
	return &Rows{src: src, cleanup: cleanup}, nil
}

// Delivery is the manifest.json read.
func (r *Rows) Delivery() string { return r.src.delivery }

// Created is when S3 took the inventory (its creationTimestamp), zero
// when the manifest does not say.
func (r *Rows) Created() time.Time {
	ms, err := strconv.ParseInt(r.src.m.CreationTimestamp, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// StatusVisible reports whether the inventory lists ReplicationStatus
// (after Each, for a Parquet delivery).
func (r *Rows) StatusVisible() bool {
	if r.src.m.FileFormat == "Parquet" {
		return r.src.parquetStatus.Load()
	}
	return r.src.m.Has("ReplicationStatus")
}

// EncryptionVisible reports whether a CSV inventory lists
// EncryptionStatus (a Parquet one is read when present).
func (r *Rows) EncryptionVisible() bool {
	return r.src.m.FileFormat == "Parquet" || r.src.m.Has("EncryptionStatus")
}

// Each calls fn for the current version of every key under the prefix
// (delete markers and older versions are passed over), from several
// files at once: fn must be safe for concurrent use. A bad row stops it
// with a *ParseError.
func (r *Rows) Each(ctx context.Context, fn func(InventoryRow) error) error {
	return r.src.rows(ctx, func(_ dataFile, row InventoryRow) error {
		if !r.src.wanted(row) {
			return nil
		}
		return fn(row)
	}, nil, nil)
}

// Close removes the temporary copies of the delivery's files.
func (r *Rows) Close() { r.cleanup() }
