//go:build cgo

package main

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"strings"
	"sync"
	"unsafe"
)

// table is a column-major table of float64 values.
type table struct {
	cols []string
	rows int
	data []float64 // column c, row r at c*rows+r
}

func newTable(cols []string, rows int) *table {
	return &table{cols: cols, rows: rows, data: make([]float64, len(cols)*rows)}
}

func (t *table) setRow(r int, vals []float64) {
	for c, v := range vals {
		t.data[c*t.rows+r] = v
	}
}

// result is what a result handle holds: a table and a text (JSON).
type result struct {
	table *table
	text  string
}

var (
	resMu   sync.Mutex
	resNext int64
	results = map[int64]*result{}
)

func storeResult(r *result) int64 {
	resMu.Lock()
	defer resMu.Unlock()
	resNext++
	results[resNext] = r
	return resNext
}

func resultOf(h C.int64_t) *result {
	resMu.Lock()
	defer resMu.Unlock()
	return results[int64(h)]
}

// segstack_free releases a result handle; unknown handles are ignored.
//
//export segstack_free
func segstack_free(h C.int64_t) {
	resMu.Lock()
	delete(results, int64(h))
	resMu.Unlock()
}

// segstack_result_shape stores the rows and columns of a result's table
// (0, 0 without one); it returns -1 for an unknown handle, else 0.
//
//export segstack_result_shape
func segstack_result_shape(h C.int64_t, rows, cols *C.int64_t) C.int {
	r := resultOf(h)
	if r == nil || rows == nil || cols == nil {
		return -1
	}
	*rows, *cols = 0, 0
	if r.table != nil {
		*rows, *cols = C.int64_t(r.table.rows), C.int64_t(len(r.table.cols))
	}
	return 0
}

// segstack_result_columns writes the table's column names, separated by
// commas, into buf (n bytes) and returns the bytes they need with the
// NUL, or -1 for an unknown handle.
//
//export segstack_result_columns
func segstack_result_columns(h C.int64_t, buf *C.char, n C.size_t) C.int64_t {
	r := resultOf(h)
	if r == nil {
		return -1
	}
	if r.table == nil {
		return writeString("", buf, n)
	}
	return writeString(strings.Join(r.table.cols, ","), buf, n)
}

// segstack_result_table copies the table, column-major (rows × cols
// float64 values, column after column), into out; it returns -1 for an
// unknown handle, else 0.
//
//export segstack_result_table
func segstack_result_table(h C.int64_t, out *C.double) C.int {
	r := resultOf(h)
	if r == nil {
		return -1
	}
	if r.table == nil || len(r.table.data) == 0 {
		return 0
	}
	if out == nil {
		return -1
	}
	copy(unsafe.Slice((*float64)(unsafe.Pointer(out)), len(r.table.data)), r.table.data)
	return 0
}

// segstack_result_text writes the result's text (a JSON document) into
// buf (n bytes) and returns the bytes it needs with the NUL, or -1 for an
// unknown handle.
//
//export segstack_result_text
func segstack_result_text(h C.int64_t, buf *C.char, n C.size_t) C.int64_t {
	r := resultOf(h)
	if r == nil {
		return -1
	}
	return writeString(r.text, buf, n)
}
