package offload_test

import (
	"context"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/stack"
)

// An Executor over a device with 256 KiB of memory smooths a 2 MiB volume
// in tiles; the result is the CPU's to the bit.
func ExampleExecutor() {
	dev := fakedev.New(fakedev.Config{Memory: 256 << 10})
	e, err := offload.New([]offload.Device{dev}, offload.Options{})
	if err != nil {
		panic(err)
	}
	defer e.Close()

	src := stack.New[float32](stack.Shape{Z: 8, Y: 256, X: 256})
	for i := range src.Data {
		src.Data[i] = float32(i % 97)
	}
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	dst := stack.New[float32](src.Shape)
	m, err := e.Gaussian(context.Background(), dst, src, opt)
	if err != nil {
		panic(err)
	}

	want := stack.New[float32](src.Shape)
	wantMax, _ := kernels.CPU().Gaussian(context.Background(), want, src, opt)
	same := m == wantMax
	for i := range want.Data {
		same = same && want.Data[i] == dst.Data[i]
	}
	st := e.Stats()
	fmt.Println("identical to the CPU:", same)
	fmt.Println("tiled:", st.Tiles > 8, "fallbacks:", st.FallbackTiles+st.FallbackCalls)
	// Output:
	// identical to the CPU: true
	// tiled: true fallbacks: 0
}
