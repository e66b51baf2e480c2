package main

import (
	"runtime/debug"
	"strings"
)

// version is what --version prints: the module version the binary was
// built from ("(devel)" for a build from a checkout without version
// control stamping), and the VCS revision when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return versionOf(info)
}

func versionOf(info *debug.BuildInfo) string {
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	switch {
	case rev == "":
		return v
	case strings.Contains(v, shortRev(rev)): // a pseudo-version names it already
		return v
	case modified == "true":
		return v + " (revision " + shortRev(rev) + ", modified)"
	}
	return v + " (revision " + shortRev(rev) + ")"
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
