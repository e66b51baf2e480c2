package s3test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestToolVersionsMatchMakefile: the versions the harness looks for in the
// tools cache are the ones the Makefile builds.
func TestToolVersionsMatchMakefile(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"VERSITYGW": VersitygwVersion, "MINIO": MinIOVersion, "MC": MCVersion} {
		m := regexp.MustCompile(`(?m)^` + name + `_VERSION := (\S+)$`).FindSubmatch(mk)
		if m == nil || string(m[1]) != want {
			t.Errorf("Makefile %s_VERSION = %q, s3test wants %q", name, m, want)
		}
	}
	if !strings.Contains(InstallCommand, VersitygwVersion) {
		t.Errorf("InstallCommand %q does not install %s", InstallCommand, VersitygwVersion)
	}
}

// TestToolMissing: with nothing installed, each finder says what is
// missing and how to get it, and a set override that does not exist is
// named.
func TestToolMissing(t *testing.T) {
	t.Setenv(EnvToolsCache, t.TempDir()) // an empty tools cache
	t.Setenv("PYENV_ROOT", t.TempDir())  // no pyenv Python
	t.Setenv("PATH", "")
	t.Chdir(t.TempDir()) // no go.mod above
	for _, tc := range []struct {
		env  string
		find func() (string, error)
		want []string
	}{
		{EnvMinIO, MinIOBinary, []string{"minio not found", "make tools", "github.com/minio/minio@" + MinIOVersion}},
		{EnvMC, MCBinary, []string{"mc not found", "make tools", "github.com/minio/mc@" + MCVersion}},
		{EnvMoto, MotoBinary, []string{"moto_server not found", "moto 5.2.1", "Python 3.11", EnvMoto}},
		{EnvBinary, Binary, []string{"versitygw not found", "make test"}},
	} {
		t.Setenv(tc.env, "")
		_, err := tc.find()
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s unset: error %v lacks %q", tc.env, err, w)
			}
		}
		t.Setenv(tc.env, filepath.Join(t.TempDir(), "missing"))
		if _, err := tc.find(); err == nil || !strings.Contains(err.Error(), tc.env) {
			t.Errorf("%s set to a missing file: %v", tc.env, err)
		}
	}
}

// TestToolsCacheLookup: a pinned build in the tools cache is found without
// .tools/bin, as on a fresh clone before `make tools` links it.
func TestToolsCacheLookup(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(EnvToolsCache, cache)
	t.Setenv(EnvMC, "")
	t.Setenv("PATH", "")
	t.Chdir(t.TempDir())
	bin := filepath.Join(cache, "mc@"+MCVersion, "mc")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := MCBinary(); err != nil || got != bin {
		t.Fatalf("MCBinary() = %q, %v; want %q", got, err, bin)
	}
}
