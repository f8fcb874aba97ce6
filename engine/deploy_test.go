package engine_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The deployment examples' command lines are the commands and flags the
// tests run: each parses (with --help added, which checks every flag and
// runs nothing) with the built binary.
func TestDeployCommands(t *testing.T) {
	y, err := os.ReadFile("../deploy/kubernetes/segstack.yaml")
	require.NoError(t, err)
	var cmds [][]string
	for _, m := range regexp.MustCompile(`(?s)command: \[(.*?)\]`).FindAllStringSubmatch(string(y), -1) {
		var args []string
		for _, a := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(m[1], -1) {
			args = append(args, a[1])
		}
		cmds = append(cmds, args)
	}
	require.Len(t, cmds, 3, "engine, worker and segment")
	s, err := os.ReadFile("../deploy/slurm/segstack-workers.sbatch")
	require.NoError(t, err)
	_, worker, ok := strings.Cut(string(s), "\nexec ")
	require.True(t, ok, "the script execs the worker")
	line := strings.NewReplacer("\\\n", " ", "\"$ENGINE\"", "nats://head:4222", "\"${SLURM_CPUS_PER_TASK:-0}\"", "32").Replace(worker)
	cmds = append(cmds, strings.Fields(line))
	for _, c := range cmds {
		require.Equal(t, "segstack", c[0])
		out, err := exec.Command(bin, append(c[1:], "--help")...).CombinedOutput()
		require.NoError(t, err, "%v: %s", c, out)
	}
}
