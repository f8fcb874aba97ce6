package zarr

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// Shuffle is Blosc's pre-compression filter.
type Shuffle int

// Blosc filters, numbered as Blosc numbers them.
const (
	NoShuffle   Shuffle = 0
	ByteShuffle Shuffle = 1
	BitShuffle  Shuffle = 2
)

var shuffleNames = [...]string{"noshuffle", "shuffle", "bitshuffle"}

// String returns the Zarr v3 name of the filter.
func (s Shuffle) String() string {
	if s < 0 || int(s) >= len(shuffleNames) {
		return fmt.Sprintf("Shuffle(%d)", int(s))
	}
	return shuffleNames[s]
}

// Codec is the compression of an array's chunks. The zero value stores
// chunks uncompressed.
type Codec struct {
	// Name is "blosc", "zstd", "zlib" (Zarr v2 only), "gzip", or "" for
	// none. Reading also reports "crc32c" and chains as "gzip+crc32c".
	Name string
	// Level is the compression level; 0 picks the codec's default (5 for
	// blosc, 3 for zstd, 6 for zlib and gzip). Blosc and the zlib family
	// take 1 to 9, zstd 1 to 22. Blosc LZ4 at level 1, the fastest, looks
	// for runs only (bytes equal to those one element before, or one byte
	// before after a shuffle), which is what label images and the high
	// bytes of microscope images are mostly made of; the output is plain
	// LZ4 that every Blosc reader decodes.
	Level int
	// CName is Blosc's inner compressor: "lz4" (the default when empty),
	// "zstd" or "zlib" for writing; "blosclz" is read as well.
	CName string
	// Shuffle is Blosc's filter; ByteShuffle is what the constructors
	// choose. BitShuffle is read only.
	Shuffle Shuffle
	// BlockSize is Blosc's block size in bytes; 0 picks one.
	BlockSize int
}

// BloscLZ4 returns Blosc with LZ4 and byte shuffle, the fastest codec to
// write and a common choice for images.
func BloscLZ4(level int) Codec {
	return Codec{Name: "blosc", CName: "lz4", Level: level, Shuffle: ByteShuffle}
}

// BloscZstd returns Blosc with Zstandard and byte shuffle: smaller chunks
// than BloscLZ4 for more CPU time.
func BloscZstd(level int) Codec {
	return Codec{Name: "blosc", CName: "zstd", Level: level, Shuffle: ByteShuffle}
}

// Zstd returns plain Zstandard.
func Zstd(level int) Codec { return Codec{Name: "zstd", Level: level} }

// Zlib returns zlib (Zarr v2 only; use Gzip for v3).
func Zlib(level int) Codec { return Codec{Name: "zlib", Level: level} }

// Gzip returns gzip.
func Gzip(level int) Codec { return Codec{Name: "gzip", Level: level} }

// String formats the codec as ParseCodec reads it.
func (c Codec) String() string {
	name := c.Name
	switch c.Name {
	case "":
		return "none"
	case "blosc":
		cname := c.CName
		if cname == "" {
			cname = "lz4"
		}
		name = "blosc-" + cname
		if c.Shuffle != ByteShuffle {
			name += "-" + c.Shuffle.String()
		}
	}
	if c.Level != 0 {
		name += ":" + strconv.Itoa(c.Level)
	}
	return name
}

// ParseCodec reads a codec name as String writes it: "none", "zstd",
// "zlib", "gzip", "blosc-lz4", "blosc-zstd" or "blosc-zlib", each
// optionally followed by ":level" (e.g. "zstd:5"). Blosc codecs use byte
// shuffle unless the name ends in "-noshuffle" ("blosc-lz4-noshuffle").
func ParseCodec(s string) (Codec, error) {
	name, lvl, hasLevel := strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	name, noShuffle := strings.CutSuffix(name, "-noshuffle")
	if noShuffle && !strings.HasPrefix(name, "blosc") {
		return Codec{}, unsupportedf("codec %q: only blosc shuffles", s)
	}
	var c Codec
	switch name {
	case "none", "raw", "":
	case "zstd", "zlib", "gzip":
		c.Name = name
	case "blosc", "blosc-lz4":
		c = BloscLZ4(0)
	case "blosc-zstd":
		c = BloscZstd(0)
	case "blosc-zlib":
		c = Codec{Name: "blosc", CName: "zlib", Shuffle: ByteShuffle}
	default:
		return Codec{}, unsupportedf("codec %q (want none, zstd, zlib, gzip, blosc-lz4, blosc-zstd or blosc-zlib)", s)
	}
	if noShuffle {
		c.Shuffle = NoShuffle
	}
	if hasLevel {
		n, err := strconv.Atoi(lvl)
		if err != nil || n < 1 || n > 22 {
			return Codec{}, fmt.Errorf("zarr: codec %q: level %q is not a number from 1 to 22", s, lvl)
		}
		c.Level = n
	}
	return c, c.check(2) // Create checks the Zarr version
}

// check reports a codec this package cannot write for Zarr version v.
func (c Codec) check(v int) error {
	switch c.Name {
	case "":
		return nil
	case "zstd":
		if c.Level < 0 || c.Level > 22 {
			return fmt.Errorf("zarr: zstd level %d is outside 1..22", c.Level)
		}
		return nil
	case "zlib":
		if v == 3 {
			return unsupportedf("zlib is not a Zarr v3 codec; gzip is its v3 counterpart")
		}
		fallthrough
	case "gzip":
		if c.Level < 0 || c.Level > 9 {
			return fmt.Errorf("zarr: %s level %d is outside 1..9", c.Name, c.Level)
		}
		return nil
	case "blosc":
		switch c.CName {
		case "", "lz4", "zstd", "zlib":
		default:
			return unsupportedf("writing Blosc with %q (lz4, zstd and zlib are written)", c.CName)
		}
		if c.Shuffle != NoShuffle && c.Shuffle != ByteShuffle {
			return unsupportedf("writing Blosc with %v (noshuffle and shuffle are written)", c.Shuffle)
		}
		if c.Level < 0 || c.Level > 9 {
			return fmt.Errorf("zarr: blosc level %d is outside 1..9", c.Level)
		}
		if c.BlockSize < 0 || c.BlockSize > 1<<30 {
			return fmt.Errorf("zarr: blosc block size %d is outside 0..2^30", c.BlockSize)
		}
		return nil
	}
	return unsupportedf("writing codec %q", c.Name)
}

// bytesCodec is one bytes-to-bytes stage of a chunk's encoding.
type bytesCodec interface {
	// encode appends the encoding of src to dst.
	encode(dst, src []byte) ([]byte, error)
	// decode decodes src. When want >= 0 the result must have exactly want
	// bytes and is written into buf when cap(buf) >= want; otherwise the
	// result may have up to limit bytes.
	decode(src []byte, want, limit int, buf []byte) ([]byte, error)
	// codec describes the stage.
	codec() Codec
}

// newBytesCodec returns the stage that writes c for elements of typesize
// bytes. c must have passed check.
func newBytesCodec(c Codec, typesize int) bytesCodec {
	switch c.Name {
	case "zstd":
		return zstdCodec{level: c.Level}
	case "zlib":
		return zlibCodec{level: c.Level}
	case "gzip":
		return gzipCodec{level: c.Level}
	case "blosc":
		if c.CName == "" {
			c.CName = "lz4"
		}
		if c.Level == 0 {
			c.Level = 5
		}
		return &bloscCodec{cname: c.CName, level: c.Level, shuffle: c.Shuffle, blocksize: c.BlockSize, typesize: typesize}
	}
	return nil
}

// wantSize checks a decoded length against the expected one.
func wantSize(name string, got, want int) error {
	if want >= 0 && got != want {
		return formatErrorf("%s data decodes to %d bytes, the chunk has %d", name, got, want)
	}
	return nil
}

// --- zstd ---

type zstdCodec struct{ level int }

func (z zstdCodec) codec() Codec { return Codec{Name: "zstd", Level: z.level} }

var (
	zstdEncoders sync.Map // level -> *zstd.Encoder
	zstdExact    = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecodeAllCapLimit(true), zstd.WithDecoderMaxMemory(1<<34))
		if err != nil {
			panic(err) // options are constant: cannot happen
		}
		return d
	})
	zstdBounded sync.Map // limit -> *zstd.Decoder
)

func zstdEncoder(level int) (*zstd.Encoder, error) {
	if level == 0 {
		level = 3
	}
	if e, ok := zstdEncoders.Load(level); ok {
		return e.(*zstd.Encoder), nil
	}
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("zarr: zstd encoder: %w", err)
	}
	actual, _ := zstdEncoders.LoadOrStore(level, e)
	return actual.(*zstd.Encoder), nil
}

func (z zstdCodec) encode(dst, src []byte) ([]byte, error) {
	e, err := zstdEncoder(z.level)
	if err != nil {
		return nil, err
	}
	return e.EncodeAll(src, dst), nil
}

func (z zstdCodec) decode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	return zstdDecode(src, want, limit, buf)
}

func zstdDecode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	var h zstd.Header
	if err := h.Decode(src); err != nil {
		return nil, formatErrorf("zstd frame header: %v", err)
	}
	if h.HasFCS && want >= 0 && h.FrameContentSize != uint64(want) {
		return nil, formatErrorf("zstd frame holds %d bytes, the chunk has %d", h.FrameContentSize, want)
	}
	var out []byte
	var err error
	if want >= 0 {
		if cap(buf) < want {
			buf = make([]byte, 0, want)
		}
		out, err = zstdExact().DecodeAll(src, buf[:0:want])
	} else {
		d, ok := zstdBounded.Load(limit)
		if !ok {
			nd, derr := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(max(limit, 1))))
			if derr != nil {
				return nil, fmt.Errorf("zarr: zstd decoder: %w", derr)
			}
			d, _ = zstdBounded.LoadOrStore(limit, nd)
		}
		out, err = d.(*zstd.Decoder).DecodeAll(src, nil)
	}
	if err != nil {
		return nil, formatErrorf("zstd: %v", err)
	}
	return out, wantSize("zstd", len(out), want)
}

// --- zlib and gzip ---

type zlibCodec struct{ level int }
type gzipCodec struct{ level int }

func (z zlibCodec) codec() Codec { return Codec{Name: "zlib", Level: z.level} }
func (g gzipCodec) codec() Codec { return Codec{Name: "gzip", Level: g.level} }

var (
	zlibWriters sync.Map // level -> *sync.Pool of *zlib.Writer
	gzipWriters sync.Map // level -> *sync.Pool of *gzip.Writer
	zlibReaders sync.Pool
	gzipReaders sync.Pool
)

func flateLevel(l int) int {
	if l == 0 {
		return 6
	}
	return l
}

func (z zlibCodec) encode(dst, src []byte) ([]byte, error) {
	lvl := flateLevel(z.level)
	p, _ := zlibWriters.LoadOrStore(lvl, &sync.Pool{})
	pool := p.(*sync.Pool)
	out := bytes.NewBuffer(dst)
	w, _ := pool.Get().(*zlib.Writer)
	if w == nil {
		var err error
		if w, err = zlib.NewWriterLevel(out, lvl); err != nil {
			return nil, fmt.Errorf("zarr: zlib: %w", err)
		}
	} else {
		w.Reset(out)
	}
	defer pool.Put(w)
	if _, err := w.Write(src); err != nil {
		return nil, fmt.Errorf("zarr: zlib: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("zarr: zlib: %w", err)
	}
	return out.Bytes(), nil
}

func (g gzipCodec) encode(dst, src []byte) ([]byte, error) {
	lvl := flateLevel(g.level)
	p, _ := gzipWriters.LoadOrStore(lvl, &sync.Pool{})
	pool := p.(*sync.Pool)
	out := bytes.NewBuffer(dst)
	w, _ := pool.Get().(*gzip.Writer)
	if w == nil {
		var err error
		if w, err = gzip.NewWriterLevel(out, lvl); err != nil {
			return nil, fmt.Errorf("zarr: gzip: %w", err)
		}
	} else {
		w.Reset(out)
	}
	defer pool.Put(w)
	if _, err := w.Write(src); err != nil {
		return nil, fmt.Errorf("zarr: gzip: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("zarr: gzip: %w", err)
	}
	return out.Bytes(), nil
}

func (z zlibCodec) decode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	return zlibDecode(src, want, limit, buf)
}

func zlibDecode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	br := bytes.NewReader(src)
	var r io.ReadCloser
	if pr, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := pr.(zlib.Resetter).Reset(br, nil); err != nil {
			return nil, formatErrorf("zlib: %v", err)
		}
		r = pr
	} else {
		var err error
		if r, err = zlib.NewReader(br); err != nil {
			return nil, formatErrorf("zlib: %v", err)
		}
	}
	defer zlibReaders.Put(r)
	return readAllBounded("zlib", r, want, limit, buf)
}

func (g gzipCodec) decode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	br := bytes.NewReader(src)
	r, _ := gzipReaders.Get().(*gzip.Reader)
	if r == nil {
		var err error
		if r, err = gzip.NewReader(br); err != nil {
			return nil, formatErrorf("gzip: %v", err)
		}
	} else if err := r.Reset(br); err != nil {
		return nil, formatErrorf("gzip: %v", err)
	}
	defer gzipReaders.Put(r)
	return readAllBounded("gzip", r, want, limit, buf)
}

// readAllBounded reads r to its end: exactly want bytes when want >= 0,
// else at most limit bytes. Reading to the end makes the reader check its
// trailing checksum.
func readAllBounded(name string, r io.Reader, want, limit int, buf []byte) ([]byte, error) {
	if want >= 0 {
		if cap(buf) < want {
			buf = make([]byte, want)
		}
		buf = buf[:want]
		if _, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, formatErrorf("%s data is shorter than the chunk's %d bytes", name, want)
			}
			return nil, formatErrorf("%s: %v", name, err)
		}
		var one [1]byte
		n, err := r.Read(one[:])
		for n == 0 && err == nil {
			n, err = r.Read(one[:])
		}
		if n > 0 {
			return nil, formatErrorf("%s data is longer than the chunk's %d bytes", name, want)
		}
		if !errors.Is(err, io.EOF) {
			return nil, formatErrorf("%s: %v", name, err)
		}
		return buf, nil
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, formatErrorf("%s: %v", name, err)
	}
	if len(out) > limit {
		return nil, &LimitError{What: name + " data", Size: uint64(len(out)), Limit: uint64(limit)}
	}
	return out, nil
}

// --- crc32c (Zarr v3) ---

type crc32cCodec struct{}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (crc32cCodec) codec() Codec { return Codec{Name: "crc32c"} }

func (crc32cCodec) encode(dst, src []byte) ([]byte, error) {
	dst = append(dst, src...)
	s := crc32.Checksum(src, castagnoli)
	return append(dst, byte(s), byte(s>>8), byte(s>>16), byte(s>>24)), nil
}

func (crc32cCodec) decode(src []byte, want, limit int, buf []byte) ([]byte, error) {
	if len(src) < 4 {
		return nil, formatErrorf("crc32c: %d bytes cannot hold a checksum", len(src))
	}
	body, sum := src[:len(src)-4], src[len(src)-4:]
	s := uint32(sum[0]) | uint32(sum[1])<<8 | uint32(sum[2])<<16 | uint32(sum[3])<<24
	if crc32.Checksum(body, castagnoli) != s {
		return nil, formatErrorf("crc32c checksum mismatch")
	}
	if err := wantSize("crc32c", len(body), want); err != nil {
		return nil, err
	}
	return body, nil
}
