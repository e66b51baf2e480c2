// Command replication is `make demo-replication`: the whole story of a
// replica on a local MinIO server that really replicates, from setup to
// the last object.
//
// It starts MinIO (internal/s3test) on loopback, one server playing both
// regions (server-side copy cannot cross servers), and then:
//
//  1. creates the primary and replica buckets (versioned: MinIO needs the
//     replica to exist before it can be a replication target) and seeds the
//     primary with a few thousand media objects, before any rule;
//  2. registers the replica as a replication target, as a MinIO
//     administrator would (`mc replicate add`, its own rule added disabled),
//     and passes the target's ARN to setup as --role-arn with --no-iam
//     (MinIO takes that ARN where AWS takes an IAM role);
//  3. runs backfill setup plan, apply and check (the canary's delays);
//  4. runs backfill plan, then backfill copy of the existing media while a
//     small writer adds and overwrites media that live replication
//     delivers, and compares the buckets key by key;
//  5. runs backfill verify (exit 0), deletes one replica object by hand,
//     runs verify (exit 3, naming it), verify --fix, and verify (exit 0).
//
// It exits 0 when every step did what it should, 1 otherwise, 130 if
// interrupted; the server and its files are removed on every path.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/backfill-dev/backfill/internal/s3test"
)

const (
	binary    = "./bin/backfill"
	region    = "eu-west-2"
	srcBucket = "studio-media"
	dstBucket = "studio-media-replica"
	prefix    = "shows/"
	proxyURL  = "https://media-eu.studio.example"
	seedCount = 3000
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	err := demo(ctx)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "demo-replication: interrupted; the server was stopped and its files removed")
		return 130
	case err != nil:
		fmt.Fprintf(os.Stderr, "\ndemo-replication: %v\n", err)
		return 1
	}
	fmt.Printf("\nDemo finished in %s: every step did what it should.\n", time.Since(start).Round(time.Second))
	return 0
}

// world is the demo's server, clients and places.
type world struct {
	srv *s3test.MinIO
	c   *s3.Client
	env []string
	tmp string
	arn string
}

func demo(ctx context.Context) error {
	if _, err := os.Stat(binary); err != nil {
		return fmt.Errorf("%s not found: run `make demo-replication` from the repository root", binary)
	}
	tmp, err := os.MkdirTemp("", "backfill-demo-replication-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	step("Starting a local MinIO server (one server stands for both regions: server-side copy cannot cross servers)")
	srv, err := s3test.StartMinIO(ctx, s3test.MinIOOptions{Region: region, TempParent: tmp})
	if err != nil {
		return err
	}
	defer srv.Stop()
	w := &world{srv: srv, c: srv.Client(), env: srv.Env(), tmp: tmp}
	fmt.Printf("  MinIO %s, region %s\n", srv.Endpoint, region)
	for _, f := range []func(context.Context) error{w.seedPrimary, w.registerTarget, w.setup, w.backfill} {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return w.verify(ctx)
}

func (w *world) seedPrimary(ctx context.Context) error {
	step("Creating s3://" + srcBucket + " and s3://" + dstBucket + " (versioning on) and seeding the primary before any replication rule")
	for _, b := range []string{srcBucket, dstBucket} {
		if err := w.srv.CreateBucket(ctx, b, true); err != nil {
			return err
		}
	}
	start := time.Now()
	n, bytes, err := seed(ctx, w.c, srcBucket, prefix, seedCount)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("  %d media objects (%s) under s3://%s/%s in %s: frames, thumbnails, movies, with metadata\n",
		n, human(bytes), srcBucket, prefix, time.Since(start).Round(100*time.Millisecond))
	return nil
}

func (w *world) registerTarget(ctx context.Context) error {
	step("Registering the replica as a replication target, as a MinIO administrator would (mc replicate add)")
	mc, err := s3test.NewMC(filepath.Join(w.tmp, "mc"))
	if err != nil {
		return err
	}
	if w.arn, err = mc.AddReplication(ctx, w.srv, srcBucket, w.srv, dstBucket, s3test.ReplicationDisabled()); err != nil {
		return err
	}
	fmt.Printf("  target ARN %s\n", w.arn)
	fmt.Println("  mc added a rule of its own, disabled: the rule that replicates is the one backfill setup puts.")
	fmt.Println("  MinIO takes this ARN where AWS takes an IAM role, so setup gets it as --role-arn, with --no-iam.")
	return nil
}

func (w *world) setupArgs(sub string, extra ...string) []string {
	return append([]string{"setup", sub, "--primary", "s3://" + srcBucket + "/" + prefix, "--replica", "s3://" + dstBucket,
		"--replica-region", region, "--endpoint-url", w.srv.Endpoint, "--role-arn", w.arn, "--no-iam", "--no-default-encryption"}, extra...)
}

func (w *world) setup(ctx context.Context) error {
	step("backfill setup plan: what would change (nothing is changed)")
	if _, err := w.backfill1(ctx, 0, w.setupArgs("plan")...); err != nil {
		return err
	}
	step("backfill setup apply: the changes, in order")
	if _, err := w.backfill1(ctx, 0, w.setupArgs("apply")...); err != nil {
		return err
	}
	step("backfill setup apply again: nothing to change")
	out, err := w.backfill1(ctx, 0, w.setupArgs("apply")...)
	if err != nil {
		return err
	}
	if !strings.Contains(out, "nothing to change") {
		return errors.New("the second apply changed something")
	}
	step("backfill setup check: every line, then the canary measures the replication delay")
	_, err = w.backfill1(ctx, 0, w.setupArgs("check", "--canaries", "5", "--timeout", "2m", "--proxy-url", proxyURL)...)
	return err
}

// backfill1 runs the binary, shows the command and its output, and wants
// exit code want. It returns what the binary wrote to stdout.
func (w *world) backfill1(ctx context.Context, want int, args ...string) (string, error) {
	fmt.Printf("\n$ backfill %s\n\n", quoteArgs(args))
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = w.env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = teeTo(&out), os.Stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return "", err
	}
	if code != want {
		return out.String(), fmt.Errorf("backfill %s exited %d, want %d (its output is above)", args[0], code, want)
	}
	if code != 0 {
		fmt.Printf("  (exit %d, as it should)\n", code)
	}
	return out.String(), nil
}

func step(title string) { fmt.Printf("\n== %s\n", title) }

// quoteArgs joins args for display, quoting those with shell characters.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " '\"$&*?;|<>()\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
