package engine

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// globTok is one element of a glob as Filter documents them, for refMatch.
type globTok struct {
	kind   byte // '*', '?', 'l' (literal), '['
	r      rune
	neg    bool
	ranges [][2]rune
}

// refGlob parses a glob by Filter's documented rules, independently of
// compileGlob: "*", "?", "[set]" and "[!set]" (or "[^set]") where the
// first "]" closes the set and "a-z" inside it is a range, "\" escaping
// the next character; a pattern must be UTF-8.
func refGlob(p string) ([]globTok, error) {
	if !utf8.ValidString(p) {
		return nil, errors.New("not UTF-8")
	}
	var toks []globTok
	for i := 0; i < len(p); {
		r, w := utf8.DecodeRuneInString(p[i:])
		switch r {
		case '*', '?':
			toks = append(toks, globTok{kind: byte(r)})
		case '\\':
			if i+w >= len(p) {
				return nil, errors.New("trailing backslash")
			}
			e, ew := utf8.DecodeRuneInString(p[i+w:])
			toks = append(toks, globTok{kind: 'l', r: e})
			w += ew
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end <= 0 {
				return nil, errors.New("unclosed or empty set")
			}
			set := p[i+1 : i+1+end]
			w = end + 2
			tok := globTok{kind: '['}
			if set[0] == '!' || set[0] == '^' {
				tok.neg, set = true, set[1:]
			}
			rs := []rune(set)
			if len(rs) == 0 {
				return nil, errors.New("empty set")
			}
			for k := 0; k < len(rs); {
				if k+2 < len(rs) && rs[k+1] == '-' {
					if rs[k] > rs[k+2] {
						return nil, errors.New("reversed range")
					}
					tok.ranges = append(tok.ranges, [2]rune{rs[k], rs[k+2]})
					k += 3
					continue
				}
				tok.ranges = append(tok.ranges, [2]rune{rs[k], rs[k]})
				k++
			}
			toks = append(toks, tok)
		default:
			toks = append(toks, globTok{kind: 'l', r: r})
		}
		i += w
	}
	return toks, nil
}

// refMatch matches key (read rune by rune, a byte that is not UTF-8 being
// one U+FFFD, as package regexp reads it) against toks, by dynamic
// programming over (token, position).
func refMatch(toks []globTok, key string) bool {
	var rs []rune
	for i := 0; i < len(key); {
		r, w := utf8.DecodeRuneInString(key[i:])
		rs = append(rs, r)
		i += w
	}
	// ok[j]: toks[:t] match rs[:j].
	ok := make([]bool, len(rs)+1)
	ok[0] = true
	for _, tok := range toks {
		next := make([]bool, len(rs)+1)
		for j := range ok {
			if !ok[j] {
				continue
			}
			if tok.kind == '*' {
				for k := j; k <= len(rs); k++ {
					next[k] = true
				}
				break
			}
			if j == len(rs) {
				continue
			}
			c := rs[j]
			switch tok.kind {
			case '?':
				next[j+1] = true
			case 'l':
				next[j+1] = next[j+1] || c == tok.r
			case '[':
				in := false
				for _, rg := range tok.ranges {
					in = in || rg[0] <= c && c <= rg[1]
				}
				next[j+1] = next[j+1] || in != tok.neg
			}
		}
		ok = next
	}
	return ok[len(rs)]
}

// FuzzFilter: a glob compiles exactly when it is well formed by Filter's
// documented rules, and then matches exactly the keys a direct reading of
// those rules matches (refMatch); as an exclude it passes exactly the keys
// it fails as an include. A glob without metacharacters matches the key
// equal to it, and any key matches itself with every character escaped.
func FuzzFilter(f *testing.F) {
	for _, s := range [][2]string{{"*.exr", "shot1/frame.0001.exr"}, {"frame.000?.exr", "frame.0007.exr"}, {"[ab]*", "b/x"},
		{"[!ab]*", "b/x"}, {"[0-9]*", "7x"}, {`a\*b`, "a*b"}, {"(x)+", "(x)+"}, {"*/tmp/*", "a/tmp/b"}, {"[abc", "a"},
		{`x\`, "x"}, {"[]", ""}, {"[!]", "a"}, {"[a-b-c]", "-"}, {"[z-a]", "q"}, {"ünï*", "ünï/cödé"}, {"[é]", "é"}, {"?", "€"},
		{"a\nb", "a\nb"}, {"*", "\xff"}, {"[^-]", "-"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, key string) {
		toks, refErr := refGlob(p)
		in, errIn := NewFilter([]string{p}, nil)
		ex, errEx := NewFilter(nil, []string{p})
		if (errIn == nil) != (errEx == nil) || (errIn == nil) != (refErr == nil) {
			t.Fatalf("glob %q: as include %v, as exclude %v, by the documented rules %v", p, errIn, errEx, refErr)
		}
		if errIn != nil {
			return
		}
		got := in.Match(key)
		if want := refMatch(toks, key); got != want {
			t.Fatalf("glob %q: Match(%q) = %v, want %v", p, key, got, want)
		}
		if ex.Match(key) == got {
			t.Fatalf("glob %q: Match(%q) = %v both as include and as exclude", p, key, got)
		}
		if !strings.ContainsAny(p, `*?[\`) && !in.Match(p) {
			t.Fatalf("glob %q has no metacharacters but does not match itself", p)
		}
		if key == "" || !utf8.ValidString(key) {
			return
		}
		var esc strings.Builder
		for _, r := range key {
			esc.WriteByte('\\')
			esc.WriteRune(r)
		}
		lit, err := NewFilter([]string{esc.String()}, nil)
		if err != nil || !lit.Match(key) || lit.Match(key+"x") {
			t.Fatalf("glob %q (key %q escaped): %v; must match the key and only it", esc.String(), key, err)
		}
	})
}
