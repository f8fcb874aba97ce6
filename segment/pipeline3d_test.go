package segment

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/segstack/segstack/kernels"
)

// mergeFace, which skips repeated pairs, joins exactly the provisional
// labels that a plain scan of every pair of touching voxels joins.
func TestMergeFaceMatchesBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(8, 1))
	const ny, nx = 9, 13
	for trial := range 200 {
		a := make([]uint32, ny*nx)
		b := make([]uint32, ny*nx)
		// Sparse faces with many labels, so that most pairs touch at one
		// place only and a missed neighbour changes the result; runs of
		// one label in b, as a labeller makes them.
		na, nb := 1+rng.IntN(60), 1+rng.IntN(60)
		density := 2 + rng.IntN(6)
		for i := range a {
			if rng.IntN(density) == 0 {
				a[i] = 1 + uint32(rng.IntN(na))
			}
			switch {
			case i%nx > 0 && b[i-1] != 0 && rng.IntN(2) == 0:
				b[i] = b[i-1]
			case rng.IntN(density) == 0:
				b[i] = 1 + uint32(rng.IntN(nb))
			}
		}
		for _, conn := range []kernels.Connectivity{kernels.Conn6, kernels.Conn18, kernels.Conn26} {
			got := unionFind{parent: []uint32{0}}
			got.grow(na + nb)
			mergeFace(&got, a, 0, b, uint32(na), ny, nx, conn)

			want := unionFind{parent: []uint32{0}}
			want.grow(na + nb)
			for y := range ny {
				for x := range nx {
					for dy := -1; dy <= 1; dy++ {
						for dx := -1; dx <= 1; dx++ {
							yy, xx := y+dy, x+dx
							off := faceDist(dy) + faceDist(dx)
							if yy < 0 || yy >= ny || xx < 0 || xx >= nx ||
								(conn == kernels.Conn6 && off > 0) || (conn == kernels.Conn18 && off > 1) {
								continue
							}
							if la, lb := a[yy*nx+xx], b[y*nx+x]; la != 0 && lb != 0 {
								want.union(la, uint32(na)+lb)
							}
						}
					}
				}
			}
			for id := range uint32(na + nb + 1) {
				require.Equal(t, want.find(id), got.find(id), "trial %d conn %d label %d", trial, conn, id)
			}
		}
	}
}

func faceDist(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
