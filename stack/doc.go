// Package stack holds image Z-stacks in memory: shapes, element types,
// contiguous row-major volumes with zero-copy plane views, boundary modes,
// and a dask-like chunk grid whose tiles can be extracted with a halo and
// written back.
//
// A 2-D image is a volume with Z = 1. Axes are always ordered (Z, Y, X) and
// X varies fastest in memory.
package stack
