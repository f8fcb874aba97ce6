package offload

import (
	"errors"
	"math/bits"
)

// sizeClass rounds n up to a size of the form m·2^k with m in {4, 5, 6, 7},
// at least 4 KiB, so that buffers for tiles of slightly different sizes are
// shared while no more than a quarter of a buffer is wasted.
func sizeClass(n int) int {
	const minSize = 4 << 10
	if n <= minSize {
		return minSize
	}
	shift := bits.Len(uint(n)) - 3 // keep the top three bits
	m := (n + 1<<shift - 1) >> shift
	return m << shift
}

// pool keeps a device's idle buffers by size class so that later calls
// reuse them instead of allocating. It is used under the Executor's lock.
type pool struct {
	dev       Device
	buffers   map[int][]Buffer
	hosts     map[int][]HostBuffer
	idleBytes int64 // device bytes held idle
	stats     *counters
}

func newPool(dev Device, stats *counters) *pool {
	return &pool{dev: dev, buffers: map[int][]Buffer{}, hosts: map[int][]HostBuffer{}, stats: stats}
}

// takeIdle removes and returns an idle buffer of the smallest size class
// of at least c, with that class; ok is false when there is none. An idle
// buffer larger than asked for is used rather than a new one allocated: it
// costs no more memory than it already holds.
func takeIdle[B any](idle map[int][]B, c int) (b B, size int, ok bool) {
	for k, l := range idle {
		if k >= c && len(l) > 0 && (size == 0 || k < size) {
			size = k
		}
	}
	if size == 0 {
		return b, 0, false
	}
	l := idle[size]
	b = l[len(l)-1]
	idle[size] = l[:len(l)-1]
	return b, size, true
}

// get returns a device buffer of at least n bytes.
func (p *pool) get(n int) (Buffer, error) {
	c := sizeClass(n)
	if b, k, ok := takeIdle(p.buffers, c); ok {
		p.idleBytes -= int64(k)
		p.stats.reuses.Add(1)
		return b, nil
	}
	b, err := p.dev.Alloc(c)
	if errors.Is(err, ErrOutOfMemory) && p.idleBytes > 0 {
		// Idle buffers of other sizes may be what stands in the way.
		if ferr := p.flush(); ferr != nil {
			return nil, ferr
		}
		b, err = p.dev.Alloc(c)
	}
	if err != nil {
		return nil, err
	}
	p.stats.deviceAllocs.Add(1)
	return b, nil
}

// getHost returns pinned host memory of at least n bytes.
func (p *pool) getHost(n int) (HostBuffer, error) {
	c := sizeClass(n)
	if b, _, ok := takeIdle(p.hosts, c); ok {
		p.stats.reuses.Add(1)
		return b, nil
	}
	b, err := p.dev.AllocHost(c)
	if err != nil {
		return nil, err
	}
	p.stats.hostAllocs.Add(1)
	return b, nil
}

func (p *pool) put(b Buffer) {
	if b == nil {
		return
	}
	p.buffers[b.Len()] = append(p.buffers[b.Len()], b)
	p.idleBytes += int64(b.Len())
}

func (p *pool) putHost(b HostBuffer) {
	if b == nil {
		return
	}
	n := len(b.Bytes())
	p.hosts[n] = append(p.hosts[n], b)
}

// flushDevice frees the idle device buffers.
func (p *pool) flush() error {
	var errs []error
	for c, l := range p.buffers {
		for _, b := range l {
			errs = append(errs, p.dev.Free(b))
		}
		delete(p.buffers, c)
	}
	p.idleBytes = 0
	return errors.Join(errs...)
}

// close frees everything idle, device and host.
func (p *pool) close() error {
	errs := []error{p.flush()}
	for c, l := range p.hosts {
		for _, b := range l {
			errs = append(errs, p.dev.FreeHost(b))
		}
		delete(p.hosts, c)
	}
	return errors.Join(errs...)
}
