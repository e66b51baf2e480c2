package setup

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// checkNewBucketName applies the rules for naming a general purpose bucket
// today (S3 User Guide, bucket naming rules): 3-63 characters of lowercase
// letters, digits, '.' and '-', starting and ending with a letter or digit,
// no "..", not an IP address, none of the reserved prefixes and suffixes.
func checkNewBucketName(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			return fmt.Errorf("bucket name %q has %q: a new bucket's name holds only lowercase letters, digits, '.' and '-'", b, r)
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return fmt.Errorf("bucket name %q must start and end with a letter or a digit", b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket name %q has two adjacent periods", b)
	}
	if net.ParseIP(b) != nil {
		return fmt.Errorf("bucket name %q is formatted as an IP address", b)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return fmt.Errorf("bucket name %q starts with the reserved prefix %q", b, p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return fmt.Errorf("bucket name %q ends with the reserved suffix %q", b, s)
		}
	}
	return nil
}

// checkExistingBucketName is lenient where old buckets may be (uppercase
// letters and '_' in legacy us-east-1 names) and strict otherwise.
func checkExistingBucketName(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("bucket name %q has %q, which S3 bucket names cannot hold", b, r)
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// checkRegion accepts AWS region names (us-east-1, eu-west-2,
// us-gov-west-1, ap-southeast-4).
func checkRegion(flag, r string, required bool) error {
	switch {
	case r == "" && required:
		return fmt.Errorf("%s REGION is required", flag)
	case r == "":
		return nil
	case !regionRE.MatchString(r):
		return fmt.Errorf("%s %q is not a region name (like eu-west-2)", flag, r)
	}
	return nil
}

// roleARN is a parsed role ARN: an IAM role, or a MinIO replication target
// (which MinIO takes in its place).
type roleARN struct {
	partition, account, name string
	minio                    bool
}

var (
	iamRoleRE     = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):iam::([0-9]{12}):role/((?:[\x21-\x7e]+/)*)([\w+=,.@-]{1,64})$`)
	minioTargetRE = regexp.MustCompile(`^arn:minio:replication:[a-z0-9-]*:[^:]+:[^:]+$`)
)

// parseRoleARN accepts arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, and a
// MinIO target arn:minio:replication:REGION:ID:BUCKET.
func parseRoleARN(s string) (roleARN, error) {
	if !strings.HasPrefix(s, "arn:") {
		return roleARN{}, fmt.Errorf("%q is not an ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
	}
	if minioTargetRE.MatchString(s) {
		return roleARN{minio: true, name: s}, nil
	}
	m := iamRoleRE.FindStringSubmatch(s)
	if m == nil {
		return roleARN{}, fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
	}
	return roleARN{partition: m[1], account: m[2], name: m[4]}, nil
}

func isMinIOTarget(arn string) bool { return strings.HasPrefix(arn, "arn:minio:replication:") }

func hasBucketSuffix(arn, bucket string) bool { return strings.HasSuffix(arn, ":"+bucket) }

var roleNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func checkRoleName(n string) error {
	if !roleNameRE.MatchString(n) {
		return fmt.Errorf("%q: an IAM role name is 1 to 64 letters, digits and +=,.@_-", n)
	}
	return nil
}

func checkTag(t Tag) error {
	switch {
	case t.Key == "":
		return errors.New("--tag: the key is empty (KEY=VALUE)")
	case len(t.Key) > 128:
		return fmt.Errorf("--tag %s: a tag key is at most 128 characters", t.Key)
	case len(t.Value) > 256:
		return fmt.Errorf("--tag %s: a tag value is at most 256 characters", t.Key)
	case strings.HasPrefix(t.Key, "aws:"):
		return fmt.Errorf("--tag %s: keys starting with aws: are reserved", t.Key)
	}
	return nil
}

// ParseTag parses KEY=VALUE.
func ParseTag(s string) (Tag, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return Tag{}, fmt.Errorf("%w: --tag %q: want KEY=VALUE", ErrUsage, s)
	}
	return Tag{Key: k, Value: v}, nil
}

func validStorageClass(c string) bool {
	return slices.Contains(types.StorageClass("").Values(), types.StorageClass(c))
}

func storageClassList() string {
	var s []string
	for _, c := range types.StorageClass("").Values() {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

var kmsKeyRE = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):kms:([a-z0-9-]+):([0-9]{12}):key/[A-Za-z0-9-]+$`)

// checkKMSKeyARN wants a key ARN (the policies name it; a bare key id or an
// alias cannot be put in a policy's Resource), in region if one is known.
func checkKMSKeyARN(k, region string) error {
	m := kmsKeyRE.FindStringSubmatch(k)
	if m == nil {
		return fmt.Errorf("%q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", k)
	}
	if region != "" && m[2] != region {
		return fmt.Errorf("key %s is in %s, not in %s", k, m[2], region)
	}
	return nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func looksLikeURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// partitionOf is the ARN partition of region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
