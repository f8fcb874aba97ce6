//go:build !unix

package zarr

import "time"

// cpuTime is not measured here; benchmarks then report no CPU throughput.
func cpuTime() time.Duration { return 0 }
