package setup

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// planBucket is step 1: the replica bucket in its region, with Block
// Public Access on and default encryption.
func (w *world) planBucket() *Step {
	s, r := w.s, w.replica
	st := &Step{Number: 1, Name: "replica bucket", Verdict: OK,
		Desired: fmt.Sprintf("s3://%s in %s, Block Public Access on (all four settings), default encryption %s",
			s.Replica.Bucket, s.ReplicaRegion, w.wantedEncryption())}
	if w.primary.region == s.ReplicaRegion {
		st.Notes = append(st.Notes, fmt.Sprintf("the replica is in the primary's own region (%s): same-region replication is legal, "+
			"but the point of a replica, faster access from elsewhere, needs another region", s.ReplicaRegion))
	}
	switch {
	case r.denied != "":
		st.Verdict, st.Current = Blocked, "s3://"+s.Replica.Bucket+" exists"
		st.Reason = r.denied + ": choose another --replica name"
	case !r.exists:
		st.Verdict, st.Current = Create, "does not exist"
		st.add("create s3://"+s.Replica.Bucket+" in "+s.ReplicaRegion, w.createBucket)
		st.add("turn Block Public Access on", w.putPAB)
		if !s.NoDefaultEncryption {
			st.add("set default encryption "+w.wantedEncryption(), w.putEncryption)
		}
	case r.region != s.ReplicaRegion:
		st.Verdict, st.Current = Blocked, fmt.Sprintf("s3://%s exists in %s", s.Replica.Bucket, r.region)
		st.Reason = fmt.Sprintf("a bucket cannot move: use --replica-region %s, or another --replica name", r.region)
	default:
		st.Current = fmt.Sprintf("s3://%s in %s, Block Public Access %s, default encryption %s",
			s.Replica.Bucket, r.region, describePAB(r), describeEncryption(r))
		w.diffPAB(st)
		w.diffEncryption(st)
	}
	return st
}

func (w *world) wantedEncryption() string {
	switch {
	case w.s.NoDefaultEncryption:
		return "left as it is (--no-default-encryption)"
	case w.s.ReplicaKMSKey != "":
		return "SSE-KMS with " + w.s.ReplicaKMSKey
	}
	return "SSE-S3 (AES256)"
}

func (w *world) diffPAB(st *Step) {
	r := w.replica
	switch {
	case r.pabUnsup != "":
		st.Notes = append(st.Notes, "Block Public Access: the server does not implement it ("+r.pabUnsup+"): not set here; on AWS it is")
	case !pabOn(r.pab):
		st.Verdict = Change
		st.add("turn Block Public Access on (all four settings)", w.putPAB)
	}
}

func (w *world) diffEncryption(st *Step) {
	r := w.replica
	switch {
	case w.s.NoDefaultEncryption:
	case r.encUnsup != "":
		st.Notes = append(st.Notes, "default encryption: the server does not implement it ("+r.encUnsup+"): not set here")
	case !w.encryptionOK(r.enc):
		st.Verdict = Change
		st.add("set default encryption "+w.wantedEncryption()+" (now "+describeEncryption(r)+")", w.putEncryption)
	}
}

func pabOn(c *types.PublicAccessBlockConfiguration) bool {
	return c != nil && aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.IgnorePublicAcls) &&
		aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.RestrictPublicBuckets)
}

func describePAB(r bucketState) string {
	switch {
	case r.pabUnsup != "":
		return "unknown (not implemented by the server)"
	case pabOn(r.pab):
		return "on"
	case r.pab == nil:
		return "off (no configuration)"
	}
	var off []string
	for name, v := range map[string]*bool{"BlockPublicAcls": r.pab.BlockPublicAcls, "IgnorePublicAcls": r.pab.IgnorePublicAcls,
		"BlockPublicPolicy": r.pab.BlockPublicPolicy, "RestrictPublicBuckets": r.pab.RestrictPublicBuckets} {
		if !aws.ToBool(v) {
			off = append(off, name)
		}
	}
	slices.Sort(off)
	return "partly off (" + strings.Join(off, ", ") + ")"
}

func describeEncryption(r bucketState) string {
	switch {
	case r.encUnsup != "":
		return "unknown (not implemented by the server)"
	case r.enc == nil:
		return "none"
	case r.enc.SSEAlgorithm == types.ServerSideEncryptionAes256:
		return "SSE-S3 (AES256)"
	}
	return string(r.enc.SSEAlgorithm) + " " + aws.ToString(r.enc.KMSMasterKeyID)
}

func (w *world) encryptionOK(e *types.ServerSideEncryptionByDefault) bool {
	if e == nil {
		return false
	}
	if w.s.ReplicaKMSKey == "" {
		return e.SSEAlgorithm == types.ServerSideEncryptionAes256
	}
	return e.SSEAlgorithm == types.ServerSideEncryptionAwsKms && keyID(aws.ToString(e.KMSMasterKeyID)) == keyID(w.s.ReplicaKMSKey)
}

// keyID is the key id of a key ARN, or s itself.
func keyID(s string) string {
	if i := strings.LastIndex(s, "key/"); i >= 0 {
		return s[i+len("key/"):]
	}
	return s
}

func (w *world) createBucket(ctx context.Context) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(w.s.Replica.Bucket)}
	if w.s.ReplicaRegion != "us-east-1" { // us-east-1 refuses its own name as a LocationConstraint
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(w.s.ReplicaRegion)}
	}
	_, err := w.c.Replica.CreateBucket(ctx, in)
	return err
}

func (w *world) putPAB(ctx context.Context) error {
	_, err := w.c.Replica.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(w.s.Replica.Bucket),
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true),
			IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}})
	return err
}

func (w *world) putEncryption(ctx context.Context) error {
	def := &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}
	if w.s.ReplicaKMSKey != "" {
		def = &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(w.s.ReplicaKMSKey)}
	}
	_, err := w.c.Replica.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(w.s.Replica.Bucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
			Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: def}}}})
	if unsupported(err) {
		return fmt.Errorf("%w (the server has no default encryption: run with --no-default-encryption)", err)
	}
	return err
}

// planVersioning is step 2: versioning Enabled on both buckets: create
// where it never was (or the bucket is new), change where it is Suspended
// (reported; only apply changes it).
func (w *world) planVersioning() *Step {
	st := &Step{Number: 2, Name: "versioning", Verdict: OK, Desired: "Enabled on both buckets (replication needs it)"}
	var cur []string
	for _, side := range []struct {
		what string
		b    bucketState
		c    S3API
	}{{"primary", w.primary, w.c.Primary}, {"replica", w.replica, w.c.Replica}} {
		b := side.b
		switch {
		case !b.exists:
			cur = append(cur, side.what+": no bucket yet")
			st.Verdict = worse(st.Verdict, Create)
			st.add("enable versioning on the new "+side.what+" s3://"+b.name, enableVersioning(side.c, b.name))
		case b.denied != "" || b.region != w.regionOf(side.what):
			cur = append(cur, side.what+": unknown (see step 1)")
		case b.versioning == types.BucketVersioningStatusEnabled:
			cur = append(cur, side.what+" Enabled")
		default:
			cur = append(cur, side.what+" "+describeVersioning(b.versioning))
			v := Create
			if b.versioning != "" {
				v = Change
				st.Notes = append(st.Notes, fmt.Sprintf("versioning is %s on s3://%s: replication needs it Enabled; "+
					"apply enables it (plan changes nothing)", describeVersioning(b.versioning), b.name))
			}
			st.Verdict = worse(st.Verdict, v)
			st.add("enable versioning on the "+side.what+" s3://"+b.name, enableVersioning(side.c, b.name))
		}
	}
	st.Current = strings.Join(cur, "; ")
	return st
}

// worse is the verdict of a step with parts a and b: change beats create,
// create beats ok.
func worse(a, b Verdict) Verdict {
	rank := map[Verdict]int{OK: 0, Create: 1, Change: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func (w *world) regionOf(side string) string {
	if side == "primary" {
		return w.primary.region
	}
	return w.s.ReplicaRegion
}

func describeVersioning(v types.BucketVersioningStatus) string {
	switch v {
	case "":
		return "never enabled"
	case types.BucketVersioningStatusSuspended:
		return "Suspended"
	}
	return fmt.Sprintf("%q (not Enabled)", string(v))
}

func enableVersioning(c S3API, bucket string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		return err
	}
}
