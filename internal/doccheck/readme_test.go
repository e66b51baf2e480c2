package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/backfill-dev/backfill/engine"
)

// root is the repository's root, from this package's folder.
const root = "../.."

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every markdown link, every *.md named, and every `path` under one of the
// repository's own folders points at something the repository has.
func TestREADMENamesOnlyWhatExists(t *testing.T) {
	for _, doc := range []string{"README.md", "BENCHMARKS.md"} {
		text := read(t, doc)
		var names []string
		for _, m := range regexp.MustCompile(`\]\(([^)#\s]+)`).FindAllStringSubmatch(text, -1) {
			if !strings.Contains(m[1], "://") && !strings.HasPrefix(m[1], "mailto:") {
				names = append(names, m[1])
			}
		}
		for _, m := range regexp.MustCompile(`(?:^|[\s(`+"`"+`])([\w./-]*[\w-]\.md)\b`).FindAllStringSubmatch(text, -1) {
			names = append(names, m[1])
		}
		for _, m := range regexp.MustCompile("`(\\.?/?[\\w.-]+(?:/[\\w.-]+)*/?)`").FindAllStringSubmatch(text, -1) {
			p := strings.TrimPrefix(m[1], "./")
			first, _, nested := strings.Cut(p, "/")
			if nested && ownFolder(first) {
				names = append(names, p)
			}
		}
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(root, n)); err != nil {
				t.Errorf("%s names %s, which the repository lacks", doc, n)
			}
		}
	}
}

// ownFolder reports a top-level folder of the repository's own (not a
// build output or a tool cache, which a fresh clone lacks).
func ownFolder(name string) bool {
	switch name {
	case "", ".", "..", ".git", ".tools", "bin", "tmp":
		return false
	}
	fi, err := os.Stat(filepath.Join(root, name))
	return err == nil && fi.IsDir()
}

func TestREADMEMakeTargetsExist(t *testing.T) {
	makefile := read(t, "Makefile")
	for _, m := range regexp.MustCompile("(?m)(?:^|`)make ([a-z][a-z-]*)").FindAllStringSubmatch(read(t, "README.md"), -1) {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `:`).MatchString(makefile) {
			t.Errorf("README gives `make %s`; the Makefile has no such target", m[1])
		}
	}
}

func TestREADMEGoVersionIsGoMods(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("no go directive in go.mod")
	}
	if !strings.Contains(read(t, "README.md"), "Go "+m[1]) {
		t.Errorf("README does not say Go %s, go.mod's version", m[1])
	}
}

// The README's filter example keeps the show's EXR frames and leaves out
// its tmp/ folders at any depth, as its prose says: keys are matched
// relative to the source prefix (shows/alpha/).
func TestREADMEFilterExampleDoesWhatItSays(t *testing.T) {
	text := read(t, "README.md")
	i := strings.Index(text, "backfill copy --from s3://studio-media/shows/alpha")
	if i < 0 {
		t.Fatal("the filter example is gone")
	}
	example := text[i:]
	example = example[:strings.Index(example, "```")]
	var include, exclude []string
	for _, m := range regexp.MustCompile(`--(include|exclude) '([^']*)'`).FindAllStringSubmatch(example, -1) {
		if m[1] == "include" {
			include = append(include, m[2])
		} else {
			exclude = append(exclude, m[2])
		}
	}
	f, err := engine.NewFilter(include, exclude)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]bool{
		"sh010/frames/sh010.1001.exr": true,
		"sh010_tmp/sh010.1001.exr":    true,
		"sh010/frames/sh010.1001.jpg": false,
		"tmp/sh010.1001.exr":          false,
		"sh010/tmp/sh010.1001.exr":    false,
		"sh010/comp/tmp/v2.exr":       false,
	} {
		if got := f.Match(rel); got != want {
			t.Errorf("include %q exclude %q: %s kept %v, want %v", include, exclude, rel, got, want)
		}
	}
}
