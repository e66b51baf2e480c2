package s3test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MC runs the MinIO client with a private configuration folder (never the
// user's ~/.mc) to set up bucket replication between MinIO servers. Its
// methods are safe for concurrent use.
type MC struct {
	bin    string
	dir    string // mc's --config-dir
	ownDir bool

	mu      sync.Mutex
	aliases map[string]bool // alias names already set
	secrets []string        // redacted from error messages
}

// MCBinary finds the mc binary: $BACKFILL_MC if set, else
// <module root>/.tools/bin/mc, else the pinned build in ToolsCache, else mc
// on PATH. The error says how to install it (`make tools`).
func MCBinary() (string, error) { return mcTool.find() }

// NewMC returns an MC whose configuration lives in dir, or in a new temp
// folder (removed by Close) if dir is "".
func NewMC(dir string) (*MC, error) {
	bin, err := MCBinary()
	if err != nil {
		return nil, err
	}
	m := &MC{bin: bin, dir: dir, aliases: map[string]bool{}}
	if m.dir == "" {
		if m.dir, err = os.MkdirTemp("", "s3test-mc-"); err != nil {
			return nil, fmt.Errorf("s3test: %w", err)
		}
		m.ownDir = true
	}
	return m, nil
}

// Close removes the configuration folder if NewMC created it.
func (m *MC) Close() error {
	if m.ownDir {
		return os.RemoveAll(m.dir)
	}
	return nil
}

// Run runs `mc --config-dir <private> --no-color --disable-pager ARGS...`
// and returns its stdout. The error carries stderr and stdout, with every
// server secret this MC knows replaced by "***".
func (m *MC) Run(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"--config-dir", m.dir, "--no-color", "--disable-pager"}, args...)
	cmd := exec.CommandContext(ctx, m.bin, full...)
	cmd.Env = cleanEnv([]string{"MC_", "MINIO_", "AWS_", "_MC_"})
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String() + "\n" + stdout.String())
		return stdout.Bytes(), fmt.Errorf("s3test: mc %s: %w: %s", m.redact(strings.Join(args, " ")), err, m.redact(msg))
	}
	return stdout.Bytes(), nil
}

func (m *MC) redact(s string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, sec := range m.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	return s
}

// Alias registers srv with `mc alias set` (once) and returns the alias name.
func (m *MC) Alias(ctx context.Context, srv *MinIO) (string, error) {
	name := "s" + strings.ReplaceAll(strings.TrimPrefix(srv.Endpoint, "http://127.0.0.1:"), ":", "")
	m.mu.Lock()
	done := m.aliases[name]
	m.secrets = append(m.secrets, srv.SecretKey)
	m.mu.Unlock()
	if done {
		return name, nil
	}
	if _, err := m.Run(ctx, "alias", "set", name, srv.Endpoint, srv.AccessKey, srv.SecretKey, "--api", "s3v4", "--path", "on"); err != nil {
		return "", err
	}
	m.mu.Lock()
	m.aliases[name] = true
	m.mu.Unlock()
	return name, nil
}

// ReplicationOption changes how AddReplication calls `mc replicate add`.
type ReplicationOption func(*replicationArgs)

type replicationArgs struct {
	replicate   string
	priority    int
	id          string
	healthCheck int // seconds; 0 = mc's default (60)
	disabled    bool
	endpoint    string // target endpoint; "" = dst.Endpoint
}

// Replicate sets --replicate (default "delete,delete-marker"; mc's own
// default adds existing-objects and metadata-sync).
func Replicate(what string) ReplicationOption {
	return func(a *replicationArgs) { a.replicate = what }
}

// ReplicationPriority sets --priority (default: one more than the rules
// the bucket already has; mc wants it unique).
func ReplicationPriority(p int) ReplicationOption {
	return func(a *replicationArgs) { a.priority = p }
}

// ReplicationID sets the rule's --id (default: chosen by mc).
func ReplicationID(id string) ReplicationOption {
	return func(a *replicationArgs) { a.id = id }
}

// ReplicationHealthCheck sets --healthcheck-seconds, how often the source
// checks an offline target (mc's default is 60).
func ReplicationHealthCheck(seconds int) ReplicationOption {
	return func(a *replicationArgs) { a.healthCheck = seconds }
}

// ReplicationVia registers endpoint (e.g. a Proxy in front of dst, whose
// URL() it is) as the target's address instead of dst.Endpoint, so a test
// can watch, hold or fail the requests the source sends.
func ReplicationVia(endpoint string) ReplicationOption {
	return func(a *replicationArgs) { a.endpoint = endpoint }
}

// ReplicationDisabled adds the rule disabled (--disable).
func ReplicationDisabled() ReplicationOption {
	return func(a *replicationArgs) { a.disabled = true }
}

// AddReplication makes src/srcBucket replicate to dst/dstBucket (src and
// dst may be the same server) with
//
//	mc replicate add SRC/BUCKET --remote-bucket http://KEY:SECRET@HOST:PORT/BUCKET \
//	    --replicate "delete,delete-marker" --priority N [--region DST_REGION]
//
// which registers the remote target on src and adds the rule. Objects
// already in srcBucket are not replicated (no existing-objects). Both
// buckets must be versioned. It returns the target ARN that
// `mc replicate ls --json` reports for the new rule.
func (m *MC) AddReplication(ctx context.Context, src *MinIO, srcBucket string, dst *MinIO, dstBucket string, opts ...ReplicationOption) (targetARN string, err error) {
	alias, err := m.Alias(ctx, src)
	if err != nil {
		return "", err
	}
	m.mu.Lock()
	m.secrets = append(m.secrets, dst.SecretKey)
	m.mu.Unlock()
	before, err := m.ReplicationRules(ctx, src, srcBucket)
	if err != nil {
		return "", err
	}
	a := replicationArgs{replicate: "delete,delete-marker", priority: len(before) + 1}
	for _, o := range opts {
		o(&a)
	}
	if a.endpoint == "" {
		a.endpoint = dst.Endpoint
	}
	remote := (&url.URL{Scheme: "http", User: url.UserPassword(dst.AccessKey, dst.SecretKey),
		Host: strings.TrimPrefix(a.endpoint, "http://"), Path: "/" + dstBucket}).String()
	args := []string{"replicate", "add", alias + "/" + srcBucket, "--remote-bucket", remote,
		"--replicate", a.replicate, "--priority", strconv.Itoa(a.priority), "--region", dst.Region}
	if a.id != "" {
		args = append(args, "--id", a.id)
	}
	if a.healthCheck > 0 {
		args = append(args, "--healthcheck-seconds", strconv.Itoa(a.healthCheck))
	}
	if a.disabled {
		args = append(args, "--disable")
	}
	if err := m.runTargetAdd(ctx, args); err != nil {
		return "", err
	}
	after, err := m.ReplicationRules(ctx, src, srcBucket)
	if err != nil {
		return "", err
	}
	for _, r := range after {
		if r.Priority == a.priority && strings.HasSuffix(r.ARN, ":"+dstBucket) {
			return r.ARN, nil
		}
	}
	return "", fmt.Errorf("s3test: mc replicate ls %s/%s lists no rule of priority %d to %s: %+v", alias, srcBucket, a.priority, dstBucket, after)
}

// runTargetAdd runs `mc replicate add`, again for up to about 5 s while
// MinIO says the target's versioning is not enabled: seen under load (two
// busy cores, -race) right after the test enabled it.
func (m *MC) runTargetAdd(ctx context.Context, args []string) error {
	var err error
	for try := 0; try < 25; try++ {
		if _, err = m.Run(ctx, args...); err == nil || !strings.Contains(err.Error(), "does not have versioning enabled") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
	return err
}

// ReplicationRule is one rule as `mc replicate ls --json` prints it.
type ReplicationRule struct {
	ID       string
	Enabled  bool // Status "Enabled"
	Priority int
	ARN      string // Destination.Bucket: arn:minio:replication:<region>:<id>:<bucket>
	// What the rule replicates besides new objects.
	DeleteMarkers, Deletes, ExistingObjects bool
}

// ReplicationRules lists bucket's replication rules on srv (none: empty).
func (m *MC) ReplicationRules(ctx context.Context, srv *MinIO, bucket string) ([]ReplicationRule, error) {
	alias, err := m.Alias(ctx, srv)
	if err != nil {
		return nil, err
	}
	out, err := m.Run(ctx, "--json", "replicate", "ls", alias+"/"+bucket)
	if err != nil && strings.Contains(err.Error(), "replication configuration not set") {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var rules []ReplicationRule
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var msg struct {
			Status string
			Rule   struct {
				ID, Status                                 string
				Priority                                   int
				Destination                                struct{ Bucket string }
				DeleteMarkerReplication, DeleteReplication struct{ Status string }
				ExistingObjectReplication                  struct{ Status string }
			} `json:"rule"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return rules, nil
		} else if err != nil {
			return nil, fmt.Errorf("s3test: mc replicate ls --json: %w: %s", err, out)
		}
		r := msg.Rule
		if r.Destination.Bucket == "" {
			continue // a message that is not a rule
		}
		rules = append(rules, ReplicationRule{
			ID: r.ID, Enabled: r.Status == "Enabled", Priority: r.Priority, ARN: r.Destination.Bucket,
			DeleteMarkers: r.DeleteMarkerReplication.Status == "Enabled", Deletes: r.DeleteReplication.Status == "Enabled",
			ExistingObjects: r.ExistingObjectReplication.Status == "Enabled",
		})
	}
}

// SetReplicationEnabled enables or disables rule id of bucket on srv
// (`mc replicate update --id ID --state enable|disable`).
func (m *MC) SetReplicationEnabled(ctx context.Context, srv *MinIO, bucket, id string, enabled bool) error {
	alias, err := m.Alias(ctx, srv)
	if err != nil {
		return err
	}
	state := "disable"
	if enabled {
		state = "enable"
	}
	_, err = m.Run(ctx, "replicate", "update", alias+"/"+bucket, "--id", id, "--state", state)
	return err
}

// RemoveReplication removes every replication rule of bucket on srv
// (`mc replicate rm --all --force`).
func (m *MC) RemoveReplication(ctx context.Context, srv *MinIO, bucket string) error {
	alias, err := m.Alias(ctx, srv)
	if err != nil {
		return err
	}
	_, err = m.Run(ctx, "replicate", "rm", "--all", "--force", alias+"/"+bucket)
	return err
}

// Resync starts replicating bucket's existing objects to the target arn
// (`mc replicate resync start --remote-bucket ARN`). MinIO refuses it
// unless a rule to arn has existing-objects (Replicate option).
func (m *MC) Resync(ctx context.Context, srv *MinIO, bucket, arn string) error {
	alias, err := m.Alias(ctx, srv)
	if err != nil {
		return err
	}
	_, err = m.Run(ctx, "replicate", "resync", "start", alias+"/"+bucket, "--remote-bucket", arn)
	return err
}
