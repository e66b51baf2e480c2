package engine

import (
	"fmt"
	"regexp"
	"strings"
)

// Filter decides by relative key which objects a run considers. A key passes
// when it matches at least one include pattern (or none are given) and no
// exclude pattern.
//
// Patterns are shell globs over the whole relative key, as aws s3 sync reads
// them: "*" matches any run of characters including "/", "?" one character,
// "[abc]" and "[!a-z]" one character of (or not of) a set; "\" escapes the
// next character.
type Filter struct {
	include, exclude []*regexp.Regexp
}

// NewFilter compiles include and exclude patterns.
func NewFilter(include, exclude []string) (*Filter, error) {
	f := &Filter{}
	for _, p := range include {
		re, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("--include %q: %w", p, err)
		}
		f.include = append(f.include, re)
	}
	for _, p := range exclude {
		re, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("--exclude %q: %w", p, err)
		}
		f.exclude = append(f.exclude, re)
	}
	return f, nil
}

// Match reports whether rel passes the filter. A nil Filter passes everything.
func (f *Filter) Match(rel string) bool {
	if f == nil {
		return true
	}
	if len(f.include) > 0 {
		in := false
		for _, re := range f.include {
			if re.MatchString(rel) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	for _, re := range f.exclude {
		if re.MatchString(rel) {
			return false
		}
	}
	return true
}

func compileGlob(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 >= len(p) {
				return nil, fmt.Errorf("trailing backslash")
			}
			i++
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at offset %d", i)
			}
			class := p[i+1 : i+1+end]
			if end == 0 {
				return nil, fmt.Errorf("empty [] at offset %d", i)
			}
			i += end + 1
			b.WriteByte('[')
			if class[0] == '!' || class[0] == '^' {
				b.WriteByte('^')
				class = class[1:]
			}
			for j := 0; j < len(class); j++ {
				if class[j] == '-' && j > 0 && j < len(class)-1 {
					b.WriteByte('-')
					continue
				}
				b.WriteString(regexp.QuoteMeta(class[j : j+1]))
			}
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	return regexp.Compile(b.String())
}
