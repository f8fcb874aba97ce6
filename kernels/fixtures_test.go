package kernels

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels/internal/fixtures"
)

// gaussCase is one entry of testdata/gaussian_cases.json.
type gaussCase = fixtures.Gauss

type otsuCase struct {
	Name          string `json:"name"`
	N             int    `json:"n"`
	Offset        int    `json:"offset"`
	ThresholdBits uint32 `json:"threshold_bits"`
}

func loadFixture[C any](t testing.TB, name string) ([]C, []byte) {
	t.Helper()
	cases, blob, err := fixtures.Load[C]("testdata", name)
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	return cases, blob
}

func f32s(b []byte, off, n int) []float32 { return fixtures.F32s(b, off, n) }

func u16s(b []byte, off, n int) []uint16 { return fixtures.U16s(b, off, n) }
