package setup

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// policyDiff says, statement by statement, how want differs from cur:
// the statements added and removed (matched by Sid, else by position),
// and in a statement both have, the actions and resources added and
// removed and whether its effect, principal or conditions change.
func policyDiff(cur, want policyDoc) []string {
	var out []string
	curBy, wantBy := bySid(cur), bySid(want)
	for _, id := range sidOrder(cur, want) {
		c, inCur := curBy[id]
		w, inWant := wantBy[id]
		switch {
		case !inCur:
			out = append(out, "add statement "+id+": "+describeStatement(w))
		case !inWant:
			out = append(out, "remove statement "+id+": "+describeStatement(c))
		default:
			if d := statementDiff(c, w); len(d) > 0 {
				out = append(out, "statement "+id+": "+strings.Join(d, "; "))
			}
		}
	}
	return out
}

// statementDiff lists how two statements of one Sid differ.
func statementDiff(c, w statement) []string {
	var d []string
	list := func(what string, a, b strList) {
		if add := without(b, a); len(add) > 0 {
			d = append(d, "add "+what+" "+strings.Join(add, ", "))
		}
		if rm := without(a, b); len(rm) > 0 {
			d = append(d, "remove "+what+" "+strings.Join(rm, ", "))
		}
	}
	if c.Effect != w.Effect {
		d = append(d, fmt.Sprintf("effect %s -> %s", c.Effect, w.Effect))
	}
	list("action", c.Action, w.Action)
	list("NotAction", c.NotAction, w.NotAction)
	list("resource", c.Resource, w.Resource)
	list("NotResource", c.NotResource, w.NotResource)
	if asJSON(c.Principal) != asJSON(w.Principal) {
		d = append(d, fmt.Sprintf("principal %s -> %s", asJSON(c.Principal), asJSON(w.Principal)))
	}
	if asJSON(c.Condition) != asJSON(w.Condition) {
		d = append(d, fmt.Sprintf("condition %s -> %s", asJSON(c.Condition), asJSON(w.Condition)))
	}
	return d
}

func describeStatement(st statement) string {
	s := st.Effect + " " + strings.Join(st.Action, ", ")
	if len(st.NotAction) > 0 {
		s += " all but " + strings.Join(st.NotAction, ", ")
	}
	if len(st.Resource) > 0 {
		s += " on " + strings.Join(st.Resource, ", ")
	}
	if len(st.NotResource) > 0 {
		s += " on all but " + strings.Join(st.NotResource, ", ")
	}
	if len(st.Condition) > 0 {
		s += " if " + asJSON(st.Condition)
	}
	return s
}

// bySid keys a document's statements by Sid, or "#N" (1-based position)
// when a statement has none.
func bySid(d policyDoc) map[string]statement {
	m := map[string]statement{}
	for i, st := range d.Statement {
		m[sidKey(st, i)] = st
	}
	return m
}

func sidKey(st statement, i int) string {
	if st.Sid != "" {
		return st.Sid
	}
	return fmt.Sprintf("#%d", i+1)
}

// sidOrder is the statements of cur, then those only in want, in order.
func sidOrder(cur, want policyDoc) []string {
	var ids []string
	for _, d := range []policyDoc{cur, want} {
		for i, st := range d.Statement {
			if id := sidKey(st, i); !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// without is a's items that b lacks.
func without(a, b strList) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// asJSON is v in JSON with sorted keys ("" for nothing).
func asJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" || string(b) == "{}" {
		return ""
	}
	return string(b)
}
