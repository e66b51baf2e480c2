package s3test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Pinned versions of the programs the harness runs. The Makefile pins the
// same ones (TestToolVersionsMatchMakefile checks it).
const (
	VersitygwVersion = "v1.8.0"
	MinIOVersion     = "v0.0.0-20260212201848-7aac2a2c5b7c"
	MCVersion        = "v0.0.0-20250313080218-cf909e1063a9"
)

// Environment variables that name another binary for a tool (EnvBinary
// names versitygw's).
const (
	EnvMinIO = "BACKFILL_MINIO"
	EnvMC    = "BACKFILL_MC"
	EnvMoto  = "BACKFILL_MOTO"
)

// EnvToolsCache names the variable that moves the tools cache; by default it
// is <user cache dir>/backfill/tools, as in the Makefile.
const EnvToolsCache = "BACKFILL_TOOLS_CACHE"

// tool is a program the harness runs and where it is looked for.
type tool struct {
	name    string // file name
	env     string // variable naming another binary
	version string // pinned version built into the cache; "" if not built by the Makefile
	install string // how to get it, for the error message
}

var (
	versitygwTool = tool{name: "versitygw", env: EnvBinary, version: VersitygwVersion,
		install: "run `make test` or `make tools`, which install it, or `" + InstallCommand + "`"}
	minioTool = tool{name: "minio", env: EnvMinIO, version: MinIOVersion,
		install: "run `make tools` (builds it once per machine into the tools cache; about 7 minutes the first time) " +
			"or `go install github.com/minio/minio@" + MinIOVersion + "`"}
	mcTool = tool{name: "mc", env: EnvMC, version: MCVersion,
		install: "run `make tools` (builds it once per machine into the tools cache) " +
			"or `go install github.com/minio/mc@" + MCVersion + "`"}
	motoTool = tool{name: "moto_server", env: EnvMoto,
		install: "moto 5.2.1 comes with this machine image (Python 3.11 under pyenv) and cannot be installed " +
			"from a registry here; elsewhere `pip install 'moto[server]==5.2.1'`, or set " + EnvMoto}
)

// find returns $env if set; else <module root>/.tools/bin/<name>; else the
// pinned build in the tools cache; else <name> on PATH; else, for moto, the
// pyenv Python 3.11's copy. The error says what is missing and how to get it.
func (tl tool) find() (string, error) {
	if b := os.Getenv(tl.env); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("s3test: %s=%q: %w", tl.env, b, err)
		}
		return b, nil
	}
	var candidates []string
	if root, err := moduleRoot(); err == nil {
		candidates = append(candidates, filepath.Join(root, ".tools", "bin", tl.name))
	}
	if tl.version != "" {
		if cache, err := ToolsCache(); err == nil {
			candidates = append(candidates, filepath.Join(cache, tl.name+"@"+tl.version, tl.name))
		}
	}
	for _, c := range candidates {
		if isExecutable(c) {
			return c, nil
		}
	}
	if b, err := exec.LookPath(tl.name); err == nil {
		return b, nil
	}
	if tl == motoTool {
		if b := pyenvMoto(); b != "" {
			return b, nil
		}
	}
	return "", fmt.Errorf("s3test: %s not found (looked at $%s, <module root>/.tools/bin, the tools cache and PATH): %s",
		tl.name, tl.env, tl.install)
}

// ToolsCache is the folder the Makefile builds pinned tools into, each in
// <name>@<version>/: $BACKFILL_TOOLS_CACHE, else <user cache dir>/backfill/tools
// ($XDG_CACHE_HOME or ~/.cache on Linux).
func ToolsCache() (string, error) {
	if d := os.Getenv(EnvToolsCache); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("s3test: tools cache: %w", err)
	}
	return filepath.Join(d, "backfill", "tools"), nil
}

// pyenvMoto finds moto_server in pyenv's Python 3.11 when the shims are not
// on PATH.
func pyenvMoto() string {
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		root = filepath.Join(home, ".pyenv")
	}
	matches, _ := filepath.Glob(filepath.Join(root, "versions", "3.11*", "bin", "moto_server"))
	for _, m := range matches {
		if isExecutable(m) {
			return m
		}
	}
	return ""
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode().Perm()&0o111 != 0
}
