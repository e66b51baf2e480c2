package batchops

import (
	"path"
	"strings"

	"github.com/backfill-dev/backfill/internal/s3url"
)

// needs says, before the job is made, what its role must be allowed that
// `backfill batchops policy` grants only when told (S3-FACTS 2.1): read
// of versions when the manifest names version ids, read of the S3
// Inventory a job reads as its manifest, and what --generate, --acl and
// KMS keys add. It names the policy command that grants it all.
func (b *submit) needs(rec *Record) {
	j := rec.Job
	args := []string{"backfill batchops policy", "--operation", string(j.Operation), "--from", j.From, "--to", j.To, "--report-to", j.ReportTo}
	if j.ManifestTo != strings.TrimSuffix(j.ReportTo, "/")+"/manifests/" {
		args = append(args, "--manifest-to", j.ManifestTo)
	}
	var why []string
	if m := rec.Manifest; m != nil && m.Versions && j.Operation == Copy {
		args = append(args, "--versions")
		why = append(why, "s3:GetObjectVersion* on the source (the manifest names version ids)")
	}
	if m := rec.Manifest; m != nil && m.Format == formatInventory {
		loc := "s3://" + strings.TrimPrefix(m.ARN, "arn:aws:s3:::")
		args = append(args, "--inventory", loc)
		why = append(why, "s3:GetObject on the inventory's delivery (the job reads it as its manifest; --upload-manifest uploads backfill's own instead)")
	}
	if j.Generate != nil {
		args = append(args, "--generate")
		why = append(why, "what a manifest generator needs")
	}
	if j.Copy.ACL != "" {
		args = append(args, "--acl")
		why = append(why, "s3:PutObjectAcl")
	}
	if j.Copy.SSEKMSKeyID != "" {
		args = append(args, "--sse-kms-key-id", j.Copy.SSEKMSKeyID)
		why = append(why, "the KMS key of the copies")
	}
	if len(why) == 0 {
		return
	}
	b.out.note("The job's role needs %s: `%s` prints a policy with it (--create-role NAME --update changes a role backfill made).",
		strings.Join(why, ", "), strings.Join(args, " "))
}

// inventoryObjects is what a job reading an S3 Inventory as its manifest
// reads: a delivery's manifest.json and the data files beside its dated
// folder (PREFIX/SOURCE/CONFIG/DATE/manifest.json, PREFIX/SOURCE/CONFIG/data/),
// so the configuration's folder; or everything under a prefix given.
func inventoryObjects(u s3url.URL) string {
	p := u.Prefix
	if k := strings.TrimSuffix(p, "/"); strings.HasSuffix(k, "manifest.json") {
		p = strings.TrimPrefix(path.Dir(path.Dir(k))+"/", "./")
	}
	return "arn:aws:s3:::" + u.Bucket + "/" + p + "*"
}
