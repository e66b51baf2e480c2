package cost

import (
	"fmt"
	"io"
	"math"
	"time"
)

// recommend picks one option, with its reason in one line:
//
//	nothing to copy                      -> nothing
//	the local copy ends within LocalLimit -> local copy (no fees, no job)
//	a replication rule covers the source  -> Batch Replication (keeps version ids)
//	otherwise                             -> Batch Operations copy
//
// Objects over 5 GiB are copied locally whichever is chosen.
func recommend(w Workload, local, batch, repl Option) Recommendation {
	if w.Objects == 0 {
		return Recommendation{Choice: "nothing", Reason: "nothing to copy"}
	}
	large := ""
	if w.Large > 0 {
		large = fmt.Sprintf("; %s over 5 GiB %s copied locally either way", count(w.Large, "object"), isAre(w.Large))
	}
	if local.Seconds <= LocalLimit.Seconds() {
		return Recommendation{Choice: local.Name, Reason: fmt.Sprintf("%s: %s in %s on this machine, no Batch Operations fees (%s) and no job to watch",
			local.Name, count(w.Objects, "object"), About(local.Seconds), USD(batch.Fees))}
	}
	if w.Replication == "covers" {
		return Recommendation{Choice: repl.Name, Reason: fmt.Sprintf("%s: %s, keeps version ids and sets REPLICA; a local copy would take %s%s",
			repl.Name, Short(w.Objects-w.Large, "object"), About(local.Seconds), large)}
	}
	why := "no replication configuration covers the source"
	if w.Replication == "" {
		why = "a replication configuration covering the source was not found (" + w.ReplicationNote + ")"
	}
	return Recommendation{Choice: batch.Name, Reason: fmt.Sprintf("%s: %s; a local copy would take %s, the job costs %s in fees; %s, so not Batch Replication%s",
		batch.Name, Short(w.Objects-w.Large, "object"), About(local.Seconds), USD(batch.Fees), why, large)}
}

func isAre(n int64) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func count(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Short writes a large count the way the recommendation does: 180M objects.
func Short(n int64, word string) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fG %ss", float64(n)/1e9, word)
	case n >= 10e6:
		return fmt.Sprintf("%.0fM %ss", float64(n)/1e6, word)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM %ss", float64(n)/1e6, word)
	}
	return count(n, word)
}

// USD writes an amount of dollars.
func USD(v float64) string {
	if v != 0 && math.Abs(v) < 0.01 {
		return fmt.Sprintf("$%.4f", v)
	}
	return fmt.Sprintf("$%.2f", v)
}

// About writes seconds as "about 3h20m", or "under a second".
func About(s float64) string {
	if s < 1 {
		return "under a second"
	}
	return "about " + Human(s)
}

// Human writes seconds as a rounded duration.
func Human(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Second:
		return d.Round(time.Second).String()
	}
	return "under a second"
}

// Print writes the comparison as a plan's text: the prices used and
// where they come from, each option's cost and time, the recommendation.
func (c Comparison) Print(w io.Writer) {
	fmt.Fprintf(w, "  cost and time of the three ways (prices: %s):\n", c.Prices.Source)
	for _, o := range c.Options {
		fmt.Fprintf(w, "    %-22s %10s  (requests %s, Batch Operations fees %s, transfer %s, retrieval %s)\n",
			o.Name, USD(o.Total), USD(o.Requests), USD(o.Fees), USD(o.Transfer), USD(o.Retrieval))
		hours := ""
		if o.MachineHours > 0 {
			hours = fmt.Sprintf("; %.2f machine-hours here", o.MachineHours)
		}
		fmt.Fprintf(w, "    %-22s time: %s%s\n", "", o.Time, hours)
		if o.Unavailable != "" {
			fmt.Fprintf(w, "    %-22s not possible: %s\n", "", o.Unavailable)
		}
	}
	fmt.Fprintf(w, "    local rate: %s\n", c.RateBasis)
	for _, n := range c.Notes {
		fmt.Fprintf(w, "    note: %s\n", n)
	}
	fmt.Fprintf(w, "  recommendation: %s\n", c.Recommendation.Reason)
}
