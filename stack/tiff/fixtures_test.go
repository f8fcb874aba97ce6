package tiff

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/segstack/segstack/stack"
	"github.com/stretchr/testify/require"
)

// fixture is one entry of testdata/manifest.json (see make_fixtures.py).
type fixture struct {
	File        string `json:"file"`
	Expect      string `json:"expect"`
	DType       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	Compression string `json:"compression"`
	Predictor   int    `json:"predictor"`
	Tiled       bool   `json:"tiled"`
	BigTIFF     bool   `json:"bigtiff"`
	ByteOrder   string `json:"byteorder"`
	Shaped      []int  `json:"shaped"`
	ImageJ      *struct {
		Images, Channels, Slices, Frames int
		Spacing                          float64
		Unit                             string
		PixelSize                        float64 `json:"pixel_size"`
	} `json:"imagej"`
	OME *struct {
		SizeZ int     `json:"size_z"`
		SizeC int     `json:"size_c"`
		SizeT int     `json:"size_t"`
		Order string  `json:"order"`
		PX    float64 `json:"px"`
		PY    float64 `json:"py"`
		PZ    float64 `json:"pz"`
	} `json:"ome"`
}

type manifest struct {
	Fixtures    []fixture `json:"fixtures"`
	Unsupported []string  `json:"unsupported"`
}

func loadManifest(t testing.TB) manifest {
	t.Helper()
	b, err := os.ReadFile("testdata/manifest.json")
	require.NoError(t, err)
	var m manifest
	require.NoError(t, json.Unmarshal(b, &m))
	require.NotEmpty(t, m.Fixtures)
	return m
}

func fixturePath(name string) string { return filepath.Join("testdata", "fixtures", name) }

// expectedPlanes returns the fixture's expected pixels as native-endian
// bytes, one slice per plane.
func expectedPlanes(t testing.TB, f fixture) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(fixturePath(f.Expect))
	require.NoError(t, err)
	dt, err := stack.ParseDType(f.DType)
	require.NoError(t, err)
	if !nativeLE {
		swapBytes(raw, dt.Size())
	}
	n := f.Shape[len(f.Shape)-1] * f.Shape[len(f.Shape)-2] * dt.Size()
	require.Zero(t, len(raw)%n)
	var planes [][]byte
	for i := 0; i < len(raw); i += n {
		planes = append(planes, raw[i:i+n])
	}
	return planes
}

func TestFixturesReadPixelExact(t *testing.T) {
	m := loadManifest(t)
	seen := map[string]bool{}
	for _, f := range m.Fixtures {
		t.Run(f.File, func(t *testing.T) {
			t.Parallel()
			r, err := Open(fixturePath(f.File))
			require.NoError(t, err)
			defer r.Close()
			want := expectedPlanes(t, f)
			require.Equal(t, f.DType, r.DType().String())
			require.Equal(t, stack.Shape{Z: len(want), Y: f.Shape[len(f.Shape)-2], X: f.Shape[len(f.Shape)-1]}, r.Shape())
			require.Equal(t, len(want), r.Pages())
			require.Equal(t, f.Compression, r.Compression().String())
			require.Equal(t, Predictor(f.Predictor), r.Predictor())
			require.Equal(t, f.Tiled, r.Tiled())
			require.Equal(t, f.BigTIFF, r.BigTIFF())
			if f.ByteOrder == "big" {
				require.Equal(t, binary.BigEndian, r.ByteOrder())
			} else {
				require.Equal(t, binary.LittleEndian, r.ByteOrder())
			}
			// Read planes in reverse order to exercise random access.
			buf := make([]byte, r.PlaneBytes())
			for i := len(want) - 1; i >= 0; i-- {
				require.NoError(t, r.ReadPlaneInto(i, buf))
				require.Equal(t, want[i], buf, "plane %d", i)
			}
		})
		seen[f.Compression+"/"+f.ByteOrder] = true
	}
	// The manifest must cover every codec in both byte orders.
	for _, c := range []string{"none", "lzw", "deflate", "packbits"} {
		for _, o := range []string{"little", "big"} {
			require.True(t, seen[c+"/"+o], "no %s %s-endian fixture", c, o)
		}
	}
}

func TestFixturesMetadata(t *testing.T) {
	for _, f := range loadManifest(t).Fixtures {
		if f.ImageJ == nil && f.OME == nil && f.Shaped == nil {
			continue
		}
		t.Run(f.File, func(t *testing.T) {
			r, err := Open(fixturePath(f.File))
			require.NoError(t, err)
			defer r.Close()
			md := r.Metadata()
			if f.Shaped != nil {
				require.Equal(t, f.Shaped, md.Shaped)
			}
			if ij := f.ImageJ; ij != nil {
				require.NotNil(t, md.ImageJ)
				require.Equal(t, ij.Images, md.ImageJ.Images)
				require.Equal(t, []int{ij.Channels, ij.Slices, ij.Frames}, []int{md.Channels, md.Slices, md.Frames})
				require.Equal(t, ij.Channels, r.Channels())
				require.Equal(t, "XYCZT", md.DimensionOrder)
				require.InDelta(t, ij.Spacing, md.PixelSizeZ, 1e-12)
				if ij.Unit != "" {
					require.Equal(t, ij.Unit, md.Unit)
				}
				if ij.PixelSize > 0 {
					require.InDelta(t, ij.PixelSize, md.PixelSizeX, 1e-6)
					require.InDelta(t, ij.PixelSize, md.PixelSizeY, 1e-6)
				}
			}
			if o := f.OME; o != nil {
				require.NotNil(t, md.OME)
				require.Equal(t, []int{o.SizeC, o.SizeZ, o.SizeT}, []int{md.Channels, md.Slices, md.Frames})
				require.Equal(t, r.Shape().X, md.OME.SizeX)
				require.Equal(t, r.Shape().Y, md.OME.SizeY)
				require.Equal(t, o.Order, md.DimensionOrder)
				require.InDelta(t, o.PX, md.PixelSizeX, 1e-12)
				require.InDelta(t, o.PY, md.PixelSizeY, 1e-12)
				require.InDelta(t, o.PZ, md.PixelSizeZ, 1e-12)
			}
		})
	}
}

// TestPlaneIndexMatchesLayout checks PlaneIndex against how tifffile laid
// out the pages: the same array u16[c, z] written as ZCYX and CZYX.
func TestPlaneIndexMatchesLayout(t *testing.T) {
	ctx := context.Background()
	zc, err := ReadFile[uint16](ctx, fixturePath("ome_zcyx_u16.tif"))
	require.NoError(t, err)
	rcz, err := Open(fixturePath("ome_czyx_u16.tif"))
	require.NoError(t, err)
	defer rcz.Close()
	ij, err := Open(fixturePath("imagej_hyper_u16.tif"))
	require.NoError(t, err)
	defer ij.Close()
	zcMeta := Metadata{Channels: 2, Slices: 3, Frames: 1, DimensionOrder: "XYCZT"}
	buf := make([]uint16, 20*17)
	for c := 0; c < 2; c++ {
		for z := 0; z < 3; z++ {
			// ome_zcyx stores flat index z*2+c; ome_czyx stores c*3+z of the
			// same flat data, so page c*3+z of czyx holds flat index c*3+z.
			iz, err := zcMeta.PlaneIndex(c, z, 0)
			require.NoError(t, err)
			require.Equal(t, z*2+c, iz)
			md := rcz.Metadata()
			ic, err := md.PlaneIndex(c, z, 0)
			require.NoError(t, err)
			require.Equal(t, c*3+z, ic)
			mj := ij.Metadata()
			ii, err := mj.PlaneIndex(c, z, 0)
			require.NoError(t, err)
			require.Equal(t, z*2+c, ii)
			require.NoError(t, ReadPlane(ij, ii, buf))
			require.Equal(t, zc.Plane(z*2+c), buf)
		}
	}
	_, err = zcMeta.PlaneIndex(2, 0, 0)
	require.Error(t, err)
}

func TestUnsupportedFixtures(t *testing.T) {
	m := loadManifest(t)
	require.Len(t, m.Unsupported, 6)
	// Multi-sample, float64, bilevel and int8 pages were refused once; they
	// now read (as channels, float64, uint8 0/1, int16).
	nowRead := map[string]int{"unsupported_rgb.tif": 3, "unsupported_planar2.tif": 0, "unsupported_float64.tif": 0,
		"unsupported_bilevel.tif": 0, "unsupported_int8.tif": 0}
	for _, name := range m.Unsupported {
		t.Run(name, func(t *testing.T) {
			if spp, ok := nowRead[name]; ok {
				r, err := Open(fixturePath(name))
				require.NoError(t, err)
				defer r.Close()
				require.NoError(t, readAll(r))
				if spp > 0 {
					require.Equal(t, spp, r.Metadata().Samples)
				}
				if name == "unsupported_int8.tif" {
					require.Equal(t, stack.Int16, r.DType())
					require.Equal(t, "int8", r.Widened())
				}
				return
			}
			r, err := Open(fixturePath(name))
			if err == nil {
				// Some (JPEG) are refused when the plane is decoded.
				err = r.ReadPlaneInto(0, make([]byte, r.PlaneBytes()))
				r.Close()
			}
			var ue UnsupportedError
			require.True(t, errors.As(err, &ue), "want UnsupportedError, got %v", err)
			require.NotEmpty(t, string(ue))
		})
	}
}

func TestReadPlaneGenericChecksType(t *testing.T) {
	r, err := Open(fixturePath("uint16_none1_strip_le.tif"))
	if err != nil {
		r, err = Open(fixturePath("uint16_zip2_strip_le.tif"))
	}
	require.NoError(t, err)
	defer r.Close()
	require.Error(t, ReadPlane(r, 0, make([]float32, 20*17)))
	require.Error(t, ReadPlane(r, 0, make([]uint16, 20*17-1)))
	require.Error(t, ReadPlane(r, 3, make([]uint16, 20*17)))
	require.Error(t, ReadPlane(r, -1, make([]uint16, 20*17)))
	require.NoError(t, ReadPlane(r, 2, make([]uint16, 20*17)))
	_, err = ReadVolume[int16](context.Background(), r)
	require.Error(t, err)
}

// TestConcurrentReadPlane reads every plane of every fixture from many
// goroutines at once through one Reader (run with -race).
func TestConcurrentReadPlane(t *testing.T) {
	for _, f := range loadManifest(t).Fixtures {
		r, err := Open(fixturePath(f.File))
		require.NoError(t, err)
		want := expectedPlanes(t, f)
		var wg sync.WaitGroup
		errs := make(chan error, 8*len(want))
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, r.PlaneBytes())
				for k := range want {
					i := (k + g) % len(want)
					if err := r.ReadPlaneInto(i, buf); err != nil {
						errs <- err
						return
					}
					if string(buf) != string(want[i]) {
						errs <- errors.New(f.File + ": concurrent read differs")
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.NoError(t, r.Close())
	}
}

func TestMetadataUnitlessResolution(t *testing.T) {
	r, err := Open(fixturePath("uint16_lzw2_strip_le.tif"))
	require.NoError(t, err)
	defer r.Close()
	md := r.Metadata()
	require.Equal(t, 1.0, md.PixelSizeX, "tifffile writes a unitless resolution of 1")
	require.Empty(t, md.Unit)
	require.Equal(t, []int{1, 3, 1}, []int{md.Channels, md.Slices, md.Frames}, "a plain stack's pages are slices")
	md = buildMetadata("", "", resolution{unit: 2})
	require.Empty(t, md.Unit, "no unit without resolution tags")
}

func TestBuildMetadataSources(t *testing.T) {
	// Resolution in centimetres, no description.
	md := buildMetadata("", "", resolution{x: 2e4, y: 4e4, unit: 3})
	require.InDelta(t, 5e-5, md.PixelSizeX, 1e-12)
	require.InDelta(t, 2.5e-5, md.PixelSizeY, 1e-12)
	require.Equal(t, "cm", md.Unit)
	// ImageJ's escaped micro sign, and a plain stack (images only).
	md = buildMetadata("ImageJ=1.53t\nimages=7\nunit=\\u00B5m\nspacing=0.5\nmin=3\nmax=90.5\nfoo=bar\n", "", resolution{x: 4, y: 4, unit: 1})
	require.Equal(t, "µm", md.Unit)
	require.Equal(t, 7, md.Slices)
	require.Equal(t, 0.25, md.PixelSizeX)
	require.Equal(t, 0.5, md.PixelSizeZ)
	require.Equal(t, 3.0, *md.ImageJ.Min)
	require.Equal(t, 90.5, *md.ImageJ.Max)
	require.Equal(t, map[string]string{"foo": "bar"}, md.ImageJ.Extra)
	// Not OME despite the angle bracket; not shaped despite the brace.
	md = buildMetadata("<html>", "", resolution{})
	require.Nil(t, md.OME)
	md = buildMetadata(`{"shape": "x"}`, "", resolution{})
	require.Nil(t, md.Shaped)
	require.Equal(t, formatShaped(3, 4, 5), `{"shape": [3, 4, 5]}`)
	require.Equal(t, []int{3, 4, 5}, parseShaped(formatShaped(3, 4, 5)))
	// Writing then parsing an ImageJ description round-trips.
	ij := parseImageJ(formatImageJ(2, 3, 4, 1.5, "µm", nil))
	require.Equal(t, []int{24, 2, 3, 4}, []int{ij.Images, ij.Channels, ij.Slices, ij.Frames})
	require.True(t, ij.Hyperstack)
	require.Equal(t, "micron", ij.Unit, "micrometres in ImageJ's spelling")
	require.Equal(t, 1.5, ij.Spacing)
	require.Equal(t, "Å", parseImageJ(formatImageJ(1, 2, 1, 0, "Å", nil)).Unit, "non-ASCII units escaped and read back")
}
