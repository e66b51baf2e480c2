package cost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// DefaultSource says where the default prices come from.
const DefaultSource = "S3-FACTS.md section 9: copies of https://aws.amazon.com/s3/pricing/ of unknown date, us-east-1; " +
	"check them there and override them with --price-file"

// Prices are the prices an estimate uses, in US dollars. A price file is
// this struct as JSON; the fields it names replace the defaults (map
// entries one by one), the others stay.
type Prices struct {
	// Source says where the prices come from (shown with every estimate).
	Source string `json:"source"`
	// BatchJob is the fee per Batch Operations job.
	BatchJob float64 `json:"batch_job"`
	// BatchPerMillionObjects is the fee per million objects a job processes.
	BatchPerMillionObjects float64 `json:"batch_per_million_objects"`
	// GeneratePerMillionObjects is the manifest generator's fee per million
	// objects in the source bucket.
	GeneratePerMillionObjects float64 `json:"generate_per_million_objects"`
	// PutPer1000 is the PUT/COPY/POST/LIST price per 1,000 requests by
	// storage class (of the object written; LIST at STANDARD's).
	PutPer1000 map[string]float64 `json:"put_per_1000"`
	// GetPer1000 is the GET/HEAD price per 1,000 requests by storage class.
	GetPer1000 map[string]float64 `json:"get_per_1000"`
	// RetrievalPerGB is the retrieval fee per GB read, by source storage class.
	RetrievalPerGB map[string]float64 `json:"retrieval_per_gb"`
	// InterRegionPerGB is the transfer price per GB between two regions
	// (out of us-east-1 to Europe, US West, Canada, most of Asia Pacific).
	InterRegionPerGB float64 `json:"inter_region_per_gb"`
	// NearRegionPerGB is the price from us-east-1 to us-east-2.
	NearRegionPerGB float64 `json:"near_region_per_gb"`
}

// Default returns the prices of S3-FACTS.md section 9.
func Default() Prices {
	return Prices{
		Source:                    DefaultSource,
		BatchJob:                  0.25,
		BatchPerMillionObjects:    1.00,
		GeneratePerMillionObjects: 0.015,
		PutPer1000: map[string]float64{
			"STANDARD": 0.005, "INTELLIGENT_TIERING": 0.005, "STANDARD_IA": 0.01, "ONEZONE_IA": 0.01,
			"GLACIER_IR": 0.02, "GLACIER": 0.03, "DEEP_ARCHIVE": 0.05,
		},
		GetPer1000:       map[string]float64{"STANDARD": 0.0004, "STANDARD_IA": 0.001, "ONEZONE_IA": 0.001, "GLACIER_IR": 0.01},
		RetrievalPerGB:   map[string]float64{"STANDARD_IA": 0.01, "ONEZONE_IA": 0.01, "GLACIER_IR": 0.03},
		InterRegionPerGB: 0.02,
		NearRegionPerGB:  0.01,
	}
}

// Load returns the default prices with a price file's fields over them
// ("" = the defaults). An unknown field, a negative price or a file that
// is not JSON is an error naming the file.
func Load(path string) (Prices, error) {
	p := Default()
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("--price-file: %w", err)
	}
	p.Source = ""
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("--price-file %s: %w (the fields are those of `backfill plan --json`'s prices)", path, err)
	}
	if err := p.check(); err != nil {
		return p, fmt.Errorf("--price-file %s: %w", path, err)
	}
	if p.Source == "" {
		p.Source = "the price file " + path + " (over the defaults of " + DefaultSource + ")"
	}
	return p, nil
}

func (p Prices) check() error {
	var bad []string
	for name, v := range map[string]float64{"batch_job": p.BatchJob, "batch_per_million_objects": p.BatchPerMillionObjects,
		"generate_per_million_objects": p.GeneratePerMillionObjects, "inter_region_per_gb": p.InterRegionPerGB, "near_region_per_gb": p.NearRegionPerGB} {
		if v < 0 {
			bad = append(bad, name)
		}
	}
	for name, m := range map[string]map[string]float64{"put_per_1000": p.PutPer1000, "get_per_1000": p.GetPer1000, "retrieval_per_gb": p.RetrievalPerGB} {
		for class, v := range m {
			if v < 0 {
				bad = append(bad, name+"."+class)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("negative prices: %s", strings.Join(bad, ", "))
	}
	return nil
}

// put is the PUT-class price per request of an object written in class
// ("" = STANDARD; an unknown class takes STANDARD's).
func (p Prices) put(class string) float64 { return per(p.PutPer1000, class) / 1000 }

// get is the GET-class price per request of an object read in class.
func (p Prices) get(class string) float64 { return per(p.GetPer1000, class) / 1000 }

func per(m map[string]float64, class string) float64 {
	if class == "" {
		class = "STANDARD"
	}
	if v, ok := m[class]; ok {
		return v
	}
	return m["STANDARD"]
}

// Transfer is the price per GB from one region to another: free within a
// region, the near rate from us-east-1 to us-east-2, else the
// inter-region rate. known is false when a region is not known.
func (p Prices) Transfer(from, to string) (perGB float64, known bool) {
	switch {
	case from == "" || to == "":
		return p.InterRegionPerGB, false
	case from == to:
		return 0, true
	case from == "us-east-1" && to == "us-east-2":
		return p.NearRegionPerGB, true
	}
	return p.InterRegionPerGB, true
}
