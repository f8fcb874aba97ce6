package offload

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/stack"
)

// Policy says what the Executor does when a device fails on a tile.
type Policy int

const (
	// FallbackToCPU recomputes the failed tile on the fallback backend and
	// counts it in Stats.FallbackTiles. It is the default.
	FallbackToCPU Policy = iota
	// Fail returns the device's error (a *TileError) from the call.
	Fail
)

// Options tune an Executor. The zero value is a sensible default.
type Options struct {
	// Streams is the number of streams per device, each with its own
	// buffers: with 3, copying tile k+1 in, computing tile k and copying
	// tile k-1 out run at the same time. Default 3.
	Streams int
	// Fallback computes what the devices cannot; default kernels.CPU().
	// The Executor does not close it.
	Fallback kernels.Backend
	// Policy is the response to a failed tile; default FallbackToCPU.
	Policy Policy
	// MemoryFraction is the share of a device's free memory that tiles may
	// take. Default 0.75.
	MemoryFraction float64
	// MaxTileBytes caps the size of one tile's largest device buffer;
	// 0 means only device memory limits it.
	MaxTileBytes int
}

// maxConsecutiveFailures is how many tiles in a row a device may fail
// before it is given no more tiles in that call; the rest go to the other
// devices or to the fallback.
const maxConsecutiveFailures = 3

// minPipelinedTile is the fewest elements a tile is cut down to only to
// keep the pipeline busy.
const minPipelinedTile = 256 << 10

// maxShrinks bounds how often one call halves its tiles after running out
// of device memory before it gives up on the devices.
const maxShrinks = 8

// Stats counts what an Executor did since it was made.
type Stats struct {
	Calls         int64 // Backend calls
	Tiles         int64 // tiles computed on a device
	FallbackTiles int64 // tiles recomputed on the fallback after a device failure
	FallbackCalls int64 // calls run wholly on the fallback
	Shrinks       int64 // re-plans with smaller tiles after ErrOutOfMemory
	DeviceAllocs  int64 // device buffers allocated
	HostAllocs    int64 // pinned host buffers allocated
	Reuses        int64 // buffers taken from the pool instead
	BytesToDevice int64 // bytes copied host to device
	BytesToHost   int64 // bytes copied device to host
	// LastFailure is the most recent device failure that was answered by
	// the fallback, or "".
	LastFailure string
}

type counters struct {
	calls, tiles, fallbackTiles, fallbackCalls, shrinks atomic.Int64
	deviceAllocs, hostAllocs, reuses, toDevice, toHost  atomic.Int64
	lastFailure                                         atomic.Pointer[string]
}

func (c *counters) failed(err error) {
	s := err.Error()
	c.lastFailure.Store(&s)
}

// Executor runs kernels.Backend operations on host volumes with one or more
// Devices: it splits each volume into tiles that fit device memory (with a
// halo of the Gaussian's radius), pipelines them through several streams
// per device so copies overlap kernels, reuses device and pinned buffers
// across calls, spreads tiles over several devices, and recomputes on the
// CPU what a device fails on.
//
// LabelAbove, LabelAbove16 and LabelAboveWithStats label the whole volume
// on one device when every device implements Labeler and the volume fits
// the device with the most free memory, and on the fallback otherwise (or
// after a device failure, as the policy says). Label, LabelChunkAbove,
// Narrow16, Min and the streamed Z pass (GaussianZ) run on the fallback.
//
// An Executor is safe for concurrent use; calls take turns on the devices.
// It owns its devices and closes them in Close.
type Executor struct {
	mu     sync.Mutex // held for a whole call: devices are not concurrent
	devs   []*devState
	opt    Options
	fb     kernels.Backend
	name   string
	stats  counters
	closed bool
}

type devState struct {
	dev     Device
	name    string
	pool    *pool
	streams []Stream
}

// New returns an Executor over devs (at least one).
func New(devs []Device, opt Options) (*Executor, error) {
	if len(devs) == 0 {
		return nil, fmt.Errorf("offload: no devices: %w", kernels.ErrNoDevice)
	}
	if opt.Streams <= 0 {
		opt.Streams = 3
	}
	if opt.MemoryFraction <= 0 || opt.MemoryFraction > 1 {
		opt.MemoryFraction = 0.75
	}
	if opt.MaxTileBytes < 0 {
		return nil, fmt.Errorf("offload: negative MaxTileBytes %d", opt.MaxTileBytes)
	}
	if opt.Policy != FallbackToCPU && opt.Policy != Fail {
		return nil, fmt.Errorf("offload: unknown policy %d", opt.Policy)
	}
	fb := opt.Fallback
	if fb == nil {
		fb = kernels.CPU()
	}
	e := &Executor{opt: opt, fb: fb}
	names := make([]string, len(devs))
	for i, d := range devs {
		if d == nil {
			return nil, fmt.Errorf("offload: device %d is nil", i)
		}
		names[i] = d.Info().Name
		e.devs = append(e.devs, &devState{dev: d, name: names[i], pool: newPool(d, &e.stats)})
	}
	e.name = strings.Join(names, "+")
	return e, nil
}

// Name is the devices' names joined by "+", e.g. "cuda:0+cuda:1".
func (e *Executor) Name() string { return e.name }

// Stats returns the counters so far.
func (e *Executor) Stats() Stats {
	c := &e.stats
	s := Stats{
		Calls: c.calls.Load(), Tiles: c.tiles.Load(), FallbackTiles: c.fallbackTiles.Load(),
		FallbackCalls: c.fallbackCalls.Load(), Shrinks: c.shrinks.Load(),
		DeviceAllocs: c.deviceAllocs.Load(), HostAllocs: c.hostAllocs.Load(), Reuses: c.reuses.Load(),
		BytesToDevice: c.toDevice.Load(), BytesToHost: c.toHost.Load(),
	}
	if p := c.lastFailure.Load(); p != nil {
		s.LastFailure = *p
	}
	return s
}

// Close frees the pooled buffers and the streams and closes the devices.
// Later calls fail.
func (e *Executor) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
	for _, ds := range e.devs {
		errs = append(errs, ds.pool.close())
		for _, s := range ds.streams {
			errs = append(errs, ds.dev.DestroyStream(s))
		}
		ds.streams = nil
		errs = append(errs, ds.dev.Close())
	}
	return errors.Join(errs...)
}

var errClosed = errors.New("offload: executor is closed")

// job is one call's work, described so that the pipeline can run any of
// the operations.
type job struct {
	op      string
	shape   stack.Shape
	halo    [3]int
	wrap    bool
	inSize  int  // bytes per element of the device input
	outSize int  // bytes per element of the device output; 0 for none
	red     bool // the tile yields one float32 (a partial maximum)

	// begin is called with the number of tiles before any runs.
	begin func(n int)
	// load fills in (pinned) with tile t's input.
	load func(t tile, in []byte) error
	// launch enqueues the kernels of tile t on s.
	launch func(d Device, s Stream, t tile, in, out, red Buffer) error
	// store takes tile i's results from pinned memory.
	store func(i int, t tile, out []byte, red float32) error
	// cpu computes tile i on the fallback.
	cpu func(i int, t tile) error
	// whole computes the entire call on the fallback.
	whole func() error

	tiles []tile
}

// slot is a stream with the buffers for one tile in flight on it.
type slot struct {
	stream          Stream
	in, out, red    Buffer
	hin, hout, hred HostBuffer

	busy bool
	idx  int
	err  error // an error enqueueing idx's work
}

// run executes j: plans tiles to fit the devices, pipelines them, and falls
// back to the CPU as the policy says.
func (e *Executor) run(ctx context.Context, j *job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errClosed
	}
	e.stats.calls.Add(1)

	budget, err := e.budget()
	if err != nil {
		return e.wholeOnFallback(j, err)
	}
	for shrink := 0; ; shrink++ {
		if err := e.plan(j, budget); err != nil {
			return e.wholeOnFallback(j, err)
		}
		slots, err := e.acquireAll(j)
		if errors.Is(err, ErrOutOfMemory) && shrink < maxShrinks {
			e.stats.shrinks.Add(1)
			budget /= 2
			continue
		}
		if err != nil {
			return e.wholeOnFallback(j, err)
		}
		err = e.pipeline(ctx, j, slots)
		for i, ds := range e.devs {
			e.release(ds, slots[i])
		}
		return err
	}
}

// wholeOnFallback runs j on the fallback when the devices cannot take it at
// all, or returns why when the policy is Fail.
func (e *Executor) wholeOnFallback(j *job, cause error) error {
	if e.opt.Policy == Fail {
		return fmt.Errorf("offload: %s on %s: %w", j.op, e.name, cause)
	}
	e.stats.fallbackCalls.Add(1)
	e.stats.failed(cause)
	return j.whole()
}

// budget is the bytes one slot may take on the tightest device.
func (e *Executor) budget() (int64, error) {
	best := int64(-1)
	for _, ds := range e.devs {
		free, _, err := ds.dev.MemInfo()
		if err != nil {
			return 0, fmt.Errorf("offload: %s: memory info: %w", ds.name, err)
		}
		b := int64(float64(free+ds.pool.idleBytes) * e.opt.MemoryFraction)
		if best < 0 || b < best {
			best = b
		}
	}
	return best / int64(e.opt.Streams), nil
}

// plan picks the tiles of j for a per-slot budget of bytes.
func (e *Executor) plan(j *job, budget int64) error {
	perElem := int64(j.inSize + j.outSize)
	// Size classes round buffers up by at most a quarter.
	maxElems := budget * 4 / 5 / perElem
	if e.opt.MaxTileBytes > 0 {
		maxElems = min(maxElems, int64(e.opt.MaxTileBytes/max(j.inSize, j.outSize)))
	}
	if maxElems < 1 {
		return fmt.Errorf("offload: %d bytes per stream leave no room for a tile: %w", budget, ErrOutOfMemory)
	}
	// A volume that fits in one tile would leave the copy engines and the
	// kernels taking turns: cut it so that every stream of every device
	// gets about two tiles, but into no smaller tiles than
	// minPipelinedTile, so that halos and per-tile costs stay small.
	inFlight := int64(2 * e.opt.Streams * len(e.devs))
	n := int64(j.shape.Len())
	maxElems = min(maxElems, max((n+inFlight-1)/inFlight, minPipelinedTile))
	chunk, err := planChunk(j.shape, j.halo, j.wrap, int(min(maxElems, int64(j.shape.Len())*64)))
	if err != nil {
		return err
	}
	j.tiles, err = tiles(j.shape, chunk, j.halo, j.wrap)
	return err
}

// maxTileLen is the largest tile's element count.
func maxTileLen(ts []tile) int {
	n := 0
	for _, t := range ts {
		n = max(n, t.shape().Len())
	}
	return n
}

// acquireAll gets streams and buffers for every device. On failure it
// returns everything it got and, for ErrOutOfMemory, empties the pools so
// a smaller plan starts from free memory.
func (e *Executor) acquireAll(j *job) ([][]*slot, error) {
	n := maxTileLen(j.tiles)
	all := make([][]*slot, len(e.devs))
	for i, ds := range e.devs {
		slots, err := e.acquire(ds, j, n)
		if err != nil {
			for k := range i {
				e.release(e.devs[k], all[k])
			}
			if errors.Is(err, ErrOutOfMemory) {
				for _, d := range e.devs {
					err = errors.Join(err, d.pool.flush())
				}
			}
			return nil, err
		}
		all[i] = slots
	}
	return all, nil
}

func (e *Executor) acquire(ds *devState, j *job, n int) ([]*slot, error) {
	for len(ds.streams) < e.opt.Streams {
		s, err := ds.dev.NewStream()
		if err != nil {
			return nil, fmt.Errorf("offload: %s: new stream: %w", ds.name, err)
		}
		ds.streams = append(ds.streams, s)
	}
	slots := make([]*slot, 0, len(ds.streams))
	get := func(s *slot) error {
		var err error
		if s.in, err = ds.pool.get(n * j.inSize); err != nil {
			return err
		}
		if s.hin, err = ds.pool.getHost(n * j.inSize); err != nil {
			return err
		}
		if j.outSize > 0 {
			if s.out, err = ds.pool.get(n * j.outSize); err != nil {
				return err
			}
			if s.hout, err = ds.pool.getHost(n * j.outSize); err != nil {
				return err
			}
		}
		if j.red {
			if s.red, err = ds.pool.get(4); err != nil {
				return err
			}
			if s.hred, err = ds.pool.getHost(4); err != nil {
				return err
			}
		}
		return nil
	}
	for _, st := range ds.streams {
		s := &slot{stream: st}
		slots = append(slots, s)
		if err := get(s); err != nil {
			e.release(ds, slots)
			return nil, fmt.Errorf("offload: %s: buffers for %s tiles of %d elements: %w", ds.name, j.op, n, err)
		}
	}
	return slots, nil
}

func (e *Executor) release(ds *devState, slots []*slot) {
	for _, s := range slots {
		ds.pool.put(s.in)
		ds.pool.put(s.out)
		ds.pool.put(s.red)
		ds.pool.putHost(s.hin)
		ds.pool.putHost(s.hout)
		ds.pool.putHost(s.hred)
	}
}

// claimer hands out tile indices to the device workers.
type claimer struct {
	mu   sync.Mutex
	next int
	n    int
}

func (c *claimer) claim() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next >= c.n {
		return 0, false
	}
	c.next++
	return c.next - 1, true
}

// pipeline runs j's tiles on every device at once, then computes on the
// fallback any tile the devices left (each stops taking tiles after
// repeated failures).
func (e *Executor) pipeline(ctx context.Context, j *job, slots [][]*slot) error {
	j.begin(len(j.tiles))
	c := &claimer{n: len(j.tiles)}
	errs := make([]error, len(e.devs))
	if len(e.devs) == 1 {
		errs[0] = e.worker(ctx, j, e.devs[0], slots[0], c)
	} else {
		var wg sync.WaitGroup
		for i, ds := range e.devs {
			wg.Go(func() { errs[i] = e.worker(ctx, j, ds, slots[i], c) })
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for {
		i, ok := c.claim()
		if !ok {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		e.stats.fallbackTiles.Add(1)
		if err := j.cpu(i, j.tiles[i]); err != nil {
			return fmt.Errorf("offload: %s on the fallback, tile %v: %w", j.op, j.tiles[i].core, err)
		}
	}
}

// worker is one device's loop: the slots are used round robin, so while the
// host prepares tile k+1 in one slot the device still copies and computes
// the earlier tiles of the other slots. A slot's previous tile is finished
// (synchronized and stored) just before the slot is reused.
func (e *Executor) worker(ctx context.Context, j *job, ds *devState, slots []*slot, c *claimer) error {
	k, failures := 0, 0
	drain := func() {
		for _, s := range slots {
			if s.busy {
				_ = ds.dev.Synchronize(s.stream)
				s.busy = false
			}
		}
	}
	finish := func(s *slot) error {
		ok, err := e.finish(ctx, j, ds, s)
		if err != nil {
			drain()
			return err
		}
		if ok {
			failures = 0
		} else {
			failures++
		}
		return nil
	}
	for failures < maxConsecutiveFailures {
		if err := ctx.Err(); err != nil {
			drain()
			return err
		}
		s := slots[k%len(slots)]
		if s.busy {
			if err := finish(s); err != nil {
				return err
			}
			if failures >= maxConsecutiveFailures {
				break
			}
		}
		i, ok := c.claim()
		if !ok {
			break
		}
		e.start(j, ds, s, i)
		k++
	}
	// Finish in the order started.
	for n := range len(slots) {
		if s := slots[(k+n)%len(slots)]; s.busy {
			if err := finish(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// start prepares tile i in s's pinned buffer and enqueues its copies and
// kernels.
func (e *Executor) start(j *job, ds *devState, s *slot, i int) {
	t := j.tiles[i]
	s.busy, s.idx, s.err = true, i, nil
	n := t.shape().Len()
	in := s.hin.Bytes()[:n*j.inSize]
	if s.err = j.load(t, in); s.err != nil {
		return
	}
	if s.err = ds.dev.CopyToDevice(s.stream, s.in, 0, in); s.err != nil {
		return
	}
	e.stats.toDevice.Add(int64(len(in)))
	if s.err = j.launch(ds.dev, s.stream, t, s.in, s.out, s.red); s.err != nil {
		return
	}
	if j.outSize > 0 {
		out := s.hout.Bytes()[:n*j.outSize]
		if s.err = ds.dev.CopyToHost(s.stream, out, s.out, 0); s.err != nil {
			return
		}
		e.stats.toHost.Add(int64(len(out)))
	}
	if j.red {
		if s.err = ds.dev.CopyToHost(s.stream, s.hred.Bytes()[:4], s.red, 0); s.err != nil {
			return
		}
		e.stats.toHost.Add(4)
	}
}

// finish waits for s's tile and stores it, or recomputes it on the
// fallback. ok is false when the device failed on the tile; err is
// non-nil when the call must stop.
func (e *Executor) finish(ctx context.Context, j *job, ds *devState, s *slot) (ok bool, err error) {
	s.busy = false
	t := j.tiles[s.idx]
	derr := s.err
	if serr := ds.dev.Synchronize(s.stream); derr == nil {
		derr = serr
	}
	if derr == nil {
		var red float32
		if j.red {
			red = f32(s.hred.Bytes())
		}
		var out []byte
		if j.outSize > 0 {
			out = s.hout.Bytes()[:t.shape().Len()*j.outSize]
		}
		if derr = j.store(s.idx, t, out, red); derr == nil {
			e.stats.tiles.Add(1)
			return true, nil
		}
	}
	te := &TileError{Device: ds.name, Op: j.op, Tile: t.core, Err: derr}
	if e.opt.Policy == Fail {
		return false, te
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	e.stats.fallbackTiles.Add(1)
	e.stats.failed(te)
	if err := j.cpu(s.idx, t); err != nil {
		te.Err = errors.Join(derr, fmt.Errorf("CPU fallback: %w", err))
		return false, te
	}
	return false, nil
}
