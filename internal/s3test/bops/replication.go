package bops

import (
	"encoding/xml"
	"strings"
	"sync"
)

// Replication configurations, which versitygw does not implement: the
// emulator keeps them per bucket (set through the S3 proxy with
// PutBucketReplication or with Server.SetReplication) and tracks the
// replication status of the objects its replicate tasks copied.

type replicationConfig struct {
	XMLName xml.Name          `xml:"ReplicationConfiguration"`
	NS      string            `xml:"xmlns,attr,omitempty"`
	Role    string            `xml:"Role"`
	Rules   []replicationRule `xml:"Rule"`
}

type replicationRule struct {
	ID                        *string            `xml:"ID,omitempty"`
	Priority                  *int32             `xml:"Priority,omitempty"`
	Status                    string             `xml:"Status"`
	Prefix                    *string            `xml:"Prefix,omitempty"`
	Filter                    *replicationFilter `xml:"Filter,omitempty"`
	DeleteMarkerReplication   *statusElement     `xml:"DeleteMarkerReplication,omitempty"`
	ExistingObjectReplication *statusElement     `xml:"ExistingObjectReplication,omitempty"`
	SourceSelectionCriteria   *anyList           `xml:"SourceSelectionCriteria,omitempty"`
	Destination               *replicationDest   `xml:"Destination"`
}

type statusElement struct {
	Status string `xml:"Status"`
}

type replicationFilter struct {
	Prefix *string    `xml:"Prefix,omitempty"`
	Tag    *s3Tag     `xml:"Tag,omitempty"`
	And    *filterAnd `xml:"And,omitempty"`
}

type filterAnd struct {
	Prefix *string `xml:"Prefix,omitempty"`
	Tags   []s3Tag `xml:"Tag"`
}

type replicationDest struct {
	Bucket                   string   `xml:"Bucket"`
	Account                  *string  `xml:"Account,omitempty"`
	StorageClass             *string  `xml:"StorageClass,omitempty"`
	AccessControlTranslation *anyList `xml:"AccessControlTranslation,omitempty"`
	EncryptionConfiguration  *anyList `xml:"EncryptionConfiguration,omitempty"`
	ReplicationTime          *anyList `xml:"ReplicationTime,omitempty"`
	Metrics                  *anyList `xml:"Metrics,omitempty"`
}

// prefixAndTags returns what a rule's filter asks of an object.
func (r *replicationRule) prefixAndTags() (string, []s3Tag) {
	switch f := r.Filter; {
	case f == nil:
		return deref(r.Prefix), nil
	case f.And != nil:
		return deref(f.And.Prefix), f.And.Tags
	case f.Tag != nil:
		return "", []s3Tag{*f.Tag}
	default:
		return deref(f.Prefix), nil
	}
}

// matches reports whether an object with key and tags is in the rule's scope.
func (r *replicationRule) matches(key string, tags map[string]string) bool {
	if r.Status != "Enabled" {
		return false
	}
	prefix, want := r.prefixAndTags()
	if !strings.HasPrefix(key, prefix) {
		return false
	}
	for _, t := range want {
		if v, ok := tags[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

func (r *replicationRule) needsTags() bool {
	_, tags := r.prefixAndTags()
	return len(tags) > 0
}

type replicationStore struct {
	mu      sync.Mutex
	configs map[string]*replicationConfig
	status  map[objectVersion]string // replication status the emulator set
}

type objectVersion struct{ bucket, key, version string }

// versionOf names an object version; "null" (the null version) and ""
// (an unversioned bucket) are the same version.
func versionOf(bucket, key, version string) objectVersion {
	if version == "null" {
		version = ""
	}
	return objectVersion{bucket: bucket, key: key, version: version}
}

func newReplicationStore() *replicationStore {
	return &replicationStore{configs: map[string]*replicationConfig{}, status: map[objectVersion]string{}}
}

func (rs *replicationStore) get(bucket string) (*replicationConfig, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	c, ok := rs.configs[bucket]
	return c, ok
}

func (rs *replicationStore) put(bucket string, c *replicationConfig) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.configs[bucket] = c
}

func (rs *replicationStore) delete(bucket string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.configs, bucket)
}

func (rs *replicationStore) setStatus(v objectVersion, st string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.status[v] = st
}

// statusOf returns the replication status the emulator recorded for an
// object version ("" if none).
func (rs *replicationStore) statusOf(v objectVersion) string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.status[v]
}
