package setup

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/backfill-dev/backfill/internal/s3url"
)

// Defaults, each with its reason.
const (
	// DefaultCanaries is enough objects for a min, a median and a max that
	// mean something, and few enough to cost nothing.
	DefaultCanaries = 5
	// DefaultTimeout is how long check waits for a canary: replication
	// without RTC has no published bound (S3-FACTS §6), RTC's SLA is 15
	// minutes for 99.99% of objects.
	DefaultTimeout = 15 * time.Minute
	// DefaultInventoryID names the inventory configuration setup makes.
	DefaultInventoryID = "backfill-daily"
	// rolePolicyName names the inline policy setup puts on the replication
	// role it creates; appPolicyPrefix begins the name of the one on the
	// application role (appPolicyName).
	rolePolicyName  = "backfill-replication"
	appPolicyPrefix = "backfill-replica-read-"
	// CanaryDir is the reserved folder, inside the rule's prefix, that the
	// canary writes under: nothing else should ever be stored there.
	CanaryDir = ".backfill-canary/"
)

// ErrUsage is wrapped by every error that is the caller's input, found
// before any request is sent (the CLI exits 2 for it).
var ErrUsage = errors.New("invalid input")

// Tag is one tag of a rule's filter.
type Tag struct{ Key, Value string }

// Spec describes the setup of one replica: the same Spec plans, applies
// and checks. Zero values mean the documented defaults.
type Spec struct {
	// Primary is the source bucket; a prefix in it is the rule's prefix
	// (as --prefix is; both given must agree).
	Primary s3url.URL
	// Replica is the replica bucket (no prefix: replication keeps keys).
	Replica s3url.URL
	// PrimaryRegion is the primary's region ("" = the SDK's chain, else
	// looked up). ReplicaRegion is required.
	PrimaryRegion, ReplicaRegion string

	// Step 1: the replica's default encryption is SSE-S3, or SSE-KMS with
	// ReplicaKMSKey (a key ARN in ReplicaRegion, also the rule's replica
	// key); NoDefaultEncryption leaves it as it is.
	ReplicaKMSKey       string
	NoDefaultEncryption bool

	// Step 3: RoleARN uses an existing role (or, on MinIO, the replication
	// target's ARN); otherwise the role RoleName (default
	// backfill-replication-<primary>) is created, or with NoIAM its
	// documents are printed and no IAM request is made. PrimaryKMSKeys
	// are the keys the primary's objects are encrypted with, if any.
	RoleARN        string
	RoleName       string
	NoIAM          bool
	PrimaryKMSKeys []string

	// Step 4: the rule. RuleID defaults to backfill-<replica>; Priority 0
	// means one above the highest existing one.
	RuleID        string
	Priority      int32
	Prefix        string
	Tags          []Tag
	DeleteMarkers bool
	StorageClass  string
	RTC           bool
	Replace       bool

	// Step 5 (optional): a daily CSV inventory of the primary delivered to
	// InventoryTo, with the configuration id InventoryID.
	InventoryTo *s3url.URL
	InventoryID string

	// Step 6 (optional): the statement AppRoleARN needs to read the
	// replica, printed, or put on the role with ApplyAppPolicy.
	AppRoleARN     string
	ApplyAppPolicy bool

	// Check: Canaries objects (0 = DefaultCanaries, negative = none),
	// waited for up to Timeout (0 = DefaultTimeout); ProxyURL is shown in
	// the hand-off.
	Canaries int
	Timeout  time.Duration
	ProxyURL string
}

// withDefaults returns a copy of s with its defaults applied.
func (s Spec) withDefaults() Spec {
	if s.Prefix == "" {
		s.Prefix = s.Primary.Prefix
	}
	if s.RuleID == "" {
		s.RuleID = "backfill-" + s.Replica.Bucket
	}
	if s.RoleName == "" {
		s.RoleName = defaultRoleName(s.Primary.Bucket)
	}
	if s.InventoryID == "" {
		s.InventoryID = DefaultInventoryID
	}
	if s.Canaries == 0 {
		s.Canaries = DefaultCanaries
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}

// defaultRoleName is backfill-replication-<primary>. A name longer than
// IAM's 64 characters is cut and ends in a hash of the whole primary name,
// so two long primary names that share their first characters do not
// share a role.
func defaultRoleName(primary string) string {
	n := "backfill-replication-" + primary
	if len(n) <= 64 {
		return n
	}
	sum := sha256.Sum256([]byte(primary))
	tag := "-" + hex.EncodeToString(sum[:4])
	return n[:64-len(tag)] + tag
}

// Validate checks every input before anything is sent: bucket names,
// regions, ARNs, the rule's options and which flags go together. Its errors
// wrap ErrUsage.
func (s Spec) Validate() error {
	s = s.withDefaults()
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(s.validateBuckets())
	add(checkRegion("--replica-region", s.ReplicaRegion, true))
	add(checkRegion("--primary-region", s.PrimaryRegion, false))
	add(s.validateRole())
	add(s.validateRule())
	add(s.validateKMS())
	add(s.validateOptional())
	if s.Canaries > 1000 {
		add(fmt.Errorf("--canaries %d: at most 1000", s.Canaries))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return nil
}

func (s Spec) validateBuckets() error {
	var errs []error
	if s.Primary.Bucket == "" {
		errs = append(errs, errors.New("--primary s3://BUCKET is required"))
	} else if err := checkExistingBucketName(s.Primary.Bucket); err != nil {
		errs = append(errs, fmt.Errorf("--primary: %w", err))
	}
	switch {
	case s.Replica.Bucket == "":
		errs = append(errs, errors.New("--replica s3://BUCKET is required"))
	case s.Replica.Prefix != "":
		errs = append(errs, fmt.Errorf("--replica %s: a bucket only; replication writes each object under its own key", s.Replica))
	default:
		if err := checkNewBucketName(s.Replica.Bucket); err != nil {
			errs = append(errs, fmt.Errorf("--replica: %w", err))
		}
	}
	if s.Replica.Bucket != "" && equalFold(s.Replica.Bucket, s.Primary.Bucket) {
		errs = append(errs, fmt.Errorf("--replica %q is the primary bucket: a bucket cannot be its own replica", s.Replica.Bucket))
	}
	if s.Primary.Prefix != "" && s.Prefix != s.Primary.Prefix {
		errs = append(errs, fmt.Errorf("--prefix %q and the prefix of --primary (%q) differ: give one", s.Prefix, s.Primary.Prefix))
	}
	return errors.Join(errs...)
}

func (s Spec) validateRole() error {
	var errs []error
	if s.RoleARN != "" {
		if _, err := parseRoleARN(s.RoleARN); err != nil {
			errs = append(errs, fmt.Errorf("--role-arn: %w", err))
		} else if isMinIOTarget(s.RoleARN) && !hasBucketSuffix(s.RoleARN, s.Replica.Bucket) {
			errs = append(errs, fmt.Errorf("--role-arn %s is a MinIO replication target for another bucket than %s", s.RoleARN, s.Replica.Bucket))
		}
	}
	if err := checkRoleName(s.RoleName); err != nil {
		errs = append(errs, fmt.Errorf("--role-name: %w", err))
	}
	if s.AppRoleARN != "" {
		if a, err := parseRoleARN(s.AppRoleARN); err != nil {
			errs = append(errs, fmt.Errorf("--app-role-arn: %w", err))
		} else if a.minio {
			errs = append(errs, errors.New("--app-role-arn: must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
		}
	}
	if s.ApplyAppPolicy && s.AppRoleARN == "" {
		errs = append(errs, errors.New("--apply-app-policy needs --app-role-arn"))
	}
	if s.ApplyAppPolicy && s.NoIAM {
		errs = append(errs, errors.New("--apply-app-policy makes an IAM request: it cannot go with --no-iam"))
	}
	return errors.Join(errs...)
}

func (s Spec) validateRule() error {
	var errs []error
	if len(s.RuleID) > 255 {
		errs = append(errs, fmt.Errorf("--rule-id: at most 255 characters, not %d", len(s.RuleID)))
	}
	if s.Priority < 0 {
		errs = append(errs, fmt.Errorf("--priority %d: must not be negative", s.Priority))
	}
	if len(s.Prefix) > 1024 {
		errs = append(errs, errors.New("--prefix: longer than an S3 key can be (1024 bytes)"))
	}
	seen := map[string]bool{}
	for _, t := range s.Tags {
		if err := checkTag(t); err != nil {
			errs = append(errs, err)
		}
		if seen[t.Key] {
			errs = append(errs, fmt.Errorf("--tag %s given twice", t.Key))
		}
		seen[t.Key] = true
	}
	if len(s.Tags) > 0 && s.DeleteMarkers {
		errs = append(errs, errors.New("--delete-markers cannot go with --tag: S3 does not replicate delete markers for rules that filter on tags"))
	}
	if s.StorageClass != "" && !validStorageClass(s.StorageClass) {
		errs = append(errs, fmt.Errorf("--storage-class %q is not a storage class replication can give replicas (%s)", s.StorageClass, storageClassList()))
	}
	return errors.Join(errs...)
}

func (s Spec) validateKMS() error {
	var errs []error
	if s.ReplicaKMSKey != "" {
		if err := checkKMSKeyARN(s.ReplicaKMSKey, s.ReplicaRegion); err != nil {
			errs = append(errs, fmt.Errorf("--replica-kms-key: %w", err))
		}
		if s.NoDefaultEncryption {
			errs = append(errs, errors.New("--replica-kms-key sets the replica's default encryption: it cannot go with --no-default-encryption"))
		}
	}
	for _, k := range s.PrimaryKMSKeys {
		if err := checkKMSKeyARN(k, s.PrimaryRegion); err != nil {
			errs = append(errs, fmt.Errorf("--primary-kms-key: %w", err))
		}
	}
	if len(s.PrimaryKMSKeys) > 0 && s.ReplicaKMSKey == "" {
		errs = append(errs, errors.New("--primary-kms-key: SSE-KMS objects replicate only into a key of the replica's region: give --replica-kms-key too"))
	}
	return errors.Join(errs...)
}

func (s Spec) validateOptional() error {
	var errs []error
	if s.InventoryTo != nil {
		if err := checkExistingBucketName(s.InventoryTo.Bucket); err != nil {
			errs = append(errs, fmt.Errorf("--inventory-to: %w", err))
		}
		if len(s.InventoryID) > 64 || !isIdent(s.InventoryID) {
			errs = append(errs, fmt.Errorf("--inventory-id %q: 1 to 64 letters, digits, '-', '_' or '.'", s.InventoryID))
		}
	}
	if s.ProxyURL != "" && !looksLikeURL(s.ProxyURL) {
		errs = append(errs, fmt.Errorf("--proxy-url %q is not an http(s) URL", s.ProxyURL))
	}
	return errors.Join(errs...)
}
