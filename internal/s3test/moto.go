package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MotoAccountID is the account moto answers for (STS GetCallerIdentity, ARNs).
const MotoAccountID = "123456789012"

// motoStartTimeout is longer than a Go server's: moto imports a lot of
// Python first (about 2-5 s on 2 busy cores).
const motoStartTimeout = 60 * time.Second

// Moto is a running moto_server (moto 5.2.1, all services on one port) on a
// loopback port, for the AWS APIs the S3 servers lack: IAM, STS and others.
// It accepts any credentials; its state lives in memory and goes with it.
type Moto struct {
	Endpoint  string // e.g. "http://127.0.0.1:40123"
	Region    string // DefaultRegion
	AccessKey string // dummy
	SecretKey string // dummy

	dir      string // temp folder: aws/ for Env
	proc     *child
	stopOnce sync.Once
	stopErr  error
}

// MotoBinary finds moto_server: $BACKFILL_MOTO if set, else moto_server on
// PATH, else pyenv's Python 3.11 copy. The error says what is missing.
func MotoBinary() (string, error) { return motoTool.find() }

// StartMoto runs `moto_server -H 127.0.0.1 -p PORT` with a clean
// environment and returns once it answers HTTP. ctx bounds the start only.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := MotoBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "s3test-moto-")
	if err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	m := &Moto{Region: DefaultRegion, AccessKey: "testing", SecretKey: "testing", dir: dir}
	if _, err := makeAWSDir(dir); err != nil {
		m.Stop()
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		var portTaken bool
		if portTaken, err = m.launch(ctx, bin); err == nil {
			return m, nil
		} else if !portTaken {
			break
		}
	}
	m.Stop()
	return nil, err
}

func (m *Moto) launch(ctx context.Context, bin string) (portTaken bool, err error) {
	port, err := freePort()
	if err != nil {
		return false, err
	}
	m.Endpoint = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// No AWS_* (credentials, endpoints) and no MOTO_* settings from the caller.
	env := cleanEnv([]string{"AWS_", "MOTO_", "TEST_SERVER_MODE"}, "PYTHONUNBUFFERED=1")
	c, err := startChild(bin, []string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)}, env, m.dir, nil)
	if err != nil {
		return false, err
	}
	m.proc = c
	ctx, cancel := context.WithTimeout(ctx, motoStartTimeout)
	defer cancel()
	for {
		last := probe(ctx, m.Endpoint+"/moto-api/")
		if last == nil {
			return false, nil
		}
		select {
		case <-c.exited:
			out := c.out.String()
			m.proc = nil
			return strings.Contains(out, "already in use"),
				fmt.Errorf("s3test: moto_server exited during start (%s): %s", c.cmd.ProcessState, out)
		case <-ctx.Done():
			c.kill()
			m.proc = nil
			return false, fmt.Errorf("s3test: moto_server at %s did not answer within %s: last error: %v; output: %s",
				m.Endpoint, motoStartTimeout, last, c.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Output returns the last 16 KiB moto_server wrote (its request log).
func (m *Moto) Output() string {
	if m.proc == nil {
		return ""
	}
	return m.proc.out.String()
}

// Stop ends moto_server and removes its temp folder. Safe to call more than once.
func (m *Moto) Stop() error {
	m.stopOnce.Do(func() {
		if m.proc != nil {
			m.proc.stop()
		}
		if err := os.RemoveAll(m.dir); err != nil {
			m.stopErr = fmt.Errorf("s3test: remove %s: %w", m.dir, err)
		}
	})
	return m.stopErr
}

// Env returns, for a child process, os.Environ() without any AWS_* variable
// except AWS_CA_BUNDLE, plus dummy credentials, the region, IMDS disabled,
// empty shared config files, and AWS_ENDPOINT_URL_IAM, _STS and _S3 set to
// moto. A caller that wants S3 elsewhere appends its own
// AWS_ENDPOINT_URL_S3 (the last one wins).
func (m *Moto) Env() []string {
	return clientEnv(filepath.Join(m.dir, "aws"),
		"AWS_ACCESS_KEY_ID="+m.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+m.SecretKey,
		"AWS_REGION="+m.Region,
		"AWS_ENDPOINT_URL_IAM="+m.Endpoint,
		"AWS_ENDPOINT_URL_STS="+m.Endpoint,
		"AWS_ENDPOINT_URL_S3="+m.Endpoint,
	)
}

// Config returns an SDK configuration whose clients (IAM, STS, S3, ...) all
// talk to moto with its dummy credentials. S3 clients made from it need
// UsePathStyle.
func (m *Moto) Config(ctx context.Context) (aws.Config, error) {
	creds := aws.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey, Source: "s3test-moto"}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(m.Region),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(
			func(context.Context) (aws.Credentials, error) { return creds, nil })),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("s3test: load AWS config: %w", err)
	}
	cfg.BaseEndpoint = aws.String(m.Endpoint)
	return cfg, nil
}
