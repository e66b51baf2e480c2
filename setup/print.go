package setup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// PrintPlan writes a plan (or what apply did) as text.
func PrintPlan(w io.Writer, p *Plan) {
	fmt.Fprintf(w, "backfill setup %s: %s (%s) -> %s (%s)", p.Command, p.Primary, p.PrimaryRegion, p.Replica, p.ReplicaRegion)
	if p.Account != "" {
		fmt.Fprintf(w, ", account %s", p.Account)
	}
	fmt.Fprintln(w)
	for _, st := range p.Steps {
		printStep(w, st)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, planSummary(p))
}

func printStep(w io.Writer, st *Step) {
	fmt.Fprintf(w, "\n%d. %s: %s\n", st.Number, st.Name, strings.ToUpper(string(st.Verdict)))
	if st.Verdict == Skip {
		fmt.Fprintf(w, "     %s\n", st.Reason)
		return
	}
	fmt.Fprintf(w, "     now:     %s\n", st.Current)
	fmt.Fprintf(w, "     wanted:  %s\n", st.Desired)
	for _, c := range st.Changes {
		fmt.Fprintf(w, "     + %s\n", c)
	}
	if st.Reason != "" {
		fmt.Fprintf(w, "     why:     %s\n", st.Reason)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(w, "     note:    %s\n", n)
	}
	if st.Outcome != "" {
		fmt.Fprintf(w, "     outcome: %s\n", st.Outcome)
	}
	if st.Verdict == OK {
		return // the documents are in --json; they need nothing
	}
	for _, d := range st.Documents {
		fmt.Fprintf(w, "     %s:\n%s\n", d.Title, indentJSON(d.JSON, "       "))
	}
}

func indentJSON(raw json.RawMessage, prefix string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, prefix, "  "); err != nil {
		return prefix + string(raw)
	}
	return prefix + b.String()
}

func planSummary(p *Plan) string {
	counts := fmt.Sprintf("%d ok, %d to create, %d to change, %d blocked, %d manual, %d skipped",
		p.Count(OK), p.Count(Create), p.Count(Change), p.Count(Blocked), p.Count(Manual), p.Count(Skip))
	var blocked *Step
	for _, st := range p.Steps {
		if st.Verdict == Blocked && blocked == nil {
			blocked = st
		}
	}
	pending := p.Count(Create) + p.Count(Change)
	switch {
	case p.Command == "plan" && blocked != nil:
		return fmt.Sprintf("Plan: %s. Step %d is blocked: apply would change nothing until it is not.", counts, blocked.Number)
	case p.Command == "plan" && pending == 0:
		return fmt.Sprintf("Plan: %s. Nothing to change.", counts)
	case p.Command == "plan":
		return fmt.Sprintf("Plan: %s. Nothing was changed: `backfill setup apply` with the same flags makes these changes, in this order.", counts)
	case blocked != nil:
		return fmt.Sprintf("Apply: nothing was changed: step %d (%s) is blocked.", blocked.Number, blocked.Name)
	case p.Applied == 0 && pending == 0:
		return "Apply: nothing to change: every step was already as wanted; no request that changes anything was sent."
	}
	for _, st := range p.Steps {
		if strings.HasPrefix(st.Outcome, "failed") {
			return fmt.Sprintf("Apply: %d change(s) made, then step %d failed; the steps after it were not attempted.", p.Applied, st.Number)
		}
	}
	return fmt.Sprintf("Apply: %d change(s) made. `backfill setup check` with the same flags proves the setup.", p.Applied)
}

// PrintCheck writes what check found, the recommendation and the hand-off.
func PrintCheck(w io.Writer, r *Report) {
	fmt.Fprintf(w, "backfill setup check: %s (%s) -> %s (%s)\n\n", r.Primary, r.PrimaryRegion, r.Replica, r.ReplicaRegion)
	for _, l := range r.Lines {
		fmt.Fprintf(w, "%-4s  %-28s  %s\n", l.Status, l.Name, l.Reason)
	}
	if c := r.Canary; c != nil {
		gone := "deleted on both sides"
		if len(c.Cleanup) > 0 {
			gone = "see cleanup below"
		}
		fmt.Fprintf(w, "      canary objects: %s (%s)\n", c.Dir, gone)
		for _, f := range c.Failures {
			fmt.Fprintf(w, "      did not arrive: %s\n", f)
		}
		for _, p := range c.Cleanup {
			fmt.Fprintf(w, "      cleanup: %s\n", p)
		}
	}
	if rec := r.Recommendation; rec != nil {
		fmt.Fprintf(w, "\nMake new media available from the replica after %s\n  (%s).\n", rec.Delay, rec.Basis)
		fmt.Fprintf(w, "  --min-age for backfill copy and verify: %s (newer objects are live replication's)\n", rec.MinAge)
	}
	printHandoff(w, r.Handoff)
	pass, fail, skip := 0, 0, 0
	for _, l := range r.Lines {
		switch l.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	fmt.Fprintf(w, "\nCheck: %d pass, %d fail, %d not checked.\n", pass, fail, skip)
}

func printHandoff(w io.Writer, h Handoff) {
	fmt.Fprintf(w, "\nHand-off for the site's support:\n")
	fmt.Fprintf(w, "  replica bucket:  %s\n", h.ReplicaBucket)
	fmt.Fprintf(w, "  replica region:  %s\n", h.ReplicaRegion)
	proxy := h.ProxyURL
	if proxy == "" {
		proxy = "(not given: --proxy-url)"
	}
	fmt.Fprintf(w, "  S3 proxy URL:    %s\n", proxy)
	delay := h.Delay
	if delay == "" {
		delay = "(not measured: the canary did not pass)"
	} else {
		delay += " (measured by the canary; a measurement, not a guarantee)"
	}
	fmt.Fprintf(w, "  delay before new media are served from the replica: %s\n", delay)
	fmt.Fprintf(w, "Next:\n")
	for _, n := range h.Next {
		fmt.Fprintf(w, "  %s\n", n)
	}
}
