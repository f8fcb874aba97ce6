package tiff

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// layout describes where a hand-built TIFF puts its pieces; every one is
// legal TIFF 6.0.
type layout struct {
	name string
	// dataFirst puts each page's strips before its IFD (as libtiff's
	// test_two_ifds.tif does), else after it.
	dataFirst bool
	// reversed chains the IFDs in the opposite order to their place in the
	// file.
	reversed bool
	// shared makes every page point at the strips of page 0 (the pages
	// are then identical).
	shared bool
	// gap leaves unused bytes between the pieces.
	gap int
	// rowsPerStrip is the strip height (1: one-row strips).
	rowsPerStrip int
}

// buildLayout writes pages of y×x uint8 pixels, page k's pixel i being
// pixelAt(k, i), laid out as l says, and returns the file's bytes and the
// pixels every reader must see.
func buildLayout(l layout, pages, y, x int) ([]byte, [][]byte) {
	le := binary.LittleEndian
	want := make([][]byte, pages)
	for k := range want {
		src := k
		if l.shared {
			src = 0
		}
		want[k] = make([]byte, y*x)
		for i := range want[k] {
			want[k][i] = byte(src*37 + i*11 + 7)
		}
	}
	strips := (y + l.rowsPerStrip - 1) / l.rowsPerStrip
	ifdLen := 2 + 10*12 + 4 + 2*8*strips // entries, next, offset and count arrays
	buf := []byte{'I', 'I', 42, 0, 0, 0, 0, 0}
	pad := func() {
		buf = append(buf, make([]byte, l.gap)...)
		if len(buf)&1 == 1 {
			buf = append(buf, 0)
		}
	}
	ifdAt := make([]int, pages)
	stripAt := make([][]int, pages)
	putData := func(k int) {
		stripAt[k] = make([]int, strips)
		for s := range strips {
			pad()
			stripAt[k][s] = len(buf)
			r0, r1 := s*l.rowsPerStrip*x, min(y, (s+1)*l.rowsPerStrip)*x
			buf = append(buf, want[k][r0:r1]...)
		}
	}
	for k := range pages {
		if l.shared && k > 0 {
			stripAt[k] = stripAt[0]
		}
		if l.dataFirst && stripAt[k] == nil {
			putData(k)
		}
		pad()
		ifdAt[k] = len(buf)
		buf = append(buf, make([]byte, ifdLen)...)
		if !l.dataFirst && stripAt[k] == nil {
			putData(k)
		}
	}
	order := make([]int, pages)
	for k := range order {
		order[k] = k
		if l.reversed {
			order[k] = pages - 1 - k
		}
	}
	le.PutUint32(buf[4:], uint32(ifdAt[order[0]]))
	for j, k := range order {
		b := buf[ifdAt[k]:]
		arr := ifdAt[k] + 2 + 10*12 + 4
		entries := [][4]uint32{
			{256, 4, 1, uint32(x)}, {257, 4, 1, uint32(y)}, {258, 3, 1, 8}, {259, 3, 1, 1}, {262, 3, 1, 1},
			{273, 4, uint32(strips), uint32(arr)}, {277, 3, 1, 1}, {278, 4, 1, uint32(l.rowsPerStrip)},
			{279, 4, uint32(strips), uint32(arr + 4*strips)}, {284, 3, 1, 1},
		}
		le.PutUint16(b, uint16(len(entries)))
		for i, e := range entries {
			o := b[2+12*i:]
			le.PutUint16(o, uint16(e[0]))
			le.PutUint16(o[2:], uint16(e[1]))
			le.PutUint32(o[4:], e[2])
			if e[2] == 1 && e[1] == 3 {
				le.PutUint16(o[8:], uint16(e[3]))
			} else if e[2] == 1 && (e[0] == 273 || e[0] == 279) {
				// a single strip's offset or count is stored in place
				v := uint32(stripAt[k][0])
				if e[0] == 279 {
					v = uint32(y * x)
				}
				le.PutUint32(o[8:], v)
			} else {
				le.PutUint32(o[8:], e[3])
			}
		}
		next := uint32(0)
		if j+1 < pages {
			next = uint32(ifdAt[order[j+1]])
		}
		le.PutUint32(b[2+12*len(entries):], next)
		for s := range strips {
			le.PutUint32(buf[arr+4*s:], uint32(stripAt[k][s]))
			le.PutUint32(buf[arr+4*strips+4*s:], uint32(min(y, (s+1)*l.rowsPerStrip)*x-s*l.rowsPerStrip*x))
		}
	}
	// Pages in chain order are what readers see.
	seen := make([][]byte, pages)
	for j, k := range order {
		seen[j] = want[k]
	}
	return buf, seen
}

func allLayouts() []layout {
	var out []layout
	for _, df := range []bool{false, true} {
		for _, rev := range []bool{false, true} {
			for _, shared := range []bool{false, true} {
				for _, gap := range []int{0, 13} {
					for _, rps := range []int{1, 2, 64} {
						out = append(out, layout{
							name:      fmt.Sprintf("dataFirst=%v,reversed=%v,shared=%v,gap=%d,rps=%d", df, rev, shared, gap, rps),
							dataFirst: df, reversed: rev, shared: shared, gap: gap, rowsPerStrip: rps,
						})
					}
				}
			}
		}
	}
	return out
}

// TestEveryLayoutEveryPath reads files of every legal layout through every
// read path (ReadPlaneInto, the mapped ReadView, ReadVolume), and through a
// rewrite in every compression the writer has, and compares each with the
// pixels the file holds. libtiff's own test_two_ifds.tif is one of them:
// two 1×1 pages whose strips lie before their IFDs.
func TestEveryLayoutEveryPath(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, l := range allLayouts() {
		for _, sz := range [][3]int{{2, 1, 1}, {3, 5, 3}, {2, 4, 17}} {
			name := fmt.Sprintf("%s/%dx%dx%d", l.name, sz[0], sz[1], sz[2])
			b, want := buildLayout(l, sz[0], sz[1], sz[2])
			in := filepath.Join(dir, "in.tif")
			require.NoError(t, os.WriteFile(in, b, 0o644))
			r, err := Open(in)
			require.NoError(t, err, name)
			require.Equal(t, stack.Shape{Z: sz[0], Y: sz[1], X: sz[2]}, r.Shape(), name)
			for k := range sz[0] {
				got := make([]byte, r.PlaneBytes())
				require.NoError(t, r.ReadPlaneInto(k, got), name)
				require.Equal(t, want[k], got, "%s: ReadPlaneInto %d", name, k)
				ok, err := r.ReadView(k, func(v []byte) { require.Equal(t, want[k], v, "%s: ReadView %d", name, k) })
				require.NoError(t, err)
				if sz[1] == 1 || l.rowsPerStrip >= sz[1] {
					require.True(t, ok, "%s: a one-strip raw plane has a view", name)
				}
			}
			v, err := ReadVolume[uint8](ctx, r)
			require.NoError(t, err)
			for k := range sz[0] {
				require.Equal(t, want[k], v.Plane(k), "%s: ReadVolume %d", name, k)
			}
			for _, comp := range []Compression{None, LZW, Deflate, PackBits} {
				out := filepath.Join(dir, "out.tif")
				opts := r.WriterOptions()
				opts.Compression, opts.Predictor = comp, NoPredictor
				require.NoError(t, WriteVolume(ctx, out, v, opts), name)
				back, err := ReadFile[uint8](ctx, out)
				require.NoError(t, err)
				require.Equal(t, v.Data, back.Data, "%s: rewritten as %s", name, comp)
				if comp == None {
					checkWithLibtiff(t, out, v.Data, name)
				}
			}
			r.Close()
			checkWithLibtiff(t, in, v.Data, name)
		}
	}
}

// checkWithLibtiff has libtiff's tiffcp rewrite path with its own strip
// layout and compares what libtiff decoded with want. Without libtiff's
// tools it does nothing; TestLibtiffPresent says so once.
func checkWithLibtiff(t *testing.T, path string, want []byte, name string) {
	t.Helper()
	tiffcp, err := exec.LookPath("tiffcp")
	if err != nil {
		return
	}
	out := path + ".libtiff.tif"
	b, err := exec.Command(tiffcp, "-c", "none", "-r", "1", path, out).CombinedOutput()
	require.NoError(t, err, "%s: tiffcp: %s", name, b)
	got, err := ReadFile[uint8](context.Background(), out)
	require.NoError(t, err)
	require.Equal(t, want, got.Data, "%s: libtiff decodes %s otherwise", name, filepath.Base(path))
}

func TestLibtiffPresent(t *testing.T) {
	if _, err := exec.LookPath("tiffcp"); err != nil {
		t.Skip("SKIP: libtiff's tiffcp is absent (apt-get install libtiff-tools); layouts are not compared with libtiff")
	}
}

// TestTwoIFDsRewriteInTifffile rewrites a file laid out as libtiff's
// test_two_ifds.tif (two 1×1 uint8 pages, strips before their IFDs)
// uncompressed, and reads the result with tifffile, whose reading of tiny
// stacks follows offsets rather than every IFD.
func TestTwoIFDsRewriteInTifffile(t *testing.T) {
	if err := exec.Command(systemPython, "-c", "import tifffile").Run(); err != nil {
		t.Skip("SKIP: " + systemPython + " lacks tifffile (apt-get install python3-tifffile)")
	}
	dir := t.TempDir()
	b, want := buildLayout(layout{dataFirst: true, rowsPerStrip: 1}, 2, 1, 1)
	in, out := filepath.Join(dir, "two.tif"), filepath.Join(dir, "out.tif")
	require.NoError(t, os.WriteFile(in, b, 0o644))
	v, err := ReadFile[uint8](context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, []byte{want[0][0], want[1][0]}, v.Data)
	require.NoError(t, WriteVolume(context.Background(), out, v, WriterOptions{}))
	got, err := exec.Command(systemPython, "-c", "import sys, tifffile; print(tifffile.imread(sys.argv[1]).ravel().tolist())", out).CombinedOutput()
	require.NoError(t, err, "%s", got)
	require.Equal(t, fmt.Sprintf("[%d, %d]\n", want[0][0], want[1][0]), string(got))
}
