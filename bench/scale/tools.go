package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

type tool struct {
	name string
	conc int
	dst  string
	args []string
	env  []string // added to (or replacing) the child environment; "-NAME" removes NAME
}

func backfillTool(c config, bin, dir string) tool {
	conc := defaultConcurrency
	args := []string{bin, "copy", "--from", "s3://primary", "--to", "s3://replica", "--no-progress"}
	if !strings.Contains(c.extra, "--no-checkpoint") {
		args = append(args, "--checkpoint", filepath.Join(dir, "checkpoint.db"))
	}
	args = append(args, "--report", filepath.Join(dir, "report.json"))
	if c.concurrency > 0 {
		conc = c.concurrency
		args = append(args, "--concurrency", fmt.Sprint(c.concurrency))
	}
	args = append(args, strings.Fields(c.extra)...)
	return tool{name: "backfill", conc: conc, dst: "replica", args: args}
}

func peerTools(url string) []tool {
	var ts []tool
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		ts = append(ts, tool{name: "aws s3 sync", conc: 10, dst: "replica2",
			args: []string{"/usr/bin/aws", "s3", "sync", "s3://primary", "s3://replica2", "--endpoint-url", url, "--only-show-errors", "--no-progress"},
			env:  []string{"AWS_PAGER="}})
	} else {
		fmt.Fprintln(os.Stderr, "scale: /usr/bin/aws not found: aws s3 sync skipped (apt-get install awscli)")
	}
	if p, err := exec.LookPath("rclone"); err == nil {
		// rclone 1.60 cannot load AWS_CA_BUNDLE ("unsupported transport"):
		// it runs without it, against the plain-http endpoint.
		env := []string{"-AWS_CA_BUNDLE", "RCLONE_CONFIG_S3_TYPE=s3", "RCLONE_CONFIG_S3_PROVIDER=Other",
			"RCLONE_CONFIG_S3_ENDPOINT=" + url, "RCLONE_CONFIG_S3_ACCESS_KEY_ID=s3sim",
			"RCLONE_CONFIG_S3_SECRET_ACCESS_KEY=s3simsecret", "RCLONE_CONFIG_S3_REGION=us-east-1",
			"RCLONE_CONFIG_S3_FORCE_PATH_STYLE=true"}
		ts = append(ts, tool{name: "rclone copy", conc: 4, dst: "replica3",
			args: []string{p, "copy", "s3:primary", "s3:replica3"}, env: env},
			tool{name: "rclone copy --transfers 256 --checkers 256", conc: 256, dst: "replica4",
				args: []string{p, "copy", "s3:primary", "s3:replica4", "--transfers", "256", "--checkers", "256"}, env: env})
	} else {
		fmt.Fprintln(os.Stderr, "scale: rclone not found: rclone copy skipped (apt-get install rclone)")
	}
	return ts
}

// childEnv is os.Environ() without AWS_* variables except AWS_CA_BUNDLE,
// plus the simulator's endpoint, any credentials, and empty shared config.
func childEnv(dir, url string) ([]string, error) {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			continue
		}
		env = append(env, kv)
	}
	cfg, creds := filepath.Join(dir, "aws-config"), filepath.Join(dir, "aws-credentials")
	for _, f := range []string{cfg, creds} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			return nil, err
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=s3sim", "AWS_SECRET_ACCESS_KEY=s3simsecret", "AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL_S3="+url, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+cfg,
		"AWS_SHARED_CREDENTIALS_FILE="+creds), nil
}

func withEnv(base, changes []string) []string {
	env := append([]string(nil), base...)
	for _, ch := range changes {
		name, _, _ := strings.Cut(strings.TrimPrefix(ch, "-"), "=")
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		if !strings.HasPrefix(ch, "-") {
			env = append(env, ch)
		}
	}
	return env
}
