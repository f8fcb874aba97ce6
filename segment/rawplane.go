package segment

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/segstack/segstack/stack"
)

// ReadPlaneOf reads plane z of src into dst (Y*X elements) as T. When src
// stores samples of type T, as the TIFF and Zarr sources of OpenSource do,
// they are copied as stored, so that values float32 cannot hold (labels
// above 2^24) stay exact; other sources are read through ReadPlane and
// converted.
func ReadPlaneOf[T stack.Elem](ctx context.Context, src Source, z int, dst []T) error {
	s := src.Shape()
	if len(dst) != s.PlaneLen() {
		return fmt.Errorf("segment: plane of %d elements, destination has %d", s.PlaneLen(), len(dst))
	}
	if rs, ok := src.(rawSource); ok && rs.rawDType().Stack() == stack.DTypeOf[T]() && rs.rawDType().Size() == stack.DTypeOf[T]().Size() {
		var zero T
		buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)*int(unsafe.Sizeof(zero)))
		return rs.useRaw(ctx, z, buf, func(plane []byte) error {
			if len(plane) != len(buf) {
				return fmt.Errorf("segment: plane %d holds %d bytes, want %d", z, len(plane), len(buf))
			}
			if unsafe.SliceData(plane) != unsafe.SliceData(buf) {
				copy(buf, plane)
			}
			return nil
		})
	}
	f := make([]float32, len(dst))
	if err := src.ReadPlane(ctx, z, f); err != nil {
		return err
	}
	for i, v := range f {
		dst[i] = T(v)
	}
	return nil
}
