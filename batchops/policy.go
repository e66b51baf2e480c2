package batchops

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/run"
)

// PolicySpec is `batchops policy`: what the job role must be allowed,
// and (CreateRole) the role to make with IAM.
type PolicySpec struct {
	Operation            Operation
	From, To             s3url.URL
	ReportTo, ManifestTo s3url.URL
	// Generate: the jobs use a manifest generator (S3 lists the source and
	// writes the manifest under ManifestTo).
	Generate bool
	// Versions: the manifests name version ids.
	Versions bool
	// Inventory, when set, is an S3 Inventory a job reads as its manifest
	// (submit names a CSV inventory's manifest.json when it needs no
	// filtering): its delivery must be readable.
	Inventory s3url.URL
	// ACL: the copies get a canned ACL (--acl).
	ACL bool
	// DestKMSKey encrypts the copies (--sse-kms-key-id, as an ARN);
	// SourceKMSKeys decrypt the sources.
	DestKMSKey    string
	SourceKMSKeys []string
	// CreateRole, when set, is the role to create (or, with Update,
	// change) with IAM; Profile and MaxAttempts configure that client.
	CreateRole  string
	Update      bool
	Profile     string
	MaxAttempts int
	JSON        bool
}

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy document.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

var roleNameRe = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// Validate checks the spec; its errors are usage errors.
func (s *PolicySpec) Validate() error {
	switch {
	case s.Operation != Copy && s.Operation != Replicate:
		return run.Usagef("--operation %q: must be copy or replicate", s.Operation)
	case s.From.Bucket == "":
		return run.Usagef("--from s3://BUCKET[/PREFIX] is required: the source the jobs read")
	case s.Operation == Copy && s.To.Bucket == "":
		return run.Usagef("--to s3://BUCKET[/PREFIX] is required for --operation copy: where the jobs write")
	case s.ReportTo.Bucket == "":
		return run.Usagef("--report-to s3://BUCKET/PREFIX is required: where the jobs write their completion reports")
	case s.CreateRole != "" && !roleNameRe.MatchString(s.CreateRole):
		return run.Usagef("--create-role %q: an IAM role name is 1-64 letters, digits and +=,.@_-", s.CreateRole)
	case s.Update && s.CreateRole == "":
		return run.Usagef("--update goes with --create-role NAME")
	case s.Operation == Replicate && (s.DestKMSKey != "" || s.ACL):
		return run.Usagef("--sse-kms-key-id and --acl go with --operation copy: replication takes them from the replication configuration, whose own role needs them")
	}
	if s.ManifestTo.Bucket == "" {
		s.ManifestTo = s.ReportTo
		s.ManifestTo.Prefix += "manifests/"
	}
	if s.To.Bucket != "" && s3url.Overlaps(s.From, s.To) {
		return run.Usagef("--from %s and --to %s overlap: a job would write into what it reads, and the policy would grant writes to the source", s.From, s.To)
	}
	if err := outsideData(s.From, s.To, s.ReportTo.String(), s.ManifestTo.String()); err != nil {
		return run.Usagef("%w", err)
	}
	for _, k := range append([]string{s.DestKMSKey}, s.SourceKMSKeys...) {
		if k != "" && !kmsARNRe.MatchString(k) {
			return run.Usagef("KMS key %q: a policy names keys by ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", k)
		}
	}
	return nil
}

// TrustPolicy lets S3 Batch Operations assume the role (S3-FACTS 2.1).
func TrustPolicy() Document {
	return Document{Version: "2012-10-17", Statement: []Statement{{Effect: "Allow",
		Principal: map[string]string{"Service": "batchoperations.s3.amazonaws.com"}, Action: []string{"sts:AssumeRole"}}}}
}

func objects(u s3url.URL) string { return "arn:aws:s3:::" + u.Bucket + "/" + u.Prefix + "*" }

// reports is where a job writes its completion report: PREFIX/job-ID/...
// (S3-FACTS 1.5); not the manifests kept beside it (REPORT-TO/manifests/
// by default), which the job must not overwrite.
func reports(u s3url.URL) string {
	p := u.Prefix
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return "arn:aws:s3:::" + u.Bucket + "/" + p + "job-*"
}

// PermissionPolicy is the least the job role needs (S3-FACTS 2.1, 2.2):
// only the source and destination prefixes, the manifest and report
// locations and the KMS keys named. Notes say what is UNCONFIRMED.
func PermissionPolicy(s *PolicySpec) (Document, []string) {
	var st []Statement
	var notes []string
	if s.Operation == Copy {
		st = append(st, copyStatements(s)...)
	} else {
		st = append(st, Statement{Sid: "Replicate", Effect: "Allow", Action: []string{"s3:InitiateReplication"}, Resource: []string{objects(s.From)}})
		notes = append(notes, "the replication configuration's own role must be able to replicate (S3-FACTS 2.3); this role only starts the replication")
	}
	if s.Generate {
		actions := []string{"s3:PutInventoryConfiguration"}
		if s.Operation == Replicate {
			actions = append(actions, "s3:GetReplicationConfiguration")
		} else {
			notes = append(notes, "what a copy job with a manifest generator needs is UNCONFIRMED; this policy grants what a replication job with one needs (s3:PutInventoryConfiguration on the source bucket), plus s3:ListBucket")
		}
		st = append(st,
			Statement{Sid: "GenerateManifest", Effect: "Allow", Action: actions, Resource: []string{"arn:aws:s3:::" + s.From.Bucket}},
			Statement{Sid: "WriteGeneratedManifest", Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{objects(s.ManifestTo)}})
	}
	st = append(st,
		Statement{Sid: "ReadManifest", Effect: "Allow", Action: []string{"s3:GetObject", "s3:GetObjectVersion"}, Resource: []string{objects(s.ManifestTo)}},
		Statement{Sid: "WriteReport", Effect: "Allow", Action: []string{"s3:PutObject"}, Resource: []string{reports(s.ReportTo)}})
	if s.Inventory.Bucket != "" {
		st = append(st, Statement{Sid: "ReadInventory", Effect: "Allow", Action: []string{"s3:GetObject", "s3:GetObjectVersion"},
			Resource: []string{inventoryObjects(s.Inventory)}})
	}
	if s.DestKMSKey != "" {
		st = append(st, Statement{Sid: "EncryptCopies", Effect: "Allow", Action: []string{"kms:GenerateDataKey", "kms:Encrypt"}, Resource: []string{s.DestKMSKey}})
	}
	if len(s.SourceKMSKeys) > 0 {
		st = append(st, Statement{Sid: "DecryptSources", Effect: "Allow", Action: []string{"kms:Decrypt"}, Resource: s.SourceKMSKeys})
	}
	return Document{Version: "2012-10-17", Statement: st}, notes
}

func copyStatements(s *PolicySpec) []Statement {
	write := []string{"s3:PutObject", "s3:PutObjectTagging"}
	if s.ACL {
		write = append(write, "s3:PutObjectAcl")
	}
	read := []string{"s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectTagging"}
	if s.Versions {
		read = append(read, "s3:GetObjectVersion", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging")
	}
	// s3:ListBucket on the whole bucket, without an s3:prefix condition:
	// S3 checks it on a GET of a key that does not exist (404 NoSuchKey
	// with it, 403 AccessDenied without), where no prefix is in the
	// request, so a condition on the prefix would turn every missing
	// object into an access denial.
	list := Statement{Sid: "ListSource", Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{"arn:aws:s3:::" + s.From.Bucket}}
	return []Statement{
		{Sid: "WriteCopies", Effect: "Allow", Action: write, Resource: []string{objects(s.To)}},
		{Sid: "ReadSources", Effect: "Allow", Action: read, Resource: []string{objects(s.From)}},
		list,
	}
}

// errRoleDiffers is returned when an existing role's policies differ and
// --update was not given.
var errRoleDiffers = errors.New("the role exists with other policies")

func roleDiffers(name string, what []string) error {
	return fmt.Errorf("%w: role %s has %s, not only what backfill would give it; backfill changes an existing role only with --update, which replaces its trust policy and %s and removes its other inline and attached policies (nothing was changed)",
		errRoleDiffers, name, strings.Join(what, "; "), RolePolicyName)
}
