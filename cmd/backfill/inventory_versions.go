package main

import (
	"slices"

	"github.com/backfill-dev/backfill/inventory"
)

// versionGroup is the rows of one key in one data file (--all-versions).
type versionGroup struct {
	key  string
	rows []inventory.InventoryRow
}

// groupEntry makes the entry of a key's versions: its current version as
// Source and the non-current ones in Older, oldest first, so the engine
// copies them in an order that leaves the newest the replica's current
// version. A key whose current version is a delete marker has its
// versions skipped (delete-marker): copying them would bring back in the
// replica a key the source has deleted. ok is false when the key has no
// version to copy.
//
// The replica's version list, not the rows' replication statuses, says
// which versions a key with several already has; a key with one version
// is decided as without --all-versions. Rows of one key are expected
// together in one data file, as S3 Inventory writes them; a key split
// across two files is two entries, and the older half, if it comes second,
// is skipped as newer-in-replica rather than slid under the newer.
func (s *inventorySource) groupEntry(df dataFile, g *versionGroup) (inventory.Entry, bool) {
	var versions []inventory.InventoryRow
	markerOnTop := false
	for _, r := range g.rows {
		switch {
		case r.IsDeleteMarker:
			markerOnTop = markerOnTop || r.IsLatest
		default:
			versions = append(versions, r)
		}
	}
	if len(versions) == 0 {
		return inventory.Entry{}, false
	}
	if len(versions) == 1 && versions[0].IsLatest {
		return s.entry(df, versions[0]), true
	}
	// S3 lists a key's versions newest first: reversed, ties of date keep
	// that order; then by date, the current version last.
	slices.Reverse(versions)
	slices.SortStableFunc(versions, func(a, b inventory.InventoryRow) int {
		switch {
		case a.IsLatest != b.IsLatest:
			if a.IsLatest {
				return 1
			}
			return -1
		}
		return a.LastModified.Compare(b.LastModified)
	})
	objs := make([]inventory.Object, len(versions))
	for i, r := range versions {
		v := r.VersionID
		if v == "" {
			v = "null" // the version written before versioning was enabled
		}
		objs[i] = inventory.Object{Bucket: r.Bucket, Key: r.Key, VersionID: v, Size: r.Size, ETag: r.ETag,
			LastModified: r.LastModified, StorageClass: r.StorageClass, Archived: r.Archived()}
	}
	n := len(objs) - 1
	e := inventory.Entry{Rel: g.key[len(s.prefix):], Shard: df.shard, Source: objs[n], Older: objs[:n]}
	if markerOnTop {
		e.SkipReason = "delete-marker"
	}
	return e, true
}
