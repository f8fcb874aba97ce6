package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/segstack/segstack/kernels"
	// Registers the "cuda" device family; without the cuda build tag it
	// reports "not compiled in".
	_ "github.com/segstack/segstack/kernels/cuda"
)

// familyReport is one accelerator family in `segstack devices --json`.
type familyReport struct {
	Kind      string               `json:"kind"`
	Available bool                 `json:"available"`
	Devices   []kernels.DeviceInfo `json:"devices"`
	Error     string               `json:"error,omitempty"`
}

// devicesReport is the output of `segstack devices --json`.
type devicesReport struct {
	// Devices are those --device accepts, the CPU first.
	Devices []kernels.DeviceInfo `json:"devices"`
	// Families are the accelerator families built into the binary.
	Families []familyReport `json:"families"`
	// Auto is the backend --device auto picks.
	Auto string `json:"auto"`
}

func gatherDevices() (devicesReport, error) {
	r := devicesReport{Devices: kernels.Devices(), Families: []familyReport{}}
	for _, st := range kernels.Drivers() {
		f := familyReport{Kind: st.Kind, Available: st.Err == nil, Devices: st.Devices}
		if f.Devices == nil {
			f.Devices = []kernels.DeviceInfo{}
		}
		if st.Err != nil {
			f.Error = st.Err.Error()
		}
		r.Families = append(r.Families, f)
	}
	b, err := kernels.Select("auto")
	if err != nil {
		return r, err
	}
	r.Auto = b.Name()
	return r, b.Close()
}

func humanBytes(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	default:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
}

func writeDevices(w io.Writer, r devicesReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tKIND\tMODEL\tCORES\tMEMORY\tDETAILS")
	for _, d := range r.Devices {
		var details []string
		if d.SIMD != "" {
			details = append(details, "simd="+d.SIMD)
		}
		if d.Compute != "" {
			details = append(details, "compute="+d.Compute)
		}
		if d.Driver != "" {
			details = append(details, "driver="+d.Driver)
		}
		if d.Note != "" {
			details = append(details, d.Note)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", d.Name, d.Kind, d.Model, d.Cores, humanBytes(d.MemoryBytes), strings.Join(details, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range r.Families {
		switch {
		case f.Error != "":
			// The family's message starts with its name.
			fmt.Fprintln(w, f.Error)
		case len(f.Devices) == 0:
			fmt.Fprintf(w, "%s: no devices found\n", f.Kind)
		}
	}
	_, err := fmt.Fprintf(w, "--device auto uses: %s\n", r.Auto)
	return err
}

func init() {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List the devices this binary can run on (CPU and its SIMD path, CUDA GPUs)",
		Long: `List the devices this binary can use: the CPU (model, cores, SIMD code path)
and the devices of each accelerator family compiled in. A family that cannot
be used says why, e.g. "cuda: not compiled in (build with -tags cuda ...)".
The names in the DEVICE column are what --device accepts, besides "auto".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := gatherDevices()
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			return writeDevices(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	root.AddCommand(cmd)
}
