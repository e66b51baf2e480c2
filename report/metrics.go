package report

import (
	"errors"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// lastSuccessMetric is the gauge an alert on "no successful verify for 36
// hours" reads; a failed run keeps the last success's value.
const lastSuccessMetric = "backfill_verify_last_success_timestamp_seconds"

// WriteVerifyMetrics writes a verify's metrics in the Prometheus text
// format for node_exporter's textfile collector, atomically (a temporary
// file renamed over path, by the client library). A run that did not
// finish (r.Error set) still writes its own metrics, but keeps the last
// successful run's timestamp from the file it replaces.
func WriteVerifyMetrics(path string, r *VerifyReport) error {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		reg.MustRegister(g)
		return g
	}
	objects := gauge("backfill_verify_objects", "Objects of each class the last verify found.", "class")
	bytes := gauge("backfill_verify_bytes", "Bytes of each class the last verify found.", "class")
	for class, c := range r.Classes {
		objects.WithLabelValues(string(class)).Set(float64(c.Count))
		bytes.WithLabelValues(string(class)).Set(float64(c.Bytes))
	}
	gauge("backfill_verify_undecided_read_objects", "Pairs of one size with other single-part ETags the last verify read with a HEAD per side (--head-undecided).").WithLabelValues().Set(float64(r.UndecidedRead))
	gauge("backfill_verify_undecided_left_objects", "Pairs of one size with other single-part ETags the last verify left unverified, not read (--head-undecided spent, or 0).").WithLabelValues().Set(float64(r.UndecidedLeft))
	gauge("backfill_verify_checked_objects", "Objects the last verify compared.").WithLabelValues().Set(float64(r.Checked))
	gauge("backfill_verify_differences", "Objects that leave the replica not whole after the last verify.").WithLabelValues().Set(float64(r.Differences))
	whole := 0.0
	if r.Whole && r.Error == "" {
		whole = 1
	}
	gauge("backfill_verify_whole", "1 when the last verify found the replica whole.").WithLabelValues().Set(whole)
	fixed := 0.0
	if r.Fix != nil {
		fixed = float64(r.Fix.Fixed)
	}
	gauge("backfill_verify_fixed_objects", "Objects the last verify's --fix repaired.").WithLabelValues().Set(fixed)
	gauge("backfill_verify_duration_seconds", "How long the last verify took.").WithLabelValues().Set(r.Finished.Sub(r.Started).Seconds())
	gauge("backfill_verify_last_run_timestamp_seconds", "When the last verify ended.").WithLabelValues().Set(float64(r.Finished.Unix()))
	gauge("backfill_verify_exit_code", "The last verify's exit status.").WithLabelValues().Set(float64(r.ExitCode))
	last := float64(r.Finished.Unix())
	if r.Error != "" {
		prev, err := previousValue(path, lastSuccessMetric)
		if err != nil {
			return err
		}
		last = prev
	}
	if last > 0 {
		gauge(lastSuccessMetric, "When a verify last ran to its end (whole or not).").WithLabelValues().Set(last)
	}
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("--metrics-file: %w", err)
	}
	return os.Chmod(path, 0o644) // node_exporter reads it; it holds no secret
}

// previousValue reads a metric's value from an earlier metrics file; 0
// when the file or the metric is not there.
func previousValue(path, name string) (float64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("--metrics-file: %w", err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(f)
	if err != nil {
		return 0, nil // a damaged file: start again
	}
	mf := families[name]
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0, nil
	}
	return gaugeValue(mf.GetMetric()[0]), nil
}

func gaugeValue(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return 0
}
