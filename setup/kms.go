package setup

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// primaryKMSKey is the primary's default encryption when it is SSE-KMS
// (or DSSE-KMS): ok, and the key it names ("" = the AWS managed key
// aws/s3).
func primaryKMSKey(b bucketState) (string, bool) {
	if b.enc == nil || b.enc.SSEAlgorithm != types.ServerSideEncryptionAwsKms && b.enc.SSEAlgorithm != types.ServerSideEncryptionAwsKmsDsse {
		return "", false
	}
	return aws.ToString(b.enc.KMSMasterKeyID), true
}

// primaryKMSProblem is why the rule would not replicate what the primary
// writes by default, "" if it would: with SSE-KMS by default, new objects
// replicate only under a rule that selects SSE-KMS objects (which needs a
// replica key) and a role that may decrypt with the primary's key
// (S3-FACTS §2.3, §3).
func (w *world) primaryKMSProblem() string {
	key, ok := primaryKMSKey(w.primary)
	if !ok {
		return ""
	}
	what := fmt.Sprintf("s3://%s encrypts new objects with SSE-KMS by default (%s)", w.s.Primary.Bucket, orAWSManaged(key))
	give := "--primary-kms-key " + keyToGive(key)
	switch {
	case w.s.ReplicaKMSKey == "":
		return what + ": a rule that does not select SSE-KMS objects does not replicate them, and the role may not decrypt them: " +
			"give " + give + " and --replica-kms-key (a key ARN in " + w.s.ReplicaRegion + ")"
	case key == "" && len(w.s.PrimaryKMSKeys) == 0:
		return what + ": the role needs kms:Decrypt on that key: " + give
	case key != "" && !slices.ContainsFunc(w.s.PrimaryKMSKeys, func(k string) bool { return keyID(k) == keyID(key) }):
		return what + ": the role may not decrypt with it: add " + give
	}
	return ""
}

func orAWSManaged(key string) string {
	if key == "" {
		return "the AWS managed key aws/s3"
	}
	return "key " + key
}

// keyToGive is the key ARN to pass for key, or how to find it.
func keyToGive(key string) string {
	switch {
	case kmsKeyRE.MatchString(key):
		return key
	case key == "":
		return "<the ARN of aws/s3: aws kms describe-key --key-id alias/aws/s3>"
	}
	return "<the key ARN of " + key + ">"
}
