package batchops

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Record is one submit as the state file keeps it: enough to find its job
// again, or to send the very same CreateJob again after a timeout. No
// credentials are ever in it.
type Record struct {
	// Key is the submit's identity: the job spec, the source and filters
	// as given, the account, region and endpoint (submitKey).
	Key string `json:"key"`
	// Token is the CreateJob ClientRequestToken: Key, the digest of the
	// manifest's rows and Attempt (jobToken).
	Token   string `json:"token"`
	Attempt int    `json:"attempt"`
	// JobID is set once S3 answered CreateJob; "" means the request may or
	// may not have created a job.
	JobID       string       `json:"job_id,omitempty"`
	Account     string       `json:"account"`
	Region      string       `json:"region"`
	Endpoint    string       `json:"endpoint,omitempty"`
	Job         JobSpec      `json:"job"`
	Source      string       `json:"source"`
	Manifest    *ManifestRef `json:"manifest,omitempty"`
	Description string       `json:"description"`
	// ConfirmationRequired is what CreateJob was sent.
	ConfirmationRequired bool      `json:"confirmation_required"`
	Objects              int64     `json:"objects"`
	Bytes                int64     `json:"bytes"`
	Created              time.Time `json:"created"`
}

// ManifestRef is the manifest a job reads.
type ManifestRef struct {
	// Format is S3BatchOperations_CSV_20180820 or (an S3 Inventory used
	// as it is) S3InventoryReport_CSV_20161130.
	Format   string `json:"format"`
	ARN      string `json:"arn"`
	ETag     string `json:"etag"`
	Versions bool   `json:"versions,omitempty"`
}

// state is the local state file: every submit made from this directory
// (or with this --state), newest last.
type state struct {
	path    string
	Version int      `json:"version"`
	Submits []Record `json:"submits"`
}

func loadState(path string) (*state, error) {
	st := &state{path: path, Version: 1}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("state file %s: not backfill's: %w", path, err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("state file %s: version %d, this backfill reads 1", path, st.Version)
	}
	return st, nil
}

// last is the newest record of key, or nil.
func (st *state) last(key string) *Record {
	for i := len(st.Submits) - 1; i >= 0; i-- {
		if st.Submits[i].Key == key {
			return &st.Submits[i]
		}
	}
	return nil
}

// byJob is the record of a job id, or nil.
func (st *state) byJob(id string) *Record {
	for i := range st.Submits {
		if st.Submits[i].JobID == id {
			return &st.Submits[i]
		}
	}
	return nil
}

// attempts counts the records of key.
func (st *state) attempts(key string) int {
	n := 0
	for _, r := range st.Submits {
		if r.Key == key {
			n++
		}
	}
	return n
}

// put adds rec, or replaces the record with its token, and saves.
func (st *state) put(rec Record) error {
	i := slices.IndexFunc(st.Submits, func(r Record) bool { return r.Token == rec.Token })
	if i >= 0 {
		st.Submits[i] = rec
	} else {
		st.Submits = append(st.Submits, rec)
	}
	return st.save()
}

// drop forgets the record of token (a request S3 refused) and saves.
func (st *state) drop(token string) error {
	st.Submits = slices.DeleteFunc(st.Submits, func(r Record) bool { return r.Token == token })
	return st.save()
}

// save writes the file whole (a temp file renamed over it), mode 0600.
func (st *state) save() error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(st.path), ".backfill-state-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), st.path); err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	return nil
}

// submitKey is the identity of a submit before anything is listed: the
// job spec, what the source and filters were, and where the job goes.
// The same command run again has the same key.
func submitKey(s *SubmitSpec, c *control) string {
	id := struct {
		Job                      JobSpec
		Source                   string
		Include, Exclude         []string
		MinAge                   string
		Account, Region, Control string
	}{s.Job, s.Source, sorted(s.Run.Include), sorted(s.Run.Exclude), s.Run.Engine.MinAge.String(), c.account, c.region, c.endpoint}
	if g := s.Job.Generate; g != nil {
		// the generator's created-before moves with the clock: its
		// identity is the one given, or the min-age
		id.Job.Generate = new(Generator)
		*id.Job.Generate = *g
		id.Job.Generate.CreatedBefore = time.Time{}
	}
	b, _ := json.Marshal(id)
	return hash(string(b))
}

// jobToken is the ClientRequestToken of a job: the submit's key, the
// digest of its manifest's rows and the attempt, hashed (64 hex
// characters, the API's limit). A manifest written again gets a new ETag
// but the same token; the same submit after its last job ended is a new
// attempt.
func jobToken(key, digest string, attempt int) string {
	return hash(fmt.Sprintf("%s\n%s\n%d", key, digest, attempt))
}

// tag is the part of a job's description that names its token, so a job
// can be found with ListJobs when the state file lost its id.
func tag(token string) string { return "backfill " + token[:24] }

func description(token string, j JobSpec) string {
	d := fmt.Sprintf("%s %s %s -> %s", tag(token), j.Operation, j.From, j.To)
	if len(d) > 256 {
		d = strings.ToValidUTF8(d[:256], "")
	}
	return d
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func sorted(v []string) []string {
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}
