package zarr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The Pythons the interoperability tests use: Debian's, with zarr-python 2
// and numcodecs, and a virtual environment with zarr-python 3, numcodecs
// and ome-zarr.
const (
	systemPython = "/usr/bin/python3"
	venvPython   = "/opt/venv/bin/python"
)

// requirePython skips the test, saying why, unless python can import the
// modules; it returns their versions.
func requirePython(t *testing.T, python string, modules ...string) string {
	t.Helper()
	code := "import sys\n"
	for _, m := range modules {
		code += "import " + m + "\n"
	}
	code += "print(' '.join('%s %s' % (m, sys.modules[m].__version__) for m in " + pyList(modules) + "))"
	out, err := exec.Command(python, "-c", code).CombinedOutput()
	if err != nil {
		t.Skipf("SKIP: %s with %s is not available: %v: %s", python, strings.Join(modules, ", "), err, lastLine(out))
	}
	return strings.TrimSpace(string(out))
}

func pyList(ms []string) string {
	q := make([]string, len(ms))
	for i, m := range ms {
		q[i] = "'" + m + "'"
	}
	return "[" + strings.Join(q, ",") + "]"
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// runInterop runs testdata/interop.py with python.
func runInterop(t *testing.T, python string, args ...string) []byte {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "interop.py"))
	require.NoError(t, err)
	// Reading the scripts makes the test cache depend on them.
	for _, s := range []string{"interop.py", "ngff_interop.py"} {
		_, _ = os.ReadFile(filepath.Join("testdata", s))
	}
	cmd := exec.Command(python, append([]string{script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "interop.py %v: %s", args, stderr.String())
	return out
}

type interopEntry struct {
	Name       string          `json:"name"`
	Path       string          `json:"path"`
	Raw        string          `json:"raw"`
	ZarrFormat int             `json:"zarr_format"`
	DType      string          `json:"dtype"`
	Shape      []int           `json:"shape"`
	Chunks     []int           `json:"chunks,omitempty"`
	Codec      string          `json:"codec"`
	Fill       json.RawMessage `json:"fill"`
	Expect     string          `json:"expect,omitempty"`
	Skipped    string          `json:"skipped,omitempty"`
	Attributes map[string]any  `json:"attributes,omitempty"`
	ByteOrder  string          `json:"byteorder,omitempty"`
}

// readRaw reads a .raw file (little-endian elements) in the machine's byte
// order.
func readRaw(t *testing.T, path string, dt DType) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if !nativeLE {
		swapBytes(b, dt.Size())
	}
	return b
}

// requireSameElems compares two element buffers, NaN equal to NaN.
func requireSameElems(t *testing.T, dt DType, want, got []byte, msg string) {
	t.Helper()
	require.Equal(t, len(want), len(got), msg)
	if !dt.Float() {
		if !bytes.Equal(want, got) {
			n := dt.Size()
			for i := 0; i < len(want); i += n {
				if !bytes.Equal(want[i:i+n], got[i:i+n]) {
					require.Failf(t, "pixels differ", "%s: element %d: want %v, got %v", msg, i/n,
						toFloat64(want[i:], dt), toFloat64(got[i:], dt))
				}
			}
		}
		return
	}
	n := dt.Size()
	for i := 0; i < len(want); i += n {
		w, g := toFloat64(want[i:], dt), toFloat64(got[i:], dt)
		if !(w == g || math.IsNaN(w) && math.IsNaN(g)) {
			require.Failf(t, "pixels differ", "%s: element %d: want %v, got %v", msg, i/n, w, g)
		}
	}
}

// TestReadArraysWrittenByZarrPython has zarr-python 2 (Debian) and 3 (the
// virtual environment) write arrays with every codec, data type, byte order,
// order and key encoding they offer, and reads them pixel-exact.
func TestReadArraysWrittenByZarrPython(t *testing.T) {
	for _, py := range []struct{ name, python string }{{"zarr2", systemPython}, {"zarr3", venvPython}} {
		t.Run(py.name, func(t *testing.T) {
			versions := requirePython(t, py.python, "zarr", "numcodecs", "numpy")
			t.Logf("writer: %s (%s)", py.python, versions)
			dir := t.TempDir()
			runInterop(t, py.python, "write", dir)
			var m struct {
				Arrays []interopEntry `json:"arrays"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &m))
			require.NotEmpty(t, m.Arrays)
			codecs := map[string]bool{}
			for _, e := range m.Arrays {
				t.Run(e.Name, func(t *testing.T) {
					if e.Skipped != "" {
						t.Skipf("SKIP: the writer could not write this variant: %s", e.Skipped)
					}
					checkInteropEntry(t, dir, e)
					codecs[e.Codec] = true
				})
			}
			t.Logf("read %d arrays, codecs %v", len(m.Arrays), keys(codecs))
		})
	}
}

func keys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

func checkInteropEntry(t *testing.T, dir string, e interopEntry) {
	ctx := context.Background()
	a, err := Open(filepath.Join(dir, e.Path))
	if e.Expect == "unsupported" {
		var u UnsupportedError
		require.True(t, errors.As(err, &u), "want an UnsupportedError, got %v", err)
		t.Logf("refused as expected: %v", err)
		return
	}
	require.NoError(t, err)
	dt, err := ParseDType(e.DType)
	require.NoError(t, err)
	require.Equal(t, dt, a.DType())
	require.Equal(t, e.Shape, a.Shape())
	require.Equal(t, e.ZarrFormat, a.ZarrFormat())
	require.Equal(t, strings.Contains(e.Name, "order-F"), a.FortranOrder())
	require.Equal(t, strings.Contains(e.Name, "order-F") || strings.Contains(e.Name, "transpose"), a.Transposed())
	want := readRaw(t, filepath.Join(dir, e.Raw), dt)
	got := make([]byte, len(want))
	require.NoError(t, a.Read(ctx, make([]int, len(e.Shape)), e.Shape, got))
	requireSameElems(t, dt, want, got, e.Name)
	// Plane by plane through the Source-like view as well.
	p, err := a.Planes()
	require.NoError(t, err)
	plane := make([]float32, p.Shape().PlaneLen())
	for z := 0; z < p.Shape().Z; z++ {
		require.NoError(t, p.ReadPlane(ctx, z, plane))
		for i, v := range plane {
			w := float32(toFloat64(want[(z*len(plane)+i)*dt.Size():], dt))
			if !(v == w || v != v && w != w) {
				require.Failf(t, "plane differs", "plane %d element %d: want %v got %v", z, i, w, v)
			}
		}
	}
	var fill any
	require.NoError(t, json.Unmarshal(e.Fill, &fill))
	if fill == "NaN" {
		require.True(t, math.IsNaN(a.FillValue()))
	} else {
		require.Equal(t, fill, a.FillValue())
	}
}

// imageLike returns ramps with a little noise and scattered extreme values,
// as interop.py's sample does, in the machine's byte order.
func imageLike(dt DType, shape []int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	n := product(shape)
	b := make([]byte, n*dt.Size())
	st := strides(shape)
	for i := 0; i < n; i++ {
		v := 0.0
		for d := range shape {
			v += float64((i / st[d]) % shape[d] * (3 + 2*d))
		}
		v += float64(rng.IntN(8))
		switch dt {
		case Float32, Float64:
			v = v*0.37 - 100
			if i%97 == 0 {
				v = rng.NormFloat64() * 1e6
			}
		case Int16:
			v = math.Max(math.Min(v-1000, math.MaxInt16), math.MinInt16)
			if i%97 == 0 {
				v = float64(int16(rng.Uint32()))
			}
		case Int32:
			v -= 1000
			if i%97 == 0 {
				v = float64(int32(rng.Uint32()))
			}
		case Uint8:
			v = math.Min(v, 255)
			if i%97 == 0 {
				v = float64(uint8(rng.Uint32()))
			}
		case Uint16:
			if i%97 == 0 {
				v = float64(uint16(rng.Uint32()))
			}
		case Uint32:
			if i%97 == 0 {
				v = float64(rng.Uint32())
			}
		}
		fromFloat64(b[i*dt.Size():], dt, v)
	}
	return b
}

type checkReport struct {
	Zarr      string `json:"zarr"`
	Numcodecs string `json:"numcodecs"`
	Results   []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
		Skip  string `json:"skip"`
	} `json:"results"`
}

// TestZarrPythonReadsArraysWrittenBySegstack writes arrays with every data
// type, codec, byte order and Zarr version, some with chunks left unwritten
// and attributes, and has zarr-python 2 (v2 arrays) and zarr-python 3 (both
// versions) read them pixel-exact with their metadata.
func TestZarrPythonReadsArraysWrittenBySegstack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var entries []interopEntry
	add := func(name string, o ArrayOptions, data []byte, partial bool) {
		path := filepath.Join(dir, name)
		w, err := Create(path, o)
		require.NoError(t, err)
		want := data
		byPlane := strings.Contains(name, "byplane")
		if byPlane { // planes encoded one by one, in reverse order
			pw, err := NewPlaneWriter(ctx, w, 2)
			require.NoError(t, err)
			require.True(t, pw.EncodesByPlane(), name)
			pb := len(data) / pw.Shape().Z
			for z := pw.Shape().Z - 1; z >= 0; z-- {
				require.NoError(t, pw.WritePlaneNow(ctx, z, data[z*pb:(z+1)*pb]))
			}
			require.NoError(t, pw.Close())
		}
		if byPlane {
		} else if partial { // only plane 0 is written; the rest reads as the fill value
			pl := product(o.Shape[1:]) * o.DType.Size()
			sh := append([]int{1}, o.Shape[1:]...)
			origin := make([]int, len(o.Shape))
			if o.Chunks[0] != 1 {
				t.Fatalf("partial writes need chunks of one plane")
			}
			require.NoError(t, w.Write(ctx, origin, sh, data[:pl]))
			want = append([]byte(nil), data...)
			fill := make([]byte, o.DType.Size())
			fromFloat64(fill, o.DType, o.FillValue)
			fillBytes(want[pl:], fill)
		} else {
			require.NoError(t, w.Write(ctx, make([]int, len(o.Shape)), o.Shape, data))
		}
		require.NoError(t, w.Commit())
		raw := append([]byte(nil), want...)
		if !nativeLE {
			swapBytes(raw, o.DType.Size())
		}
		require.NoError(t, os.WriteFile(path+".raw", raw, 0o644))
		fill, err := json.Marshal(fillJSON(o.FillValue, o.DType))
		require.NoError(t, err)
		e := interopEntry{Name: name, Path: name, Raw: name + ".raw", ZarrFormat: max(o.ZarrFormat, 2),
			DType: o.DType.String(), Shape: o.Shape, Chunks: w.Chunks(), Codec: o.Codec.String(), Fill: fill}
		if o.Attributes != nil {
			e.Attributes = o.Attributes.(map[string]any)
		}
		entries = append(entries, e)
	}
	shape, chunks := []int{3, 45, 70}, []int{2, 16, 33}
	seed := uint64(0)
	for _, v := range []int{2, 3} {
		for _, dt := range allDTypes {
			for _, c := range testCodecs(v) {
				seed++
				name := fmt.Sprintf("go-v%d-%v-%v.zarr", v, strings.ReplaceAll(c.String(), ":", "_"), dt)
				add(name, ArrayOptions{ZarrFormat: v, Shape: shape, Chunks: chunks, DType: dt, Codec: c},
					imageLike(dt, shape, seed), false)
			}
			seed++
			add(fmt.Sprintf("go-v%d-bigendian-%v.zarr", v, dt), ArrayOptions{ZarrFormat: v, Shape: shape,
				Chunks: chunks, DType: dt, Codec: BloscLZ4(5), BigEndian: true}, imageLike(dt, shape, seed), false)
		}
		big := []int{2, 300, 500} // chunks of several Blosc blocks, with a leftover block
		for _, c := range []Codec{BloscLZ4(5), BloscZstd(5), {Name: "blosc", CName: "lz4", Level: 5, Shuffle: ByteShuffle, BlockSize: 50000},
			BloscLZ4(1), {Name: "blosc", CName: "lz4", Level: 1, Shuffle: NoShuffle}} {
			seed++
			add(fmt.Sprintf("go-v%d-big-%v-bs%d.zarr", v, c, c.BlockSize), ArrayOptions{ZarrFormat: v,
				Shape: big, Chunks: []int{1, 300, 500}, DType: Uint16, Codec: c}, imageLike(Uint16, big, seed), false)
		}
		// Label-like runs in streams longer than lz4Runs' sample, with the
		// element size as period (no shuffle) and one byte (shuffled).
		for _, c := range []Codec{BloscLZ4(1), {Name: "blosc", CName: "lz4", Level: 1, Shuffle: NoShuffle}} {
			seed++
			add(fmt.Sprintf("go-v%d-big-runs-%v.zarr", v, strings.ReplaceAll(c.String(), ":", "_")), ArrayOptions{ZarrFormat: v,
				Shape: big, Chunks: []int{1, 300, 500}, DType: Uint16, Codec: c},
				runsOf(rand.New(rand.NewPCG(seed, 98)), product(big)*2, 2), false)
		}
		// Chunks of several planes encoded a plane at a time: blocks of the
		// default size, and blocks of one small plane; an edge chunk.
		for _, c := range []Codec{BloscLZ4(1), {Name: "blosc", CName: "lz4", Level: 1, Shuffle: NoShuffle}, BloscZstd(3)} {
			for _, sh := range [][]int{{5, 256, 512}, {5, 40, 48}} {
				seed++
				add(fmt.Sprintf("go-v%d-byplane-%v-%dx%d.zarr", v, strings.ReplaceAll(c.String(), ":", "_"), sh[1], sh[2]),
					ArrayOptions{ZarrFormat: v, Shape: sh, Chunks: []int{2, sh[1], sh[2]}, DType: Uint16, Codec: c},
					imageLike(Uint16, sh, seed), false)
			}
		}
		add(fmt.Sprintf("go-v%d-partial.zarr", v), ArrayOptions{ZarrFormat: v, Shape: shape, Chunks: []int{1, 16, 33},
			DType: Int32, Codec: Zstd(1), FillValue: -3,
			Attributes: map[string]any{"segstack": map[string]any{"note": "partial", "n": 2.0}}},
			imageLike(Int32, shape, 5), true)
		add(fmt.Sprintf("go-v%d-nan.zarr", v), ArrayOptions{ZarrFormat: v, Shape: shape, Chunks: []int{1, 16, 33},
			DType: Float32, Codec: Gzip(1), FillValue: math.NaN()}, imageLike(Float32, shape, 6), true)
	}
	manifest := filepath.Join(dir, "manifest.json")
	b, err := json.MarshalIndent(map[string]any{"arrays": entries}, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(manifest, b, 0o644))

	for _, py := range []struct{ name, python string }{{"zarr2", systemPython}, {"zarr3", venvPython}} {
		t.Run(py.name, func(t *testing.T) {
			requirePython(t, py.python, "zarr", "numcodecs", "numpy")
			var rep checkReport
			require.NoError(t, json.Unmarshal(runInterop(t, py.python, "check", manifest), &rep))
			require.Len(t, rep.Results, len(entries))
			ok, skipped := 0, 0
			for _, r := range rep.Results {
				switch {
				case r.Skip != "":
					skipped++
				case !r.OK:
					t.Errorf("zarr %s could not read %s: %s", rep.Zarr, r.Name, r.Error)
				default:
					ok++
				}
			}
			t.Logf("zarr %s, numcodecs %s: %d arrays read pixel-exact, %d not readable by this version (v3)", rep.Zarr, rep.Numcodecs, ok, skipped)
		})
	}
}
