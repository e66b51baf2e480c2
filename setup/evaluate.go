package setup

import (
	"fmt"
	"slices"
	"strings"
)

// permission is one action on one resource (a resource may end in "*").
type permission struct{ Action, Resource string }

func (p permission) String() string { return p.Action + " on " + p.Resource }

// required lists every action-resource pair of the Allow statements of d.
func required(d policyDoc) []permission {
	var ps []permission
	for _, st := range d.Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, a := range st.Action {
			for _, r := range st.Resource {
				ps = append(ps, permission{a, r})
			}
		}
	}
	return ps
}

// evaluation is what a reading of policies says of the permissions
// wanted: missing are surely not granted (no Allow covers them, or a Deny
// without conditions does); unresolved are granted as far as the reading
// goes, but a statement it cannot settle may take them away (a Deny with
// conditions, a NotResource that excludes part of the resource).
type evaluation struct {
	missing    []permission
	unresolved []string
}

// evaluate reads docs for each permission of want. An Allow with
// conditions counts as allowing (conditions are not evaluated; the
// caller says so); Action and NotAction, Resource and NotResource are
// both read. Permission boundaries and organization policies are not.
func evaluate(docs []policyDoc, want []permission) evaluation {
	var ev evaluation
	for _, p := range want {
		allowed, partly, denied := false, false, false
		var doubts, partial []string
		for _, d := range docs {
			for _, st := range d.Statement {
				switch cover := covers(st, p); {
				case cover == none:
				case st.Effect == "Allow" && cover == whole:
					allowed = true
				case st.Effect == "Allow":
					partly = true
					partial = append(partial, fmt.Sprintf("an Allow%s with NotResource that may exclude part of it", sidOf(st)))
				case st.Effect == "Deny" && len(st.Condition) > 0:
					doubts = append(doubts, fmt.Sprintf("a Deny%s with conditions (%s), not evaluated", sidOf(st), conditionKeys(st)))
				case st.Effect == "Deny" && cover == whole:
					denied = true
				case st.Effect == "Deny":
					doubts = append(doubts, fmt.Sprintf("a Deny%s with NotResource that may cover part of it", sidOf(st)))
				}
			}
		}
		if !allowed {
			doubts = append(partial, doubts...)
		}
		switch {
		case denied || !allowed && !partly:
			ev.missing = append(ev.missing, p)
		case len(doubts) > 0:
			ev.unresolved = append(ev.unresolved, p.String()+": "+strings.Join(doubts, "; "))
		}
	}
	return ev
}

// missing returns the permissions of want that docs surely do not grant.
func missing(docs []policyDoc, want []permission) []permission { return evaluate(docs, want).missing }

// coverage is how much of a wanted permission a statement applies to.
type coverage int

const (
	none    coverage = iota
	partial          // some of the resource's objects, perhaps
	whole
)

// covers says whether statement st applies to p: its action (Action, or
// not in NotAction) and its resource (Resource, or outside NotResource).
func covers(st statement, p permission) coverage {
	switch {
	case len(st.Action) > 0 && !matchesAny(st.Action, p.Action):
		return none
	case len(st.Action) == 0 && (len(st.NotAction) == 0 || matchesAny(st.NotAction, p.Action)):
		return none
	case len(st.Resource) > 0:
		if matchesAny(st.Resource, p.Resource) {
			return whole
		}
		return none
	case len(st.NotResource) == 0:
		return none
	}
	cover := whole
	for _, n := range st.NotResource {
		switch {
		case matchesAny([]string{n}, p.Resource):
			return none // wholly excluded
		case mayOverlap(n, p.Resource):
			cover = partial
		}
	}
	return cover
}

// mayOverlap reports whether some resource could match both patterns:
// their literal parts (before the first wildcard) do not diverge.
func mayOverlap(a, b string) bool {
	la, lb := literalPrefix(a), literalPrefix(b)
	return strings.HasPrefix(la, lb) || strings.HasPrefix(lb, la)
}

func literalPrefix(p string) string {
	if i := strings.IndexAny(p, "*?"); i >= 0 {
		return p[:i]
	}
	return p
}

func sidOf(st statement) string {
	if st.Sid == "" {
		return ""
	}
	return " (" + st.Sid + ")"
}

func conditionKeys(st statement) string {
	var keys []string
	for _, kv := range st.Condition {
		for k := range kv {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
