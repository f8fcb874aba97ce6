package kernels

import (
	"context"
	"errors"

	"github.com/segstack/segstack/stack"
)

// Label labels the non-zero voxels of mask into dst (same shape) and returns
// the number of objects, numbered 1..N as scipy.ndimage.label numbers them.
//
// TODO(label issue): replaced by the two-scan labeller.
func Label(ctx context.Context, dst *stack.Volume[uint32], mask *stack.Volume[uint8], conn Connectivity) (int, error) {
	return 0, errors.New("kernels: Label not implemented yet")
}

// LabelAbove labels the voxels of src that are > t without materialising the mask.
func LabelAbove(ctx context.Context, dst *stack.Volume[uint32], src *stack.Volume[float32], t float32, conn Connectivity) (int, error) {
	return 0, errors.New("kernels: LabelAbove not implemented yet")
}
