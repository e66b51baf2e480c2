package engine

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Filter decides by relative key which objects a run considers. A key passes
// when it matches at least one include pattern (or none are given) and no
// exclude pattern.
//
// Patterns are shell globs over the whole relative key, as aws s3 sync reads
// them: "*" matches any run of characters including "/", "?" one character,
// "[abc]" and "[!a-z]" one character of (or not of) a set; "\" escapes the
// next character. A pattern is UTF-8 and is read by character, not byte. In
// a set the first "]" closes it, "-" between two characters is a range,
// and "\" is itself; an empty set ("[]", "[!]") is an error.
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
	if !utf8.ValidString(p) {
		return nil, errors.New("not valid UTF-8")
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	// Runes, not bytes: a character outside ASCII is one character of the
	// key, written to the regexp whole.
	for i := 0; i < len(p); {
		c, w := utf8.DecodeRuneInString(p[i:])
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+w >= len(p) {
				return nil, fmt.Errorf("trailing backslash")
			}
			e, ew := utf8.DecodeRuneInString(p[i+w:])
			b.WriteString(regexp.QuoteMeta(string(e)))
			w += ew
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at offset %d", i)
			}
			if end == 0 {
				return nil, fmt.Errorf("empty [] at offset %d", i)
			}
			class := p[i+1 : i+1+end]
			w = end + 2
			b.WriteByte('[')
			if class[0] == '!' || class[0] == '^' {
				b.WriteByte('^')
				class = class[1:]
			}
			if class == "" {
				return nil, fmt.Errorf("empty [!] at offset %d", i)
			}
			rs := []rune(class)
			for j, r := range rs {
				if r == '-' && j > 0 && j < len(rs)-1 {
					b.WriteByte('-')
					continue
				}
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
		i += w
	}
	b.WriteString(`\z`)
	return regexp.Compile(b.String())
}
