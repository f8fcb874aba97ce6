//go:build cuda

package cuda

import (
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLaunchTableMatchesPTX requires every .entry of the embedded PTX to be
// in the launch table with the same parameters (count and PTX types), and
// every table entry to be in the PTX.
func TestLaunchTableMatchesPTX(t *testing.T) {
	entryRE := regexp.MustCompile(`(?s)\.visible \.entry (\w+)\(\s*(.*?)\)`)
	paramRE := regexp.MustCompile(`\.param (\.\w+) (\w+)`)
	found := map[string]bool{}
	for _, m := range registeredPTX() {
		matches := entryRE.FindAllStringSubmatch(string(m.ptx), -1)
		require.NotEmpty(t, matches, m.name)
		for _, e := range matches {
			name := e[1]
			require.False(t, found[name], "%s is defined twice", name)
			found[name] = true
			kinds, ok := entries[name]
			require.True(t, ok, "%s.ptx: .entry %s is not in the launch table", m.name, name)
			var types []string
			for i, p := range paramRE.FindAllStringSubmatch(e[2], -1) {
				types = append(types, p[1])
				require.Equal(t, name+"_param_"+strconv.Itoa(i), p[2], "parameter names of %s", name)
			}
			var want []string
			for _, k := range kinds {
				want = append(want, argKind(k).ptxType())
			}
			require.Equal(t, want, types, "parameters of %s (%s)", name, kinds)
		}
	}
	var missing []string
	for name := range entries {
		if !found[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "launch table entries with no .entry in the PTX")
}
