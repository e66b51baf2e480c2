package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/backfill-dev/backfill"

// TestLayers checks each package's imports (all of them, transitively)
// against what its layer may depend on.
func TestLayers(t *testing.T) {
	for pkg, banned := range map[string][]string{
		"checkpoint":       {"github.com/aws/", mod + "/engine", mod + "/inventory", mod + "/cmd/", mod + "/run", mod + "/report"},
		"inventory":        {mod + "/engine", mod + "/cmd/", mod + "/checkpoint", mod + "/run", mod + "/report"},
		"engine":           {mod + "/cmd/", mod + "/run", mod + "/report"},
		"report":           {mod + "/cmd/", mod + "/run", "github.com/urfave/cli"},
		"run":              {mod + "/cmd/", "github.com/urfave/cli"},
		"verify":           {mod + "/cmd/", mod + "/run", mod + "/report", mod + "/engine", mod + "/checkpoint"},
		"internal/s3err":   {mod + "/engine", mod + "/inventory", mod + "/run", mod + "/cmd/"},
		"internal/s3url":   {"github.com/aws/", mod + "/engine"},
		"internal/awsconf": {mod + "/engine", mod + "/cmd/", mod + "/run"},
		"batchops":         {mod + "/cmd/", "github.com/urfave/cli"},
		"batchops/cost":    {"github.com/aws/", mod + "/run", mod + "/engine", mod + "/inventory", mod + "/cmd/"},
		"setup":            {mod + "/cmd/", mod + "/run", mod + "/engine", mod + "/inventory", mod + "/checkpoint", mod + "/report", "github.com/urfave/cli"},
		"internal/extsort": {"github.com/aws/", mod + "/engine", mod + "/inventory", mod + "/checkpoint", mod + "/cmd/", mod + "/run"},
	} {
		out, err := exec.Command("go", "list", "-deps", mod+"/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range banned {
				if strings.HasPrefix(dep, b) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
