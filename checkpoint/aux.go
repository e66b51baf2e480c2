package checkpoint

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// bAux holds the aux tables: records of a command's own (verify's
// differences and tallies), one nested bucket per table, beside the
// copy's objects. A reset empties them too.
var bAux = []byte("aux")

// PutAux records value under key in table (the last Put or Delete of a
// key wins).
func (b *Batch) PutAux(table, key string, value []byte) {
	if b.aux == nil {
		b.aux = map[string]map[string][]byte{}
	}
	if b.aux[table] == nil {
		b.aux[table] = map[string][]byte{}
	}
	b.aux[table][key] = append([]byte(nil), value...)
	b.n++
}

// DeleteAux removes key from table.
func (b *Batch) DeleteAux(table, key string) {
	if b.aux == nil {
		b.aux = map[string]map[string][]byte{}
	}
	if b.aux[table] == nil {
		b.aux[table] = map[string][]byte{}
	}
	b.aux[table][key] = nil
	b.n++
}

func (b *Batch) applyAux(tx *bolt.Tx) error {
	if len(b.aux) == 0 {
		return nil
	}
	root, err := tx.CreateBucketIfNotExists(bAux)
	if err != nil {
		return err
	}
	for table, kv := range b.aux {
		t, err := root.CreateBucketIfNotExists([]byte(table))
		if err != nil {
			return err
		}
		for k, v := range kv {
			if v == nil {
				err = t.Delete([]byte(k))
			} else {
				err = t.Put([]byte(k), v)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Aux returns a copy of key's value in table.
func (s *Store) Aux(table, key string) ([]byte, bool, error) {
	var v []byte
	err := s.view(func(tx *bolt.Tx) error {
		if t := auxTable(tx, table); t != nil {
			if b := t.Get([]byte(key)); b != nil {
				v = append([]byte{}, b...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("checkpoint %s: %w", s.path, err)
	}
	return v, v != nil, nil
}

// EachAux calls fn for every record of table, in key order, reading in
// pages of short transactions (fn may take its time).
func (s *Store) EachAux(table string, fn func(key string, value []byte) error) error {
	var after []byte
	for {
		type kv struct{ k, v []byte }
		var page []kv
		err := s.view(func(tx *bolt.Tx) error {
			t := auxTable(tx, table)
			if t == nil {
				after = nil
				return nil
			}
			c := t.Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(page) < pageSize; k, v = c.Next() {
				page = append(page, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
			}
			after = nil
			if k != nil && len(page) > 0 {
				after = page[len(page)-1].k
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", s.path, err)
		}
		for _, p := range page {
			if err := fn(string(p.k), p.v); err != nil {
				return err
			}
		}
		if after == nil {
			return nil
		}
	}
}

func auxTable(tx *bolt.Tx, table string) *bolt.Bucket {
	root := tx.Bucket(bAux)
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(table))
}

// resetAux drops every aux table (Begin with reset).
func resetAux(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bAux); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
		return err
	}
	return nil
}
