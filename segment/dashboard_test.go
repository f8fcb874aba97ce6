package segment

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/segstack/segstack/sched/dashboard"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/stretchr/testify/require"
)

// While a run lasts, its dashboard shows the whole of the first pass as
// planned (as many tasks as the pass ends up with) and one gauge per stage,
// merge only in 3-D, with the stage seconds of the planes finished so far.
func TestDashboardStages(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 8, Y: 48, X: 40}, 2)
	for _, tc := range []struct {
		mode   Mode
		kind   string
		gauges []string
	}{
		{Mode2D, "plane", []string{"read", "gaussian", "threshold", "label", "write"}},
		{Mode3D, "smooth", []string{"read", "gaussian", "threshold", "label", "merge", "write"}},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			opt := DefaultOptions()
			opt.Source = VolumeSource(vol)
			opt.Mode = tc.mode
			opt.Chunks = stack.Shape{Z: 2}
			opt.Workers = 2
			opt.Dashboard = "127.0.0.1:0"
			var addr string
			opt.OnDashboard = func(a string) { addr = a }
			var st, last dashboard.Status
			var fetchErr error
			fetch := func(into *dashboard.Status) {
				resp, err := http.Get("http://" + addr + "/api/status")
				if err != nil {
					fetchErr = err
					return
				}
				defer resp.Body.Close()
				fetchErr = json.NewDecoder(resp.Body).Decode(into)
			}
			opt.Progress = func(done, total int) {
				switch done {
				case 2:
					fetch(&st)
				case total:
					time.Sleep(150 * time.Millisecond) // past the status cache
					fetch(&last)
				}
			}
			rep, err := Run(context.Background(), opt)
			require.NoError(t, err)
			require.NoError(t, fetchErr)

			kindOf := func(s dashboard.Status) dashboard.KindStatus {
				for _, k := range s.Kinds {
					if k.Kind == tc.kind {
						return k
					}
				}
				t.Fatalf("no %s tasks in %+v", tc.kind, s.Kinds)
				return dashboard.KindStatus{}
			}
			early, end := kindOf(st), kindOf(last)
			if tc.mode == Mode2D {
				require.Equal(t, vol.Shape.Z, end.Submitted)
			}
			require.Equal(t, end.Submitted, early.Planned+early.Submitted, "every task of the pass is planned")
			require.Zero(t, end.Planned)
			require.GreaterOrEqual(t, early.Done, 1)

			values := map[string]float64{}
			for _, g := range st.Gauges {
				values[g.Name] = g.Value
			}
			require.Len(t, values, len(tc.gauges))
			for _, name := range tc.gauges {
				v, ok := values["stage_"+name+"_seconds"]
				require.True(t, ok, "no gauge for %s: %v", name, values)
				require.GreaterOrEqual(t, v, 0.0)
			}
			require.Greater(t, values["stage_gaussian_seconds"], 0.0, "finished planes were smoothed")
			require.LessOrEqual(t, values["stage_gaussian_seconds"], rep.Stages.Gaussian)
			require.LessOrEqual(t, values["stage_read_seconds"], rep.Stages.Read)
		})
	}
}
