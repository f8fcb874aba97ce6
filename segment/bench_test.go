package segment

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
)

// BenchmarkRun is the whole pipeline on an in-memory nuclei stack, labels
// written to a file: Mpix/s counts input voxels.
func BenchmarkRun(b *testing.B) {
	s := stack.Shape{Z: 16, Y: 1024, X: 1024}
	vol := synth.Nuclei(s, 1)
	for _, mode := range []Mode{Mode2D, Mode3D} {
		for _, stats := range []bool{false, true} {
			b.Run(fmt.Sprintf("mode=%v/stats=%v/%v", mode, stats, s), func(b *testing.B) {
				dir := b.TempDir()
				opt := DefaultOptions()
				opt.Source = VolumeSource(vol)
				opt.Mode = mode
				opt.Output = filepath.Join(dir, "l.tif")
				if stats {
					opt.Stats = filepath.Join(dir, "s.csv")
				}
				opt.Force = true
				b.SetBytes(int64(s.Len() * 2))
				for b.Loop() {
					if _, err := Run(context.Background(), opt); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(s.Len())/1e6*float64(b.N)/b.Elapsed().Seconds(), "Mpix/s")
			})
		}
	}
}
