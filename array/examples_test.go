package array_test

import (
	"context"
	"fmt"
	"time"

	"github.com/segstack/segstack/array"
	"github.com/segstack/segstack/delayed"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/stack"
)

// The tutorial's array cells:
//
//	x = da.random.random((100, 100), chunks=(10, 10))
//	y = x + x.T
//	y[::2].shape
//	z = y[::2, 50:].mean(axis=1)
//	z.compute(); y = y.persist(); y.sum().compute()
func Example_daskArray() {
	ctx := context.Background()
	x := array.Random([]int{100, 100}, []int{10, 10}, 0)
	fmt.Print(x.Summary())

	y := x.Add(x.T())
	fmt.Println(y.Slice(array.Every(2)).Shape())

	z := y.Slice(array.Every(2), array.From(50)).Mean(1)
	fmt.Println(z)
	fmt.Println(z.NumChunks(), "chunks,", z.NumTasks(), "tasks")

	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	zr, err := z.Compute(ctx, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := zr.Float64s()
	fmt.Printf("z[:3] = %.6f %.6f %.6f, z[-1] = %.6f\n", v[0], v[1], v[2], v[49])

	y, err = y.Persist(ctx, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("persisted y:", y.NumTasks(), "tasks")
	s, err := y.Sum().Compute(ctx, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	total, _ := s.Scalar()
	fmt.Printf("y.sum() = %.6f\n", total)
	// Output:
	//        Array       Chunk
	// Bytes  78.12 kiB   800 B
	// Shape  (100, 100)  (10, 10)
	// Count  100 chunks  1 graph layer, 100 tasks
	// Type   float64
	// [50 100]
	// array<mean, shape=(50,), dtype=float64, chunksize=(5,)>
	// 10 chunks, 295 tasks
	// z[:3] = 0.994075 0.944992 0.963052, z[-1] = 0.959370
	// persisted y: 100 tasks
	// y.sum() = 9894.655239
}

// The tutorial's delayed loop:
//
//	results = [delayed(inc)(x) for x in data]
//	total = delayed(sum)(results); total.compute()
func Example_delayedIncrement() {
	inc := func(_ context.Context, x int) (int, error) {
		time.Sleep(time.Millisecond) // stands for real work
		return x + 1, nil
	}
	sum := func(_ context.Context, xs []int) (int, error) {
		t := 0
		for _, x := range xs {
			t += x
		}
		return t, nil
	}
	var results []delayed.Value[int]
	for _, x := range []int{1, 2, 3, 4, 5, 6, 7, 8} {
		results = append(results, delayed.Call1("inc", inc, delayed.Of(x)))
	}
	total := delayed.CallN("sum", sum, results)
	fmt.Println(delayed.GraphOf(total).Calls(), "calls")
	v, err := delayed.Compute1(context.Background(), delayed.Parallel(4), total)
	fmt.Println(v, err)
	// Output:
	// 9 calls
	// 44 <nil>
}

// The tutorial's futures loop on a local cluster:
//
//	futures = [client.submit(inc, x) for x in data]
//	client.gather(futures)
func Example_clusterSubmit() {
	ctx := context.Background()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	var futures []*sched.Future[int]
	for _, x := range []int{1, 2, 3, 4, 5, 6, 7, 8} {
		futures = append(futures, sched.Submit(ctx, c, func(context.Context) (int, error) { return x + 1, nil }))
	}
	results, err := sched.Gather(ctx, futures)
	fmt.Println(results, err)
	// Output:
	// [2 3 4 5 6 7 8 9] <nil>
}

// segment is the tutorial's per-plane segmentation: smooth with sigma 1,
// threshold at 0.33 of the smoothed plane's maximum, label (4-connected, as
// scipy.ndimage.label in 2-D). It returns the object count and the number of
// foreground pixels.
func segment(ctx context.Context, plane *stack.Volume[float32]) ([2]int, error) {
	sm := stack.New[float32](plane.Shape)
	mx, err := kernels.Gaussian(ctx, sm, plane, kernels.GaussianOptions{Sigma: [3]float64{0, 1, 1}})
	if err != nil {
		return [2]int{}, err
	}
	t := float32(0.33 * float64(mx))
	labels := stack.New[uint32](plane.Shape)
	n, err := kernels.LabelAbove(ctx, labels, sm, t, kernels.Conn4)
	if err != nil {
		return [2]int{}, err
	}
	fg := 0
	for _, l := range labels.Data {
		if l != 0 {
			fg++
		}
	}
	return [2]int{n, fg}, nil
}

// The first segmentation exercise: one delayed segmentation per plane of a
// random stack, computed together.
func Example_segmentDelayed() {
	ctx := context.Background()
	st := array.Random([]int{10, 100, 100}, []int{10, 10, 10}, 0).Astype(stack.Float32)
	seg := func(ctx context.Context, r *array.Result) ([2]int, error) {
		v, err := array.ToVolume[float32](r)
		if err != nil {
			return [2]int{}, err
		}
		return segment(ctx, v)
	}
	var counts []delayed.Value[[2]int]
	for z := range 10 {
		plane, err := st.Slice(array.At(z)).ToDelayed()
		if err != nil {
			fmt.Println(err)
			return
		}
		counts = append(counts, delayed.Call1("segment", seg, plane))
	}
	all := delayed.CallN("gather", func(_ context.Context, v [][2]int) ([][2]int, error) { return v, nil }, counts)
	res, err := delayed.Compute1(ctx, delayed.Parallel(2), all)
	if err != nil {
		fmt.Println(err)
		return
	}
	for z, r := range res {
		fmt.Printf("plane %d: %d objects, %d foreground pixels\n", z, r[0], r[1])
	}
	// Output:
	// plane 0: 1 objects, 9981 foreground pixels
	// plane 1: 1 objects, 9967 foreground pixels
	// plane 2: 1 objects, 9981 foreground pixels
	// plane 3: 1 objects, 9994 foreground pixels
	// plane 4: 1 objects, 9981 foreground pixels
	// plane 5: 1 objects, 9983 foreground pixels
	// plane 6: 1 objects, 9981 foreground pixels
	// plane 7: 1 objects, 9992 foreground pixels
	// plane 8: 1 objects, 9991 foreground pixels
	// plane 9: 1 objects, 9997 foreground pixels
}

// The second segmentation exercise: the stack computed once, then one task
// per plane submitted to a local cluster and gathered.
func Example_segmentCluster() {
	ctx := context.Background()
	c, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r, err := array.Random([]int{10, 100, 100}, []int{10, 10, 10}, 0).Astype(stack.Float32).Compute(ctx, c)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := array.ToVolume[float32](r)
	if err != nil {
		fmt.Println(err)
		return
	}
	var futures []*sched.Future[[2]int]
	for z := range v.Shape.Z {
		plane := v.PlaneVolume(z)
		futures = append(futures, sched.Submit(ctx, c, func(ctx context.Context) ([2]int, error) { return segment(ctx, plane) }))
	}
	res, err := sched.Gather(ctx, futures)
	if err != nil {
		fmt.Println(err)
		return
	}
	objects := make([]int, len(res))
	for z, r := range res {
		objects[z] = r[0]
	}
	fmt.Println("objects per plane:", objects)
	// Output:
	// objects per plane: [1 1 1 1 1 1 1 1 1 1]
}

// Slices with steps, negative bounds and integer indices, as numpy's.
func ExampleArray_Slice() {
	a := array.FromSlice([]int32{
		0, 1, 2, 3, 4,
		5, 6, 7, 8, 9,
		10, 11, 12, 13, 14,
	}, []int{3, 5}, []int{2, 2})
	show := func(b *array.Array) {
		r, err := b.Compute(context.Background(), delayed.Serial())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.Shape(), r.Float64s())
	}
	show(a.Slice(array.S(nil, nil, 2), array.S(-1, 0, -2))) // a[::2, -1:0:-2]
	show(a.Slice(array.At(1)))                              // a[1]
	show(a.Slice(array.All(), array.Range(1, 3)).T())       // a[:, 1:3].T
	fmt.Println(a.Slice(array.From(5)).Err())
	// Output:
	// [2 2] [4 2 14 12]
	// [5] [5 6 7 8 9]
	// [2 3] [1 6 11 2 7 12]
	// axis 0: array: shape mismatch: slice 5::1 selects nothing from extent 3 (empty arrays are not supported)
}

// A Gaussian filter applied chunk by chunk with halos equals the filter on
// the whole array.
func ExampleMapOverlap() {
	ctx := context.Background()
	opt := kernels.GaussianOptions{Sigma: [3]float64{0, 2, 2}}
	depth := kernels.Depth(opt) // the kernel radius per axis: [0 8 8]
	gauss := func(ctx context.Context, v *stack.Volume[float32]) (*stack.Volume[float32], error) {
		out := stack.New[float32](v.Shape)
		_, err := kernels.Gaussian(ctx, out, v, opt)
		return out, err
	}
	x := array.Random([]int{1, 64, 64}, []int{1, 16, 16}, 7).Astype(stack.Float32)
	chunked := array.MapOverlap(x, array.OverlapOptions{Depth: depth[:], Mode: stack.Reflect}, gauss)
	whole := array.MapBlocks(x.Rechunk([]int{1, 64, 64}), gauss)
	same := chunked.Eq(whole).Min()
	r, err := same.Compute(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := r.Scalar()
	fmt.Println(depth, chunked.NumChunks(), "chunks, equal:", v == 1)
	// Output:
	// [0 8 8] 16 chunks, equal: true
}

// Erosion chunk by chunk: one pass with a halo of one voxel per iteration, scipy's
// border value beyond the array, the same answer as on the whole array.
func ExampleBinaryErosion() {
	ctx := context.Background()
	mask := array.Random([]int{64, 64}, []int{16, 16}, 3).Gt(0.2)
	opt := kernels.MorphOptions{Conn: kernels.Conn8, Iterations: 2}
	chunked := array.BinaryErosion(mask, opt)
	whole := array.BinaryErosion(mask.Rechunk([]int{64, 64}), opt)
	r, err := chunked.Eq(whole).Min().Compute(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := r.Scalar()
	fmt.Println(chunked.NumChunks(), "chunks, equal:", v == 1)
	// Output:
	// 16 chunks, equal: true
}

// The distance transform needs whole planes (or the whole volume): EDT
// rechunks, here to one chunk per plane.
func ExampleEDT() {
	ctx := context.Background()
	x := array.FromSlice([]uint8{
		1, 1, 1, 1, 0,
		1, 1, 1, 1, 1,
		0, 1, 1, 1, 1,
	}, []int{3, 5}, []int{2, 2})
	d := array.EDT(x, []float64{1, 2}, false)
	r, err := d.Compute(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Chunks())
	fmt.Printf("%.3f\n", r.Float64s())
	// Output:
	// [[3] [5]]
	// [2.000 2.828 4.000 2.000 0.000 1.000 2.236 4.123 2.236 1.000 0.000 2.000 4.000 2.828 2.000]
}

// Hole filling and small-object removal on a stack of planes, each plane on
// its own (connectivity 4).
func ExampleFillHoles() {
	ctx := context.Background()
	x := array.FromSlice([]uint8{
		1, 1, 1, 0, 0,
		1, 0, 1, 0, 1,
		1, 1, 1, 0, 0,
	}, []int{1, 3, 5}, []int{1, 2, 2})
	filled := array.RemoveSmallObjects(array.FillHoles(x, kernels.Conn4), 2, kernels.Conn4)
	r, err := filled.Compute(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Float64s())
	// Output:
	// [1 1 1 0 0 1 1 1 0 0 1 1 1 0 0]
}
