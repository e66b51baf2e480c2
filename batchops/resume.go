package batchops

import (
	"context"

	"github.com/backfill-dev/backfill/report"
)

// resume looks for an earlier submit of the same command. Its job, while
// it has not ended, is this submit's answer (and the objects over 5 GiB
// it kept out are copied now if their copy did not finish); a request
// that may have made a job (no id recorded) is looked for by its
// description, else sent again as it was. With --dry-run it only says
// what it finds: nothing is sent, confirmed or copied. done says there is
// nothing more to do.
func (b *submit) resume(ctx context.Context) (done bool, err error) {
	rec := b.st.last(b.key)
	if rec == nil {
		return false, nil
	}
	b.prior = rec.Token
	dry := b.spec.DryRun
	if rec.JobID == "" {
		if dry {
			return true, b.reportPending(ctx, rec)
		}
		if err := b.finishPending(ctx, rec); err != nil {
			return true, err
		}
		return true, b.copyLarge(ctx, rec.Large, rec)
	}
	d, err := describe(ctx, b.ctl, rec.JobID)
	if isNoSuchJob(err) {
		b.out.note("The job %s of an earlier submit of this command is no longer known to S3 (jobs are kept about 30 days): %s.", rec.JobID, again(dry))
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if terminal(d.Status) {
		b.out.note("The last job of this command, %s, ended %s: %s.", rec.JobID, d.Status, again(dry))
		if dry {
			return false, nil
		}
		return false, b.copyLarge(ctx, rec.Large, rec) // its own objects over 5 GiB first
	}
	b.out.found(rec, string(d.Status), "an earlier submit of this command made it; nothing new was submitted")
	if dry {
		if b.spec.Confirm && d.Status == "Suspended" {
			b.out.note("--dry-run: the job was not confirmed.")
		}
		if l := rec.Large; l != nil && !l.Done {
			b.out.note("--dry-run: the %s over 5 GiB it kept out (listed in %s) were not copied.", report.Plural(l.Objects, "object"), l.Manifest)
		}
		return true, nil
	}
	if b.spec.Confirm && d.Status == "Suspended" {
		if err := confirmJob(ctx, b.ctl, rec.JobID, b.out); err != nil {
			return true, err
		}
	}
	return true, b.copyLarge(ctx, rec.Large, rec)
}

func again(dry bool) string {
	if dry {
		return "a submit without --dry-run makes a new one"
	}
	return "submitting again"
}

// reportPending is --dry-run's look at a submit whose CreateJob got no
// answer: ListJobs only (read-only); the state file is not changed.
func (b *submit) reportPending(ctx context.Context, rec *Record) error {
	id, status, err := findByTag(ctx, b.ctl, tag(rec.Token))
	if err != nil {
		return err
	}
	if id != "" {
		found := *rec
		found.JobID = id
		b.out.found(&found, status, "an earlier submit of this command made it (its answer was lost); --dry-run: nothing was sent or recorded")
		return nil
	}
	b.out.note("An earlier submit of this command got no answer to CreateJob, and no job carries its token: a submit without --dry-run sends the same request again (token %s). --dry-run: nothing was sent.", rec.Token[:16])
	return nil
}

// finishPending ends a submit whose CreateJob got no answer: the job it
// may have made is looked for (ListJobs, by the token in its
// description); if there is none, the same request is sent again with the
// same token, which S3 answers with the same job if it made one.
func (b *submit) finishPending(ctx context.Context, rec *Record) error {
	id, status, err := findByTag(ctx, b.ctl, tag(rec.Token))
	if err != nil {
		return err
	}
	if id != "" {
		rec.JobID = id
		if err := b.st.put(*rec); err != nil {
			return err
		}
		b.out.found(rec, status, "an earlier submit of this command made it (its answer was lost); nothing new was submitted")
		return b.confirmIfAsked(ctx, rec.JobID)
	}
	b.out.note("An earlier submit of this command got no answer to CreateJob; sending the same request (token %s) again.", rec.Token[:16])
	if err := b.make(ctx, rec); err != nil {
		return err
	}
	return b.confirmIfAsked(ctx, rec.JobID)
}

func (b *submit) confirmIfAsked(ctx context.Context, id string) error {
	if !b.spec.Confirm {
		return nil
	}
	return confirmJob(ctx, b.ctl, id, b.out)
}
