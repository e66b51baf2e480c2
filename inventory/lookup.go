package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// How an inventory-driven run learns what the replica holds.
const (
	// LookupList lists the replica under the destination prefix (fanned
	// out like the copy's listing) and joins it with the inventory's keys
	// on local disk: about one request per 1,000 replica objects.
	LookupList = "list"
	// LookupInventory reads the replica's own S3 Inventory delivery
	// (--dest-inventory) and joins it likewise: no request per object.
	LookupInventory = "inventory"
	// LookupHead sends one HeadObject per object to the replica, from the
	// engine's workers (--replica-lookup head: a small inventory against a
	// huge replica; and --all-versions, whose keys the engine settles
	// version by version).
	LookupHead = "head"
)

// lookup is the replica lookup a spec asks for: --replica-lookup, or
// inventory with --dest-inventory, or list by default.
func (s Spec) lookup() string {
	switch {
	case s.ReplicaLookup != "":
		return s.ReplicaLookup
	case s.DestInventory != "":
		return LookupInventory
	case s.AllVersions:
		return LookupHead
	}
	return LookupList
}

// validateLookup checks --replica-lookup and --dest-inventory.
func (s Spec) validateLookup() error {
	switch s.ReplicaLookup {
	case "", LookupList, LookupHead, LookupInventory:
	default:
		return fmt.Errorf("--replica-lookup %q: want list, inventory or head", s.ReplicaLookup)
	}
	if (s.ReplicaLookup != "" || s.DestInventory != "" || s.DestInventoryDate != "") && s.Inventory == "" {
		return errors.New("--replica-lookup, --dest-inventory and --dest-inventory-date go with --inventory (the other sources list the replica, or look at each object they name)")
	}
	if s.DestInventoryDate != "" && !strings.HasPrefix(s.DestInventory, "s3://") {
		return errors.New("--dest-inventory-date goes with --dest-inventory s3://BUCKET/PREFIX/")
	}
	switch l := s.lookup(); {
	case l == LookupInventory && s.DestInventory == "":
		return errors.New("--replica-lookup inventory needs --dest-inventory (the replica's own inventory)")
	case l != LookupInventory && s.DestInventory != "":
		return fmt.Errorf("--dest-inventory reads what the replica holds from its inventory: it cannot go with --replica-lookup %s", l)
	case s.AllVersions && l != LookupHead:
		return fmt.Errorf("--all-versions settles each key's versions against the replica's own version list (one request per key): it cannot go with --replica-lookup %s or --dest-inventory", l)
	}
	if rest, ok := strings.CutPrefix(s.DestInventory, "s3://"); ok {
		if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
			return fmt.Errorf("--dest-inventory %q: no bucket", s.DestInventory)
		}
	}
	return nil
}

// lookupText says, for a plan and the summary, how the replica was looked at.
func lookupText(lookup, detail string) string {
	switch lookup {
	case LookupList:
		return "listed under " + detail + ", joined with the inventory's keys on local disk"
	case LookupInventory:
		return "its inventory " + detail + ", joined with the inventory's keys on local disk"
	}
	return "one HeadObject per object" + detail
}

// openReplicaSide opens what an inventory run reads the replica from: its
// listing (LookupList) or its inventory, checked whole (LookupInventory);
// nil for LookupHead.
func openReplicaSide(ctx context.Context, spec Spec, deps Deps) (*replicaSide, error) {
	switch spec.lookup() {
	case LookupList:
		if deps.Replica == nil {
			return nil, errors.New("--replica-lookup list: no client for the replica")
		}
		l := &Lister{Source: deps.Replica, SourceBkt: spec.To.Bucket, SourcePfx: spec.To.Prefix, ExpectedSourceOwner: spec.ExpectedReplicaOwner}
		return &replicaSide{lookup: LookupList, prefix: spec.To.Prefix, bucket: spec.To.Bucket, detail: spec.To.String(), close: func() {},
			list: func(ctx context.Context, add func(Object) error) error { return listInto(ctx, l, add) }}, nil
	case LookupInventory:
		api, ok := deps.Replica.(SourceAPI)
		if !ok {
			return nil, errors.New("--dest-inventory: the replica's client cannot read files")
		}
		rows, err := OpenRows(ctx, RowsSpec{Inventory: spec.DestInventory, Date: spec.DestInventoryDate, Bucket: spec.To.Bucket, Prefix: spec.To.Prefix}, api)
		if err != nil {
			return nil, fmt.Errorf("--dest-inventory: %w", err)
		}
		return &replicaSide{lookup: LookupInventory, prefix: spec.To.Prefix, bucket: spec.To.Bucket, detail: rows.Delivery(), close: rows.Close,
			list: func(ctx context.Context, add func(Object) error) error {
				return rows.Each(ctx, func(r InventoryRow) error {
					return add(Object{Key: r.Key, Size: r.Size, ETag: r.ETag, LastModified: r.LastModified})
				})
			}}, nil
	}
	return nil, nil
}

// listInto lists l (fanned out, shards in parallel) and adds every object.
func listInto(ctx context.Context, l *Lister, add func(Object) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan Entry, 1024)
	errc := make(chan error, 1)
	go func() { errc <- l.Stream(ctx, out); close(out) }()
	var addErr error
	for e := range out {
		if e.Kind != KindObject || addErr != nil {
			continue
		}
		if addErr = add(e.Source); addErr != nil {
			cancel()
		}
	}
	if err := <-errc; addErr == nil && err != nil {
		return err
	}
	return addErr
}

// lookupText is how the source tells the plan what it did.
func (s *inventorySource) lookupText(spec Spec) string {
	switch {
	case s.replica != nil:
		return lookupText(s.replica.lookup, s.replica.detail)
	case s.allVersions:
		return lookupText(LookupHead, " (--all-versions: each key's versions are settled against the replica's)")
	}
	return lookupText(LookupHead, " (--replica-lookup head)")
}
