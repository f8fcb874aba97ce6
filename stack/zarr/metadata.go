package zarr

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Metadata file names.
const (
	v2ArrayFile = ".zarray"
	v2GroupFile = ".zgroup"
	v2AttrsFile = ".zattrs"
	v3File      = "zarr.json"
)

// maxDims bounds the number of dimensions an array may declare.
const maxDims = 32

// arrayMeta is what the metadata of either Zarr version says about an
// array, in the form the reader and writer use.
type arrayMeta struct {
	version   int
	shape     []int
	chunks    []int
	dtype     DType
	byteOrder binary.ByteOrder // of the stored elements
	fill      []byte           // one element, native byte order
	fillValue float64
	// perm is the stored order of the chunk's dimensions: stored dimension
	// k is array dimension perm[k]. Nil means C order.
	perm   []int
	codecs []bytesCodec // in encoding order
	// Chunk keys: v3 "default" keys start with "c"; sep joins the indices.
	v3Keys bool
	sep    string
	// attrs is the attribute object (nil when there is none).
	attrs    json.RawMessage
	dimNames []string
}

// chunkElems is the number of elements of one whole chunk.
func (m *arrayMeta) chunkElems() int {
	n := 1
	for _, c := range m.chunks {
		n *= c
	}
	return n
}

// chunkBytes is the decoded size of one whole chunk.
func (m *arrayMeta) chunkBytes() int { return m.chunkElems() * m.dtype.Size() }

// gridShape is the number of chunks along each dimension.
func (m *arrayMeta) gridShape() []int {
	g := make([]int, len(m.shape))
	for i, s := range m.shape {
		g[i] = (s + m.chunks[i] - 1) / m.chunks[i]
	}
	return g
}

// chunkKey is the path of a chunk relative to the array, with "/"
// separating directories.
func (m *arrayMeta) chunkKey(idx []int) string {
	var b strings.Builder
	if m.v3Keys {
		b.WriteString("c")
	}
	for i, v := range idx {
		if i > 0 || m.v3Keys {
			b.WriteString(m.sep)
		}
		b.WriteString(strconv.Itoa(v))
	}
	return b.String()
}

// codec describes the bytes codecs as one Codec.
func (m *arrayMeta) codec() Codec {
	var c Codec
	var names []string
	for _, bc := range m.codecs {
		d := bc.codec()
		if d.Name != "crc32c" || c.Name == "" {
			c = d
		}
		names = append(names, d.Name)
	}
	if len(names) > 1 {
		c.Name = strings.Join(names, "+")
	}
	return c
}

// checkLayout validates shape, chunks and the element count of a chunk.
func checkLayout(shape, chunks []int, dt DType, maxChunk int64) error {
	if len(shape) == 0 {
		return unsupportedf("zero-dimensional arrays")
	}
	if len(shape) > maxDims {
		return formatErrorf("%d dimensions, more than %d", len(shape), maxDims)
	}
	if len(chunks) != len(shape) {
		return formatErrorf("chunks %v do not match shape %v", chunks, shape)
	}
	total := uint64(1)
	chunk := uint64(dt.Size())
	for i := range shape {
		if shape[i] < 0 {
			return formatErrorf("shape %v has a negative extent", shape)
		}
		if chunks[i] < 1 {
			return formatErrorf("chunks %v: every chunk extent must be positive", chunks)
		}
		hi, lo := bits.Mul64(total, uint64(shape[i]))
		if hi != 0 || lo > math.MaxInt64/8 {
			return formatErrorf("shape %v has too many elements", shape)
		}
		total = lo
		hi, lo = bits.Mul64(chunk, uint64(chunks[i]))
		if hi != 0 || lo > math.MaxInt64/8 {
			return formatErrorf("chunks %v are too large", chunks)
		}
		chunk = lo
	}
	if maxChunk > 0 && chunk > uint64(maxChunk) {
		return &LimitError{What: fmt.Sprintf("a chunk of shape %v", chunks), Size: chunk, Limit: uint64(maxChunk)}
	}
	if chunk > math.MaxInt32*4 {
		return unsupportedf("chunks of %d bytes", chunk)
	}
	return nil
}

// toInts converts JSON integers to ints, refusing values out of range.
func toInts(what string, v []int64) ([]int, error) {
	out := make([]int, len(v))
	for i, x := range v {
		if x < 0 || x > math.MaxInt32*int64(1<<20) {
			if x < 0 {
				return nil, formatErrorf("%s %v has a negative entry", what, v)
			}
			return nil, formatErrorf("%s %v has an absurd entry", what, v)
		}
		out[i] = int(x)
	}
	return out, nil
}

// --- fill values ---

// parseFill reads a fill value: a JSON number, null (zero), or for float
// types "NaN", "Infinity", "-Infinity" or (v3) a hexadecimal bit pattern,
// which is kept exactly in m.fill.
func (m *arrayMeta) parseFill(raw json.RawMessage) error {
	v, bitsHex, err := parseFill(raw, m.dtype)
	if err != nil {
		return err
	}
	m.setFill(v)
	if bitsHex != nil {
		m.fill = bitsHex
	}
	return nil
}

func parseFill(raw json.RawMessage, dt DType) (float64, []byte, error) {
	v, err := parseFillValue(raw, dt)
	if err != nil || !dt.Float() {
		return v, nil, err
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && strings.HasPrefix(s, "0x") {
		u, _ := strconv.ParseUint(s[2:], 16, 64)
		b := make([]byte, dt.Size())
		if dt == Float32 {
			native.PutUint32(b, uint32(u))
		} else {
			native.PutUint64(b, u)
		}
		return v, b, nil
	}
	return v, nil, nil
}

func parseFillValue(raw json.RawMessage, dt DType) (float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, formatErrorf("fill_value %s: %v", raw, err)
		}
		if !dt.Float() {
			return 0, formatErrorf("fill_value %q for an integer type", s)
		}
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if h, ok := strings.CutPrefix(s, "0x"); ok {
			u, err := strconv.ParseUint(h, 16, 64)
			if err != nil || len(h) != 2*dt.Size() {
				return 0, formatErrorf("fill_value %q is not a %d-byte hexadecimal pattern", s, dt.Size())
			}
			if dt == Float32 {
				return float64(math.Float32frombits(uint32(u))), nil
			}
			return math.Float64frombits(u), nil
		}
		return 0, formatErrorf("fill_value %q", s)
	}
	if raw[0] == 't' || raw[0] == 'f' { // booleans: true/false
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return 0, formatErrorf("fill_value %s", raw)
		}
		if b {
			return 1, nil
		}
		return 0, nil
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, formatErrorf("fill_value %s is not a number", raw)
	}
	if !fitsDType(v, dt) {
		return 0, formatErrorf("fill_value %s does not fit %v", raw, dt)
	}
	return v, nil
}

// fillJSON formats a fill value for metadata.
func fillJSON(v float64, dt DType) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case dt.Float():
		return v
	}
	return int64(v)
}

// canonicalNaN is the NaN numpy and most C code produce (Go's math.NaN
// sets a payload bit).
var canonicalNaN = math.Float64frombits(0x7ff8000000000000)

func (m *arrayMeta) setFill(v float64) {
	if math.IsNaN(v) {
		v = canonicalNaN
	}
	m.fillValue = v
	m.fill = make([]byte, m.dtype.Size())
	fromFloat64(m.fill, m.dtype, v)
}

// --- Zarr v2 ---

type v2Array struct {
	ZarrFormat         *int            `json:"zarr_format"`
	Shape              []int64         `json:"shape"`
	Chunks             []int64         `json:"chunks"`
	DType              json.RawMessage `json:"dtype"`
	Compressor         json.RawMessage `json:"compressor"`
	FillValue          json.RawMessage `json:"fill_value"`
	Order              string          `json:"order"`
	Filters            json.RawMessage `json:"filters"`
	DimensionSeparator string          `json:"dimension_separator,omitempty"`
}

// parseV2 reads a .zarray document; attrs is the .zattrs document or nil.
func parseV2(doc, attrs []byte, maxChunk int64) (*arrayMeta, error) {
	var a v2Array
	if err := json.Unmarshal(doc, &a); err != nil {
		return nil, formatErrorf("%s is not valid JSON: %v", v2ArrayFile, err)
	}
	if a.ZarrFormat == nil || *a.ZarrFormat != 2 {
		return nil, formatErrorf("%s does not declare zarr_format 2", v2ArrayFile)
	}
	m := &arrayMeta{version: 2, sep: "."}
	var err error
	if m.shape, err = toInts("shape", a.Shape); err != nil {
		return nil, err
	}
	if m.chunks, err = toInts("chunks", a.Chunks); err != nil {
		return nil, err
	}
	var ts string
	if err := json.Unmarshal(a.DType, &ts); err != nil {
		return nil, unsupportedf("structured data type %s", a.DType)
	}
	if m.dtype, m.byteOrder, err = parseV2DType(ts); err != nil {
		return nil, err
	}
	if err := checkLayout(m.shape, m.chunks, m.dtype, maxChunk); err != nil {
		return nil, err
	}
	if err := m.parseFill(a.FillValue); err != nil {
		return nil, err
	}
	switch a.Order {
	case "C":
	case "F":
		m.perm = make([]int, len(m.shape))
		for i := range m.perm {
			m.perm[i] = len(m.shape) - 1 - i
		}
	default:
		return nil, formatErrorf("order %q (want \"C\" or \"F\")", a.Order)
	}
	switch a.DimensionSeparator {
	case "", ".":
	case "/":
		m.sep = "/"
	default:
		return nil, formatErrorf("dimension_separator %q", a.DimensionSeparator)
	}
	if f := bytes.TrimSpace(a.Filters); len(f) > 0 && string(f) != "null" && string(f) != "[]" {
		var c bytes.Buffer
		if json.Compact(&c, f) == nil {
			f = c.Bytes()
		}
		return nil, unsupportedf("filters %s", f)
	}
	if c := bytes.TrimSpace(a.Compressor); len(c) > 0 && string(c) != "null" {
		bc, err := parseV2Compressor(c)
		if err != nil {
			return nil, err
		}
		m.codecs = []bytesCodec{bc}
	}
	if attrs != nil {
		if err := checkObject(v2AttrsFile, attrs); err != nil {
			return nil, err
		}
		m.attrs = attrs
	}
	return m, nil
}

// checkObject checks that doc is a JSON object.
func checkObject(name string, doc []byte) error {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(doc, &o); err != nil {
		return formatErrorf("%s is not a JSON object: %v", name, err)
	}
	return nil
}

func parseV2Compressor(raw json.RawMessage) (bytesCodec, error) {
	var c struct {
		ID        string `json:"id"`
		Level     *int   `json:"level"`
		CName     string `json:"cname"`
		CLevel    int    `json:"clevel"`
		Shuffle   int    `json:"shuffle"`
		BlockSize int    `json:"blocksize"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, formatErrorf("compressor %s: %v", raw, err)
	}
	lvl := 0
	if c.Level != nil {
		lvl = *c.Level
	}
	switch c.ID {
	case "blosc":
		sh := Shuffle(c.Shuffle)
		if c.Shuffle < 0 || c.Shuffle > 2 {
			sh = ByteShuffle // numcodecs' AUTOSHUFFLE; the chunk header says what was done
		}
		return &bloscCodec{cname: c.CName, level: c.CLevel, shuffle: sh, blocksize: c.BlockSize}, nil
	case "zstd":
		return zstdCodec{level: lvl}, nil
	case "zlib":
		return zlibCodec{level: lvl}, nil
	case "gzip":
		return gzipCodec{level: lvl}, nil
	case "lz4":
		return numcodecsLZ4{}, nil
	case "":
		return nil, formatErrorf("compressor %s has no id", raw)
	}
	return nil, unsupportedf("compressor %q", c.ID)
}

// v2Doc builds the .zarray document of m.
func (m *arrayMeta) v2Doc() map[string]any {
	var comp any
	for _, bc := range m.codecs {
		comp = v2CompressorDoc(bc.codec())
	}
	order := "C"
	if m.perm != nil {
		order = "F"
	}
	return map[string]any{
		"zarr_format":         2,
		"shape":               m.shape,
		"chunks":              m.chunks,
		"dtype":               v2DTypeString(m.dtype, m.byteOrder),
		"compressor":          comp,
		"fill_value":          fillJSON(m.fillValue, m.dtype),
		"order":               order,
		"filters":             nil,
		"dimension_separator": m.sep,
	}
}

func v2CompressorDoc(c Codec) map[string]any {
	switch c.Name {
	case "blosc":
		return map[string]any{"id": "blosc", "cname": c.CName, "clevel": c.Level,
			"shuffle": int(c.Shuffle), "blocksize": c.BlockSize}
	default:
		return map[string]any{"id": c.Name, "level": flateOrZstdLevel(c)}
	}
}

func flateOrZstdLevel(c Codec) int {
	if c.Level != 0 {
		return c.Level
	}
	if c.Name == "zstd" {
		return 3
	}
	return 6
}

// --- Zarr v3 ---

type v3Codec struct {
	Name          string          `json:"name"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
}

type v3Node struct {
	ZarrFormat *int            `json:"zarr_format"`
	NodeType   string          `json:"node_type"`
	Shape      []int64         `json:"shape"`
	DataType   json.RawMessage `json:"data_type"`
	ChunkGrid  struct {
		Name          string `json:"name"`
		Configuration struct {
			ChunkShape []int64 `json:"chunk_shape"`
		} `json:"configuration"`
	} `json:"chunk_grid"`
	ChunkKeyEncoding struct {
		Name          string `json:"name"`
		Configuration struct {
			Separator string `json:"separator"`
		} `json:"configuration"`
	} `json:"chunk_key_encoding"`
	FillValue           json.RawMessage   `json:"fill_value"`
	Codecs              []v3Codec         `json:"codecs"`
	Attributes          json.RawMessage   `json:"attributes"`
	DimensionNames      []*string         `json:"dimension_names"`
	StorageTransformers []json.RawMessage `json:"storage_transformers"`
}

// parseV3Node reads a zarr.json document far enough to tell its kind.
func parseV3Node(doc []byte) (*v3Node, error) {
	var n v3Node
	if err := json.Unmarshal(doc, &n); err != nil {
		return nil, formatErrorf("%s is not valid JSON: %v", v3File, err)
	}
	if n.ZarrFormat == nil || *n.ZarrFormat != 3 {
		return nil, formatErrorf("%s does not declare zarr_format 3", v3File)
	}
	if a := bytes.TrimSpace(n.Attributes); len(a) > 0 && string(a) != "null" {
		if err := checkObject(v3File+" attributes", a); err != nil {
			return nil, err
		}
	}
	return &n, nil
}

// parseV3 reads the zarr.json document of an array.
func parseV3(doc []byte, maxChunk int64) (*arrayMeta, error) {
	n, err := parseV3Node(doc)
	if err != nil {
		return nil, err
	}
	if n.NodeType != "array" {
		return nil, formatErrorf("%s describes a %q, not an array", v3File, n.NodeType)
	}
	m := &arrayMeta{version: 3, v3Keys: true, sep: "/"}
	if m.shape, err = toInts("shape", n.Shape); err != nil {
		return nil, err
	}
	var dt string
	if err := json.Unmarshal(n.DataType, &dt); err != nil {
		return nil, unsupportedf("data type %s", n.DataType)
	}
	if m.dtype, err = ParseDType(dt); err != nil {
		return nil, err
	}
	if n.ChunkGrid.Name != "regular" {
		return nil, unsupportedf("chunk grid %q (only \"regular\" is read)", n.ChunkGrid.Name)
	}
	if m.chunks, err = toInts("chunk_shape", n.ChunkGrid.Configuration.ChunkShape); err != nil {
		return nil, err
	}
	if err := checkLayout(m.shape, m.chunks, m.dtype, maxChunk); err != nil {
		return nil, err
	}
	switch n.ChunkKeyEncoding.Name {
	case "default":
	case "v2":
		m.v3Keys, m.sep = false, "."
	default:
		return nil, unsupportedf("chunk key encoding %q", n.ChunkKeyEncoding.Name)
	}
	switch s := n.ChunkKeyEncoding.Configuration.Separator; s {
	case "":
	case "/", ".":
		m.sep = s
	default:
		return nil, formatErrorf("chunk key separator %q", s)
	}
	if err := m.parseFill(n.FillValue); err != nil {
		return nil, err
	}
	if len(n.StorageTransformers) > 0 {
		return nil, unsupportedf("storage transformers")
	}
	if err := m.parseV3Codecs(n.Codecs); err != nil {
		return nil, err
	}
	if len(n.DimensionNames) > 0 {
		if len(n.DimensionNames) != len(m.shape) {
			return nil, formatErrorf("%d dimension_names for %d dimensions", len(n.DimensionNames), len(m.shape))
		}
		m.dimNames = make([]string, len(n.DimensionNames))
		for i, s := range n.DimensionNames {
			if s != nil {
				m.dimNames[i] = *s
			}
		}
	}
	if a := bytes.TrimSpace(n.Attributes); len(a) > 0 && string(a) != "null" {
		m.attrs = a
	}
	return m, nil
}

func (m *arrayMeta) parseV3Codecs(codecs []v3Codec) error {
	stage := 0 // 0: array-to-array, 1: bytes-to-bytes
	for _, c := range codecs {
		cfg := c.Configuration
		if len(cfg) == 0 || string(cfg) == "null" {
			cfg = json.RawMessage("{}")
		}
		switch c.Name {
		case "transpose":
			if stage != 0 {
				return formatErrorf("transpose codec after the bytes codec")
			}
			if err := m.addTranspose(cfg); err != nil {
				return err
			}
		case "bytes", "endian":
			if stage != 0 {
				return formatErrorf("two array-to-bytes codecs")
			}
			stage = 1
			var e struct {
				Endian string `json:"endian"`
			}
			if err := json.Unmarshal(cfg, &e); err != nil {
				return formatErrorf("bytes codec configuration %s: %v", cfg, err)
			}
			switch e.Endian {
			case "little":
				m.byteOrder = binary.LittleEndian
			case "big":
				m.byteOrder = binary.BigEndian
			case "":
				if m.dtype.Size() > 1 {
					return formatErrorf("bytes codec without endian for %v", m.dtype)
				}
				m.byteOrder = binary.LittleEndian
			default:
				return formatErrorf("bytes codec endian %q", e.Endian)
			}
		default:
			if stage != 1 {
				if c.Name == "sharding_indexed" {
					return unsupportedf("sharded arrays (sharding_indexed codec)")
				}
				return unsupportedf("codec %q before the bytes codec", c.Name)
			}
			bc, err := parseV3BytesCodec(c.Name, cfg)
			if err != nil {
				return err
			}
			m.codecs = append(m.codecs, bc)
		}
	}
	if stage != 1 {
		return formatErrorf("codecs %v lack an array-to-bytes codec", codecNames(codecs))
	}
	return nil
}

func codecNames(cs []v3Codec) []string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return n
}

func (m *arrayMeta) addTranspose(cfg json.RawMessage) error {
	var t struct {
		Order json.RawMessage `json:"order"`
	}
	if err := json.Unmarshal(cfg, &t); err != nil {
		return formatErrorf("transpose configuration %s: %v", cfg, err)
	}
	nd := len(m.shape)
	var perm []int
	var s string
	if json.Unmarshal(t.Order, &s) == nil {
		perm = make([]int, nd)
		for i := range perm {
			perm[i] = i
			if s == "F" {
				perm[i] = nd - 1 - i
			} else if s != "C" {
				return formatErrorf("transpose order %q", s)
			}
		}
	} else if err := json.Unmarshal(t.Order, &perm); err != nil {
		return formatErrorf("transpose order %s", t.Order)
	}
	if len(perm) != nd {
		return formatErrorf("transpose order %v for %d dimensions", perm, nd)
	}
	seen := make([]bool, nd)
	for _, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			return formatErrorf("transpose order %v is not a permutation", perm)
		}
		seen[p] = true
	}
	// Compose with an earlier transpose: stored k = previous perm[perm[k]].
	if m.perm != nil {
		comp := make([]int, nd)
		for k := range comp {
			comp[k] = m.perm[perm[k]]
		}
		perm = comp
	}
	m.perm = perm
	for k, p := range perm {
		if p != k {
			return nil
		}
	}
	m.perm = nil // identity
	return nil
}

func parseV3BytesCodec(name string, cfg json.RawMessage) (bytesCodec, error) {
	var c struct {
		Level     int             `json:"level"`
		CName     string          `json:"cname"`
		CLevel    int             `json:"clevel"`
		Shuffle   json.RawMessage `json:"shuffle"`
		TypeSize  int             `json:"typesize"`
		BlockSize int             `json:"blocksize"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return nil, formatErrorf("%s codec configuration %s: %v", name, cfg, err)
	}
	switch name {
	case "blosc":
		sh := ByteShuffle
		var s string
		if json.Unmarshal(c.Shuffle, &s) == nil {
			for i, n := range shuffleNames {
				if n == s {
					sh = Shuffle(i)
				}
			}
		}
		return &bloscCodec{cname: c.CName, level: c.CLevel, shuffle: sh, typesize: c.TypeSize, blocksize: c.BlockSize}, nil
	case "zstd":
		return zstdCodec{level: c.Level}, nil
	case "gzip", "numcodecs.gzip":
		return gzipCodec{level: c.Level}, nil
	case "numcodecs.zlib":
		return zlibCodec{level: c.Level}, nil
	case "crc32c":
		return crc32cCodec{}, nil
	case "sharding_indexed":
		return nil, unsupportedf("sharded arrays (sharding_indexed codec)")
	}
	return nil, unsupportedf("codec %q", name)
}

// v3Doc builds the zarr.json document of m.
func (m *arrayMeta) v3Doc() map[string]any {
	codecs := []map[string]any{}
	bytesCodec := map[string]any{"name": "bytes"}
	if m.dtype.Size() > 1 {
		endian := "little"
		if m.byteOrder == binary.BigEndian {
			endian = "big"
		}
		bytesCodec["configuration"] = map[string]any{"endian": endian}
	}
	codecs = append(codecs, bytesCodec)
	for _, bc := range m.codecs {
		c := bc.codec()
		var cfg map[string]any
		switch c.Name {
		case "blosc":
			cfg = map[string]any{"cname": c.CName, "clevel": c.Level, "shuffle": c.Shuffle.String(),
				"typesize": m.dtype.Size(), "blocksize": c.BlockSize}
		case "zstd":
			cfg = map[string]any{"level": flateOrZstdLevel(c), "checksum": true}
		case "gzip":
			cfg = map[string]any{"level": flateOrZstdLevel(c)}
		}
		codecs = append(codecs, map[string]any{"name": c.Name, "configuration": cfg})
	}
	doc := map[string]any{
		"zarr_format": 3,
		"node_type":   "array",
		"shape":       m.shape,
		"data_type":   m.dtype.String(),
		"chunk_grid": map[string]any{"name": "regular",
			"configuration": map[string]any{"chunk_shape": m.chunks}},
		"chunk_key_encoding": map[string]any{"name": "default",
			"configuration": map[string]any{"separator": m.sep}},
		"fill_value": fillJSON(m.fillValue, m.dtype),
		"codecs":     codecs,
		"attributes": m.attrs,
	}
	if m.attrs == nil {
		doc["attributes"] = map[string]any{}
	}
	if len(m.dimNames) > 0 {
		doc["dimension_names"] = m.dimNames
	}
	return doc
}

// marshalDoc formats a metadata document as zarr-python does: indented,
// keys sorted.
func marshalDoc(doc any) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "    ")
	if err != nil {
		return nil, fmt.Errorf("zarr: encoding metadata: %w", err)
	}
	return append(b, '\n'), nil
}
