package checkpoint

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Upload is an in-progress multipart copy: enough to resume it (copy only
// the missing parts) or to abort it.
type Upload struct {
	Key        string    `json:"key"`
	VersionID  string    `json:"version_id,omitempty"`
	UploadID   string    `json:"upload_id"`
	SourceETag string    `json:"source_etag"`
	Size       int64     `json:"size"`
	PartSize   int64     `json:"part_size"`
	Checksum   string    `json:"checksum,omitempty"` // checksum algorithm of the upload
	Parts      []Part    `json:"parts,omitempty"`    // completed parts
	Started    time.Time `json:"started"`
}

// Part is a completed part of an Upload.
type Part struct {
	Number int32  `json:"n"`
	ETag   string `json:"etag"`
}

// PutUpload records an upload's state (the last one of a key wins).
func (b *Batch) PutUpload(u Upload) {
	if b.uploads == nil {
		b.uploads = map[string]*Upload{}
	}
	b.uploads[string(ObjectKey(u.Key, u.VersionID))] = &u
	b.n++
}

// DeleteUpload forgets an upload (completed or aborted).
func (b *Batch) DeleteUpload(key, versionID string) {
	if b.uploads == nil {
		b.uploads = map[string]*Upload{}
	}
	b.uploads[string(ObjectKey(key, versionID))] = nil
	b.n++
}

func (b *Batch) applyUploads(tx *bolt.Tx) error {
	ub := tx.Bucket(bUploads)
	for k, u := range b.uploads {
		if u == nil {
			if err := ub.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		js, err := json.Marshal(u)
		if err != nil {
			return err
		}
		if err := ub.Put([]byte(k), js); err != nil {
			return err
		}
	}
	return nil
}

// Uploads calls fn for every recorded in-progress upload.
func (s *Store) Uploads(fn func(Upload) error) error {
	var all []Upload
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bUploads).ForEach(func(k, v []byte) error {
			var u Upload
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("upload record %q: %w", k, err)
			}
			all = append(all, u)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", s.path, err)
	}
	for _, u := range all {
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) countUploads() (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bUploads).Stats().KeyN
		return nil
	})
	return n, err
}

// Upload returns the recorded upload of an object version, if any.
func (s *Store) Upload(key, versionID string) (Upload, bool, error) {
	v, err := s.get(bUploads, ObjectKey(key, versionID))
	if err != nil || v == nil {
		return Upload{}, false, err
	}
	var u Upload
	if err := json.Unmarshal(v, &u); err != nil {
		return Upload{}, false, fmt.Errorf("checkpoint %s: upload record of %q: %w", s.path, key, err)
	}
	return u, true, nil
}
