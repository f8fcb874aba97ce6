package kernels

import (
	"context"
	"fmt"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// edtMorphCase is one entry of testdata/edt_morph_cases.json, written by
// testdata/make_edt_morph.py with scipy.ndimage and scikit-image.
type edtMorphCase struct {
	Kind        string     `json:"kind"`
	Shape       [3]int     `json:"shape"`
	Sampling    [3]float64 `json:"sampling"`
	Conn        int        `json:"conn"`
	Iterations  int        `json:"iterations"`
	BorderValue uint8      `json:"border_value"`
	Size        int        `json:"size"`
	Input       int        `json:"input"`
	Output      int        `json:"output"`
}

func TestEDTMorphFixtures(t *testing.T) {
	t.Parallel()
	cases, blob := loadFixture[edtMorphCase](t, "edt_morph")
	ctx := context.Background()
	kinds := map[string]int{}
	for i, c := range cases {
		s := stack.Shape{Z: c.Shape[0], Y: c.Shape[1], X: c.Shape[2]}
		n := s.Len()
		m := &stack.Volume[uint8]{Shape: s, Data: append([]uint8(nil), blob[c.Input:c.Input+n]...)}
		name := fmt.Sprintf("case %d %+v", i, c)
		kinds[c.Kind]++
		if c.Kind == "edt" {
			dst := stack.New[float32](s)
			require.NoError(t, EDT(ctx, dst, m, c.Sampling), name)
			require.Equal(t, f32s(blob, c.Output, n), dst.Data, name)
			continue
		}
		want := blob[c.Output : c.Output+n]
		dst := stack.New[uint8](s)
		conn := Connectivity(c.Conn)
		opt := MorphOptions{Conn: conn, Iterations: c.Iterations, BorderValue: c.BorderValue}
		var err error
		switch c.Kind {
		case "erode":
			err = BinaryErosion(ctx, dst, m, opt)
		case "dilate":
			err = BinaryDilation(ctx, dst, m, opt)
		case "open":
			err = BinaryOpening(ctx, dst, m, opt)
		case "close":
			err = BinaryClosing(ctx, dst, m, opt)
		case "fill-holes":
			err = FillHoles(ctx, dst, m, conn)
		case "small-objects":
			err = RemoveSmallObjects(ctx, dst, m, c.Size, conn)
		case "small-holes":
			err = RemoveSmallHoles(ctx, dst, m, c.Size, conn)
		default:
			t.Fatalf("unknown kind %q", c.Kind)
		}
		require.NoError(t, err, name)
		require.Equal(t, want, dst.Data, name)
		// In place (dst = src) gives the same answer.
		switch c.Kind {
		case "erode":
			err = BinaryErosion(ctx, m, m, opt)
		case "dilate":
			err = BinaryDilation(ctx, m, m, opt)
		case "open":
			err = BinaryOpening(ctx, m, m, opt)
		case "close":
			err = BinaryClosing(ctx, m, m, opt)
		case "fill-holes":
			err = FillHoles(ctx, m, m, conn)
		case "small-objects":
			err = RemoveSmallObjects(ctx, m, m, c.Size, conn)
		case "small-holes":
			err = RemoveSmallHoles(ctx, m, m, c.Size, conn)
		}
		require.NoError(t, err, name)
		require.Equal(t, want, m.Data, name+" in place")
	}
	require.Len(t, kinds, 8)
}
