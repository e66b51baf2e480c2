package batchops

import (
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/engine"
	"github.com/backfill-dev/backfill/internal/awsconf"
	"github.com/backfill-dev/backfill/internal/exitcode"
	"github.com/backfill-dev/backfill/internal/s3url"
	"github.com/backfill-dev/backfill/run"
)

func loc(t *testing.T, s string) s3url.URL {
	t.Helper()
	u, err := s3url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTargetKeyPrefix(t *testing.T) {
	for _, tc := range []struct {
		from, to, want, err string
	}{
		{"s3://ppp", "s3://rrr", "", ""},
		{"s3://ppp/shows", "s3://rrr/shows", "", ""},
		{"s3://ppp", "s3://rrr/backup", "backup", ""},
		{"s3://ppp/shows/alpha", "s3://rrr/backup/shows/alpha", "backup", ""},
		{"s3://ppp/shows", "s3://rrr/films", "", "s3://rrr/shows/"},
		{"s3://ppp/shows", "s3://rrr", "", "must be the source's"},
		{"s3://ppp/b", "s3://rrr/ab", "", "must be the source's"},
	} {
		got, err := TargetKeyPrefix(loc(t, tc.from), loc(t, tc.to))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s -> %s: %q %v, want an error with %q", tc.from, tc.to, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s -> %s: %q %v, want %q", tc.from, tc.to, got, err, tc.want)
		}
	}
}

func validSubmit(t *testing.T) *SubmitSpec {
	return &SubmitSpec{
		Job: JobSpec{Operation: Copy, RoleARN: "arn:aws:iam::123456789012:role/batch", ReportTo: "s3://rep/reports", ReportScope: ScopeFailed},
		Run: run.Spec{From: loc(t, "s3://src"), To: loc(t, "s3://dst"), Engine: engine.Options{Concurrency: 1}, AWS: awsconf.Options{MaxAttempts: 1}}, State: "state.json",
	}
}

// Every bad spec is a usage error (exit 2) naming the flag.
func TestSubmitSpecValidate(t *testing.T) {
	s := validSubmit(t)
	if err := s.Validate(); err != nil || s.Job.ManifestTo != "s3://rep/reports/manifests/" || s.Job.From != "s3://src/" {
		t.Fatalf("valid spec: %v %+v", err, s.Job)
	}
	for _, tc := range []struct {
		name string
		mod  func(*SubmitSpec)
		want string
	}{
		{"no role", func(s *SubmitSpec) { s.Job.RoleARN = "" }, "--role-arn ARN is required"},
		{"bad role", func(s *SubmitSpec) { s.Job.RoleARN = "arn:aws:iam::1234:role/x" }, "not an IAM role ARN"},
		{"user, not role", func(s *SubmitSpec) { s.Job.RoleARN = "arn:aws:iam::123456789012:user/x" }, "not an IAM role ARN"},
		{"no report", func(s *SubmitSpec) { s.Job.ReportTo = "" }, "--report-to s3://BUCKET/PREFIX is required"},
		{"bad report", func(s *SubmitSpec) { s.Job.ReportTo = "rep/reports" }, "--report-to"},
		{"bad manifest-to", func(s *SubmitSpec) { s.Job.ManifestTo = "s3://a" }, "--manifest-to"},
		{"operation", func(s *SubmitSpec) { s.Job.Operation = "restore" }, `--operation "restore"`},
		{"scope", func(s *SubmitSpec) { s.Job.ReportScope = "some" }, "--report-scope"},
		{"storage class", func(s *SubmitSpec) { s.Job.Copy.StorageClass = "REDUCED_REDUNDANCY" }, `--storage-class "REDUCED_REDUNDANCY"`},
		{"kms without sse", func(s *SubmitSpec) { s.Job.Copy.SSEKMSKeyID = "k" }, "--sse-kms-key-id needs --sse aws:kms"},
		{"checksum", func(s *SubmitSpec) { s.Job.Copy.ChecksumAlgorithm = "MD4" }, `--checksum-algorithm "MD4"`},
		{"acl", func(s *SubmitSpec) { s.Job.Copy.ACL = "everyone" }, `--acl "everyone"`},
		{"replicate with copy options", func(s *SubmitSpec) { s.Job.Operation, s.Job.Copy.SSE = Replicate, "AES256" }, "go with --operation copy"},
		{"replicate, other prefix", func(s *SubmitSpec) { s.Job.Operation, s.Run.To = Replicate, loc(t, "s3://dst/x") }, "must be the same"},
		{"prefix mapping", func(s *SubmitSpec) { s.Run.From, s.Run.To = loc(t, "s3://src/a"), loc(t, "s3://dst/b") }, "TargetKeyPrefix/KEY"},
		{"account", func(s *SubmitSpec) { s.Account.ID = "abc" }, `--account-id "abc"`},
		{"all versions", func(s *SubmitSpec) { s.Run.Source.AllVersions = true }, "--all-versions"},
		{"generate and manifest", func(s *SubmitSpec) { s.Job.Generate, s.Run.Source.Manifest = &Generator{}, "m.csv" }, "--generate is a source of its own"},
		{"generate and include", func(s *SubmitSpec) { s.Job.Generate, s.Run.Include = &Generator{}, []string{"*.mov"} }, "--include and --exclude do not go with --generate"},
		{"generate status", func(s *SubmitSpec) { s.Job.Generate = &Generator{ReplicationStatuses: []string{"PENDING"}} }, `--replication-status "PENDING"`},
		{"generate sizes", func(s *SubmitSpec) { s.Job.Generate = &Generator{MinSize: 10, MaxSize: 5} }, "not a size range"},
		{"no state", func(s *SubmitSpec) { s.State = "" }, "--state"},
		{"bad glob", func(s *SubmitSpec) { s.Run.Include = []string{"["} }, "["},
		{"overlap", func(s *SubmitSpec) { s.Run.To = loc(t, "s3://src/copy") }, "overlap"},
		{"report inside the replica", func(s *SubmitSpec) { s.Job.ReportTo = "s3://dst/reports" }, "--report-to s3://dst/reports overlaps --to s3://dst/"},
		{"manifests inside the source", func(s *SubmitSpec) {
			s.Run.From, s.Run.To, s.Job.ManifestTo = loc(t, "s3://src/shows"), loc(t, "s3://dst/shows"), "s3://src/shows/m/"
		}, "--manifest-to s3://src/shows/m/ overlaps --from s3://src/shows/"},
		{"generated copy, no class", func(s *SubmitSpec) { s.Job.Generate = &Generator{StorageClasses: []string{"STANDARD", "STANDARD_IA"}} }, "give --storage-class"},
	} {
		s := validSubmit(t)
		tc.mod(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || run.ExitCode(err) != exitcode.Usage {
			t.Errorf("%s: %v (exit %d), want usage error with %q", tc.name, err, run.ExitCode(err), tc.want)
		}
	}
	s = validSubmit(t)
	s.Job.Generate = &Generator{MaxSize: 10 << 40, StorageClasses: []string{"STANDARD_IA"}}
	if err := s.Validate(); err != nil || s.Job.Generate.MaxSize != MaxCopySize || s.Job.Copy.StorageClass != "STANDARD_IA" {
		t.Errorf("generate max size %d %v: want capped at 5 GiB", s.Job.Generate.MaxSize, err)
	}
}
