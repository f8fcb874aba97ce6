package zarr

import (
	"container/list"
	"sync"
)

// chunkCache keeps recently decoded chunks within a byte budget. Loads of
// one chunk by several goroutines at once are done once.
type chunkCache struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	entries map[int]*cacheEntry
	lru     list.List // of *cacheEntry, most recent first
}

type cacheEntry struct {
	key   int
	data  []byte
	err   error
	ready chan struct{}
	elem  *list.Element
}

func newChunkCache(limit int64) *chunkCache {
	if limit <= 0 {
		return nil
	}
	return &chunkCache{limit: limit, entries: map[int]*cacheEntry{}}
}

// get returns the data under key, calling load once to produce it. The
// returned slice must not be modified.
func (c *chunkCache) get(key int, load func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		<-e.ready
		return e.data, e.err
	}
	e := &cacheEntry{key: key, ready: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	e.data, e.err = load()

	c.mu.Lock()
	if e.err != nil {
		delete(c.entries, key)
	} else {
		e.elem = c.lru.PushFront(e)
		c.used += int64(len(e.data))
		for c.used > c.limit && c.lru.Len() > 1 {
			old := c.lru.Back().Value.(*cacheEntry)
			c.lru.Remove(old.elem)
			delete(c.entries, old.key)
			c.used -= int64(len(old.data))
		}
	}
	c.mu.Unlock()
	close(e.ready)
	return e.data, e.err
}
