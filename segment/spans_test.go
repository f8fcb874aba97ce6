package segment

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/segstack/segstack/sched/dashboard"
	"github.com/segstack/segstack/stack"
	"github.com/segstack/segstack/stack/synth"
	"github.com/stretchr/testify/require"
)

// A 2-D run records each plane's stages as spans on the rows of the workers
// that ran them, and the ordered writer's writes on a "writer" row, one
// span of each kind per plane, with the planes announced for an ETA.
func TestSpans2D(t *testing.T) {
	t.Parallel()
	vol := synth.Nuclei(stack.Shape{Z: 6, Y: 48, X: 40}, 3)
	opt := DefaultOptions()
	opt.Source = VolumeSource(vol)
	opt.Output = filepath.Join(t.TempDir(), "labels.tif")
	opt.Workers = 2
	opt.Dashboard = "127.0.0.1:0"
	var addr string
	opt.OnDashboard = func(a string) { addr = a }
	var last dashboard.Status
	var fetchErr error
	opt.Progress = func(done, total int) {
		if done != total {
			return
		}
		time.Sleep(150 * time.Millisecond) // past the status cache
		resp, err := http.Get("http://" + addr + "/api/status")
		if err != nil {
			fetchErr = err
			return
		}
		defer resp.Body.Close()
		fetchErr = json.NewDecoder(resp.Body).Decode(&last)
	}
	rep, err := Run(context.Background(), opt)
	require.NoError(t, err)
	require.NoError(t, fetchErr)

	z := vol.Shape.Z
	stages := map[string]dashboard.StageStatus{}
	var order []string
	for _, s := range last.Stages {
		stages[s.Kind] = s
		order = append(order, s.Kind)
	}
	require.Equal(t, []string{"read", "gaussian", "threshold", "label", "write"}, order)
	for _, k := range order {
		require.Equal(t, z, stages[k].Done, k)
		require.Equal(t, z, stages[k].Total, k)
		require.Zero(t, stages[k].ETA, k)
	}
	// The spans time the same work as the report's stage seconds.
	require.InDelta(t, rep.Stages.Gaussian, stages["gaussian"].Busy, 0.05+0.5*rep.Stages.Gaussian)
	require.LessOrEqual(t, stages["label"].Busy, rep.Stages.Label+0.01)

	require.Equal(t, []string{"writer"}, last.Stream.Rows)
	writer := int64(len(last.Workers))
	count := map[string]int64{}
	for _, sp := range last.Stream.Stages {
		k := last.Stream.KindNames[sp[1]]
		count[k] += sp[5]
		if k == "write" {
			require.Equal(t, writer, sp[0], "writes on the writer row")
		} else {
			require.Less(t, sp[0], writer, "%s on a worker row", k)
		}
	}
	for _, k := range order {
		require.EqualValues(t, z, count[k], k)
	}
}
