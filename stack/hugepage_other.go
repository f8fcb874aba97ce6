//go:build !linux

package stack

// adviseHuge does nothing where the system has no huge-page advice.
func adviseHuge[T Number](b []T) {}
