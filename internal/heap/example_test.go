package heap_test

import (
	"fmt"

	"github.com/segstack/segstack/internal/heap"
)

// Tasks queued by priority, lower first; numbering the pushes keeps equal
// priorities in the order they came.
func Example() {
	var q heap.Heap[int, string]
	for i, t := range []struct {
		name     string
		priority int
	}{{"write 0", 2}, {"read 1", 0}, {"label 0", 1}, {"read 2", 0}, {"write 1", 2}} {
		q.Push(t.priority, uint64(i), t.name)
	}
	for q.Len() > 0 {
		pri, _, name := q.Pop()
		fmt.Println(pri, name)
	}
	// Output:
	// 0 read 1
	// 0 read 2
	// 1 label 0
	// 2 write 0
	// 2 write 1
}
