package fakedev_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/kernels/offload"
	"github.com/segstack/segstack/kernels/offload/fakedev"
	"github.com/segstack/segstack/stack"
)

// A fake device that fails every Gaussian kernel shows the executor's CPU
// fallback: the answer is still the CPU's, and the device's counters show
// that nothing was left allocated.
func Example() {
	dev := fakedev.New(fakedev.Config{
		Memory: 1 << 20,
		Fault: func(op fakedev.Op) error {
			if op.Name == "gaussian" {
				return errors.New("injected kernel failure")
			}
			return nil
		},
	})
	e, err := offload.New([]offload.Device{dev}, offload.Options{})
	if err != nil {
		panic(err)
	}
	src := stack.New[float32](stack.Shape{Z: 2, Y: 64, X: 64})
	for i := range src.Data {
		src.Data[i] = float32(i % 13)
	}
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}}
	dst, want := stack.New[float32](src.Shape), stack.New[float32](src.Shape)
	if _, err := e.Gaussian(context.Background(), dst, src, opt); err != nil {
		panic(err)
	}
	kernels.CPU().Gaussian(context.Background(), want, src, opt)
	same := true
	for i := range want.Data {
		same = same && want.Data[i] == dst.Data[i]
	}
	st := e.Stats()
	e.Close()
	fmt.Println("identical to the CPU:", same, "fell back:", st.FallbackTiles+st.FallbackCalls > 0)
	fmt.Println("buffers left:", dev.Counts().LiveBuffers)
	// Output:
	// identical to the CPU: true fell back: true
	// buffers left: 0
}
