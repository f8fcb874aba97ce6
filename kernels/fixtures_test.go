package kernels

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// gaussCase is one entry of testdata/gaussian_cases.json.
type gaussCase struct {
	Name     string     `json:"name"`
	Shape    [3]int     `json:"shape"`
	DType    string     `json:"dtype"`
	Sigma    [3]float64 `json:"sigma"`
	Mode     string     `json:"mode"`
	Truncate float64    `json:"truncate"`
	Cval     float64    `json:"cval"`
	Input    int        `json:"input"`
	Output   int        `json:"output"`
}

type otsuCase struct {
	Name          string `json:"name"`
	N             int    `json:"n"`
	Offset        int    `json:"offset"`
	ThresholdBits uint32 `json:"threshold_bits"`
}

func loadFixture[C any](t testing.TB, name string) ([]C, []byte) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join("testdata", name+"_cases.json"))
	require.NoError(t, err)
	var m struct {
		Cases []C `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(js, &m))
	require.NotEmpty(t, m.Cases)
	blob, err := os.ReadFile(filepath.Join("testdata", name+"_data.bin"))
	require.NoError(t, err)
	return m.Cases, blob
}

func f32s(b []byte, off, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[off+4*i:]))
	}
	return out
}

func u16s(b []byte, off, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[off+2*i:])
	}
	return out
}
