package zarr

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireTyped checks that err is one of the package's typed errors.
func requireTyped(t *testing.T, err error, what string) {
	t.Helper()
	require.Error(t, err, what)
	var f FormatError
	var u UnsupportedError
	var l *LimitError
	require.True(t, errors.As(err, &f) || errors.As(err, &u) || errors.As(err, &l), "%s: untyped error %T: %v", what, err, err)
}

const goodV2 = `{"zarr_format": 2, "shape": [4, 6], "chunks": [2, 4], "dtype": "<u2",
 "compressor": null, "fill_value": 0, "order": "C", "filters": null}`

const goodV3 = `{"zarr_format": 3, "node_type": "array", "shape": [4, 6], "data_type": "uint16",
 "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 4]}},
 "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
 "fill_value": 0, "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}`

func TestBadMetadata(t *testing.T) {
	t.Parallel()
	v2 := func(from, to string) string { return strings.Replace(goodV2, from, to, 1) }
	v3 := func(from, to string) string { return strings.Replace(goodV3, from, to, 1) }
	cases := []struct {
		name, file, doc string
		kind            string // "format", "unsupported" or "limit"
	}{
		{"v2 not JSON", v2ArrayFile, `{"zarr_format": 2, "shape": [4`, "format"},
		{"v2 not an object", v2ArrayFile, `[1, 2]`, "format"},
		{"v2 no zarr_format", v2ArrayFile, v2(`"zarr_format": 2,`, ``), "format"},
		{"v2 wrong zarr_format", v2ArrayFile, v2(`"zarr_format": 2`, `"zarr_format": 3`), "format"},
		{"v2 negative shape", v2ArrayFile, v2(`[4, 6]`, `[4, -6]`), "format"},
		{"v2 fractional shape", v2ArrayFile, v2(`[4, 6]`, `[4, 6.5]`), "format"},
		{"v2 absurd shape", v2ArrayFile, v2(`[4, 6]`, `[4000000000000, 4000000000000]`), "format"},
		{"v2 chunks of another rank", v2ArrayFile, v2(`[2, 4]`, `[2, 4, 1]`), "format"},
		{"v2 zero chunk", v2ArrayFile, v2(`[2, 4]`, `[0, 4]`), "format"},
		{"v2 huge chunk", v2ArrayFile, v2(`"chunks": [2, 4]`, `"chunks": [200000, 400000]`), "limit"},
		{"v2 zero dimensions", v2ArrayFile, v2(`[4, 6], "chunks": [2, 4]`, `[], "chunks": []`), "unsupported"},
		{"v2 unknown dtype", v2ArrayFile, v2(`<u2`, `<c8`), "unsupported"},
		{"v2 bad byte order", v2ArrayFile, v2(`<u2`, `!u2`), "unsupported"},
		{"v2 | on a wide type", v2ArrayFile, v2(`<u2`, `|u2`), "format"},
		{"v2 structured dtype", v2ArrayFile, v2(`"<u2"`, `[["a", "<u2"]]`), "unsupported"},
		{"v2 unknown compressor", v2ArrayFile, v2(`"compressor": null`, `"compressor": {"id": "bz2"}`), "unsupported"},
		{"v2 compressor without id", v2ArrayFile, v2(`"compressor": null`, `"compressor": {}`), "format"},
		{"v2 filters", v2ArrayFile, v2(`"filters": null`, `"filters": [{"id": "delta"}]`), "unsupported"},
		{"v2 order", v2ArrayFile, v2(`"C"`, `"K"`), "format"},
		{"v2 separator", v2ArrayFile, v2(`"filters": null`, `"filters": null, "dimension_separator": "-"`), "format"},
		{"v2 fill for ints", v2ArrayFile, v2(`"fill_value": 0`, `"fill_value": "NaN"`), "format"},
		{"v2 fill out of range", v2ArrayFile, v2(`"fill_value": 0`, `"fill_value": 70000`), "format"},
		{"v2 fill fraction", v2ArrayFile, v2(`"fill_value": 0`, `"fill_value": 1.5`), "format"},
		{"v3 not JSON", v3File, `{`, "format"},
		{"v3 group", v3File, `{"zarr_format": 3, "node_type": "group"}`, "format"},
		{"v3 wrong zarr_format", v3File, v3(`"zarr_format": 3`, `"zarr_format": 2`), "format"},
		{"v3 unknown data type", v3File, v3(`"uint16"`, `"complex64"`), "unsupported"},
		{"v3 extension data type", v3File, v3(`"uint16"`, `{"name": "x"}`), "unsupported"},
		{"v3 rectangular grid", v3File, v3(`"regular"`, `"rectangular"`), "unsupported"},
		{"v3 chunk rank", v3File, v3(`[2, 4]`, `[2]`), "format"},
		{"v3 key encoding", v3File, v3(`"default"`, `"other"`), "unsupported"},
		{"v3 separator", v3File, v3(`"separator": "/"`, `"separator": ":"`), "format"},
		{"v3 no bytes codec", v3File, v3(`[{"name": "bytes", "configuration": {"endian": "little"}}]`, `[]`), "format"},
		{"v3 bytes without endian", v3File, v3(`{"endian": "little"}`, `{}`), "format"},
		{"v3 bad endian", v3File, v3(`"little"`, `"middle"`), "format"},
		{"v3 sharding", v3File, v3(`[{"name": "bytes"`, `[{"name": "sharding_indexed"`), "unsupported"},
		{"v3 unknown codec", v3File, v3(`"endian": "little"}}]`, `"endian": "little"}}, {"name": "lzma"}]`), "unsupported"},
		{"v3 compressor first", v3File, v3(`[{"name": "bytes"`, `[{"name": "zstd"}, {"name": "bytes"`), "unsupported"},
		{"v3 two bytes codecs", v3File, v3(`"endian": "little"}}]`, `"endian": "little"}}, {"name": "bytes"}]`), "format"},
		{"v3 transpose not a permutation", v3File, v3(`[{"name": "bytes"`, `[{"name": "transpose", "configuration": {"order": [0, 0]}}, {"name": "bytes"`), "format"},
		{"v3 transpose after bytes", v3File, v3(`"endian": "little"}}]`, `"endian": "little"}}, {"name": "transpose", "configuration": {"order": [1, 0]}}]`), "format"},
		{"v3 storage transformers", v3File, v3(`"fill_value": 0`, `"fill_value": 0, "storage_transformers": [{}]`), "unsupported"},
		{"v3 dimension names", v3File, v3(`"fill_value": 0`, `"fill_value": 0, "dimension_names": ["y"]`), "format"},
		{"v3 short hex fill", v3File, strings.Replace(v3(`"uint16"`, `"float32"`), `"fill_value": 0`, `"fill_value": "0x7fc0"`, 1), "format"},
		{"v3 fill hex for ints", v3File, v3(`"fill_value": 0`, `"fill_value": "0x0000"`), "format"},
		{"v3 attributes not an object", v3File, v3(`"fill_value": 0`, `"fill_value": 0, "attributes": [1]`), "format"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, c.file), []byte(c.doc), 0o644))
		_, err := Open(dir, WithMaxChunkBytes(1<<20))
		require.Error(t, err, c.name)
		var f FormatError
		var u UnsupportedError
		var l *LimitError
		switch c.kind {
		case "format":
			require.True(t, errors.As(err, &f), "%s: want FormatError, got %T %v", c.name, err, err)
		case "unsupported":
			require.True(t, errors.As(err, &u), "%s: want UnsupportedError, got %T %v", c.name, err, err)
		case "limit":
			require.True(t, errors.As(err, &l), "%s: want LimitError, got %T %v", c.name, err, err)
		}
		require.Contains(t, err.Error(), dir, "errors name the array")
	}
	// Sanity: the good documents open.
	for file, doc := range map[string]string{v2ArrayFile: goodV2, v3File: goodV3} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(doc), 0o644))
		_, err := Open(dir)
		require.NoError(t, err, file)
	}
	// Not an array at all.
	_, err := Open(t.TempDir())
	requireTyped(t, err, "empty directory")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, v2GroupFile), []byte(`{"zarr_format": 2}`), 0o644))
	_, err = Open(dir)
	require.ErrorContains(t, err, "group")
	require.NoError(t, os.WriteFile(filepath.Join(dir, v2AttrsFile), []byte(`{"a":`), 0o644))
	_, err = OpenImage(dir)
	requireTyped(t, err, "bad .zattrs")
}

func TestBadChunks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	data := imageLike(Uint16, []int{64, 64}, 9)
	codecs := []Codec{{}, BloscLZ4(5), BloscZstd(5), {Name: "blosc", CName: "zlib", Level: 5, Shuffle: ByteShuffle}, Zstd(3), Zlib(5), Gzip(5)}
	for _, c := range codecs {
		path := filepath.Join(t.TempDir(), "a.zarr")
		writeArray(t, path, ArrayOptions{Shape: []int{64, 64}, Chunks: []int{64, 64}, DType: Uint16, Codec: c}, data)
		chunk := filepath.Join(path, "0", "0")
		good, err := os.ReadFile(chunk)
		require.NoError(t, err)
		damaged := map[string][]byte{
			"empty":      {},
			"truncated":  good[:len(good)/2],
			"one byte":   good[:1],
			"extra":      append(append([]byte(nil), good...), 1, 2, 3),
			"bit flips":  flip(good),
			"all zeroes": make([]byte, len(good)),
		}
		for name, b := range damaged {
			require.NoError(t, os.WriteFile(chunk, b, 0o644))
			a, err := Open(path)
			require.NoError(t, err)
			got := make([]byte, len(data))
			err = a.Read(ctx, []int{0, 0}, []int{64, 64}, got)
			if err == nil {
				// Formats without a checksum may decode damage to other
				// pixels; blosc may ignore trailing bytes. Never the same
				// pixels from a truncated chunk, though.
				require.NotEqual(t, "truncated", name, "%v", c)
				continue
			}
			requireTyped(t, err, c.String()+" "+name)
			require.Contains(t, err.Error(), chunk, "errors name the chunk file")
		}
	}
}

func flip(b []byte) []byte {
	out := append([]byte(nil), b...)
	for i := len(out) / 3; i < len(out); i += 7 {
		out[i] ^= 0xa5
	}
	return out
}

func TestChunkOfWrongSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []Codec{{}, Zstd(1), BloscLZ4(1), Gzip(1)} {
		path := filepath.Join(t.TempDir(), "a.zarr")
		writeArray(t, path, ArrayOptions{Shape: []int{8, 8}, Chunks: []int{8, 8}, DType: Uint8, Codec: c}, bytes.Repeat([]byte{7}, 64))
		// A chunk written for a 4×4 array under the same name.
		small := filepath.Join(t.TempDir(), "b.zarr")
		writeArray(t, small, ArrayOptions{Shape: []int{4, 4}, Chunks: []int{4, 4}, DType: Uint8, Codec: c}, bytes.Repeat([]byte{7}, 16))
		b, err := os.ReadFile(filepath.Join(small, "0", "0"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(path, "0", "0"), b, 0o644))
		a, err := Open(path)
		require.NoError(t, err)
		err = a.Read(ctx, []int{0, 0}, []int{8, 8}, make([]byte, 64))
		requireTyped(t, err, c.String())
	}
}
