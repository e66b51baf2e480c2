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

	"github.com/backfill-dev/backfill/inventory"
)

// Record is one submit as the state file keeps it: enough to find its job
// again, or to send the very same CreateJob again after a timeout. No
// credentials are ever in it.
type Record struct {
	// Key is the submit's identity: the job spec, the source and filters
	// as given, the account, region and endpoint (submitKey).
	Key string `json:"key"`
	// Token is the CreateJob ClientRequestToken: Key, Digest (of the
	// manifest's rows, or the generator's time) and Attempt (jobToken).
	Token   string `json:"token"`
	Digest  string `json:"digest"`
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
	// AWS is how the submit reached the buckets and S3 Control: profile
	// names, the buckets' regions, endpoints (never credentials). Retry
	// and the job commands reach the job and its buckets with it.
	AWS AWSSettings `json:"aws"`
	// Large are the objects over MaxCopySize kept out of the job, and
	// whether their local copy finished (nil: none).
	Large *LargeRecord `json:"large,omitempty"`
}

// AWSSettings are the AWS settings of a submit, as the state file keeps
// them: the shared profile and endpoint (the profile is also S3
// Control's), and each side's own, with the region S3 said its bucket
// is in.
type AWSSettings struct {
	Profile  string       `json:"profile,omitempty"`
	Endpoint string       `json:"endpoint,omitempty"`
	Source   SideSettings `json:"source"`
	Dest     SideSettings `json:"dest"`
}

// SideSettings are one side's profile, region and endpoint.
type SideSettings struct {
	Profile  string `json:"profile,omitempty"`
	Region   string `json:"region,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
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

// reload reads the file again (another submit may have written it).
func (st *state) reload() error {
	fresh, err := loadState(st.path)
	if err != nil {
		return err
	}
	st.Version, st.Submits = fresh.Version, fresh.Submits
	return nil
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

// byToken is the record of a token, or nil.
func (st *state) byToken(token string) *Record {
	for i := range st.Submits {
		if st.Submits[i].Token == token {
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
// job spec, every setting that decides which objects go in (the source
// as Validate normalized it, the filters, --include-archived, the bucket
// owners, a --failed checkpoint), and where the job goes. The same
// command run again has the same key. A generator's created-before is
// left out only when it was defaulted (now less --min-age, which moves
// with the clock); one given is part of the key.
func submitKey(s *SubmitSpec, c *control) string {
	e := s.Run.Engine
	id := struct {
		Job                      JobSpec
		Source                   string
		From                     inventory.Spec
		Include, Exclude         []string
		MinAge                   string
		IncludeArchived          bool
		SourceOwner, DestOwner   string
		Checkpoint               string
		Account, Region, Control string
	}{s.Job, s.Source, s.Run.Source, sorted(s.Run.Include), sorted(s.Run.Exclude), e.MinAge.String(), e.IncludeArchived,
		e.ExpectedSourceOwner, e.ExpectedDestOwner, "", c.account, c.region, c.endpoint}
	if s.Run.Source.RetryFailed {
		id.Checkpoint = s.Run.Checkpoint
	}
	if g := s.Job.Generate; g != nil && g.CreatedBeforeDefault {
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
