package engine

import (
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack/zarr"
)

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Root is the directory every path of a job must lie under.
	Root string
	// Workers is the number of tasks run at once, on as many CPU workers
	// of the worker's LocalCluster; 0 means GOMAXPROCS.
	Workers int
	// Device is the kernels' device ("auto", "cpu", "cuda[:N]").
	Device string
	// Settings must match the coordinator's.
	Settings Settings
	// TaskDelay, when set, makes every task take at least this long
	// (tests use it to catch a worker in the middle of a task).
	TaskDelay time.Duration
	// Log, when not nil, receives a line per refused or failed task and,
	// with Verbose, per task started and done.
	Log     func(string)
	Verbose bool
	// LabelCache is the memory, in bytes, in which the worker keeps the
	// labels of the 2-D plane tasks it ran for the write tasks of the same
	// planes, which then need not label them again (a write task whose
	// plane is not kept, having run elsewhere or before a restart, labels
	// it again); 0 means DefaultLabelCache, a negative value keeps none.
	LabelCache int64
}

// DefaultLabelCache is WorkerOptions.LabelCache's default: 512 MiB, the
// labels of 256 planes of 1024×1024 kept as uint16.
const DefaultLabelCache = 512 << 20

// Worker pulls tasks from the work queue and runs them.
type Worker struct {
	nc   *nats.Conn
	res  *resources
	o    WorkerOptions
	id   string
	mu   sync.Mutex
	jobs map[string]*workerJob
	// Done counts the tasks this worker acknowledged.
	Done atomic.Int64
	// cached is the memory the jobs' kept labels hold (labelCache).
	cached atomic.Int64
	// kept and relabelled count the write tasks that found their plane's
	// labels kept and those that labelled it again.
	kept, relabelled atomic.Int64
}

// workerJob is what a worker keeps of a job it runs tasks of.
type workerJob struct {
	// refs counts the tasks running (under Worker.mu); used is when the
	// last one started.
	refs    int
	used    time.Time
	spec    *Spec
	tasks   *segment.Tasks
	closeFn func() error
	backend kernels.Backend
	smooth  *os.File
	rlOnce  sync.Once
	rl      *kernels.Relabeling
	rlErr   error
	// kept are the labels of plane tasks kept for their write tasks,
	// unpacked into planes of unpack16 or unpack32.
	kept               labelCache
	unpack16, unpack32 sync.Pool
	packRuns           sync.Pool // *[]uint32, packLabels' scratch
	// img and lab are the image and label image writers the 2-D tasks
	// share.
	img, lab sharedWriter
}

// sharedWriter is a joined image writer that the tasks of a job's run
// share for the planes they write whole (ImageWriter.WritePlaneNow, on an
// image of one level and chunks one plane deep): one writer's buffers
// serve every task, where a writer per task makes its own. A plane it
// wrote already (its task delivered again), an image whose planes are not
// written whole, and a task that failed get a writer of their own.
type sharedWriter struct {
	mu      sync.Mutex
	run     int64
	dt      zarr.DType
	cur     *heldWriter
	written map[int]bool
}

// heldWriter is a shared writer and the tasks using it; one no longer
// current is released when its last task is done.
type heldWriter struct {
	iw      *zarr.ImageWriter
	users   int
	retired bool
}

// retire releases h once no task uses it (sharedWriter.mu held).
func (h *heldWriter) retire() {
	h.retired = true
	if h.users == 0 && h.iw != nil {
		h.iw.Release()
		h.iw = nil
	}
}

// writer returns the writer of plane z of run for a task, and the function
// the task calls with its error once it wrote the plane (it returns the
// error, or the one releasing the writer made).
func (s *sharedWriter) writer(ctx context.Context, run int64, dt zarr.DType, z int, open func() (*zarr.ImageWriter, error)) (*zarr.ImageWriter, func(error) error, error) {
	own := func() (*zarr.ImageWriter, func(error) error, error) {
		iw, err := open()
		if err != nil {
			return nil, nil, err
		}
		return iw, func(err error) error {
			if rerr := iw.Release(); err == nil {
				err = rerr
			}
			return err
		}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.run != run || s.dt != dt {
		if s.cur != nil {
			s.cur.retire()
			s.cur = nil
		}
		iw, err := open()
		if err != nil {
			return nil, nil, err
		}
		if !iw.WritesNow() {
			iw.Release()
			return own()
		}
		s.cur, s.run, s.dt, s.written = &heldWriter{iw: iw}, run, dt, map[int]bool{}
	}
	if s.written[z] {
		return own()
	}
	s.written[z] = true
	h := s.cur
	h.users++
	return h.iw, func(err error) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		h.users--
		if err != nil && s.cur == h {
			s.cur = nil
			h.retired = true
		}
		if h.retired {
			h.retire()
		}
		return err
	}, nil
}

// close releases the shared writer (no task uses it).
func (s *sharedWriter) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		s.cur.retire()
		s.cur = nil
	}
}

// NewWorker returns a worker on nc.
func NewWorker(ctx context.Context, nc *nats.Conn, o WorkerOptions) (*Worker, error) {
	if o.Root == "" {
		return nil, errors.New("a worker needs a root directory")
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("root %s is not a directory", o.Root)
	}
	o.Root = root
	if o.Workers <= 0 {
		o.Workers = max(1, runtimeProcs())
	}
	if o.Device == "" {
		o.Device = "auto"
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	if o.LabelCache == 0 {
		o.LabelCache = DefaultLabelCache
	}
	res, err := open(ctx, nc, o.Settings)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &Worker{nc: nc, res: res, o: o, id: strings.NewReplacer(".", "_", "*", "_", ">", "_", " ", "_").Replace(host) + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36), jobs: map[string]*workerJob{}}, nil
}

// Run pulls and runs tasks until ctx is done; tasks running then are
// abandoned unacknowledged (they are delivered again).
func (w *Worker) Run(ctx context.Context) error {
	cons, err := w.res.consumer(ctx)
	if err != nil {
		return err
	}
	cl, err := sched.NewLocalCluster(sched.Options{Workers: w.o.Workers})
	if err != nil {
		return err
	}
	defer cl.Shutdown()
	defer w.closeJobs()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	// Heartbeats tell coordinators how many workers are alive.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			w.nc.Publish(heartbeatSubject+w.id, nil)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	it, err := cons.Messages(jetstream.PullMaxMessages(w.o.Workers))
	if err != nil {
		return fmt.Errorf("pull tasks: %w", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		it.Stop()
	}()
	slots := make(chan struct{}, w.o.Workers)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		msg, err := it.Next()
		if err != nil {
			<-slots
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			w.o.Log(fmt.Sprintf("pull: %v", err))
			time.Sleep(100 * time.Millisecond)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The slot is freed once the task's computation is done: the
			// next task computes while this one's result is stored and
			// the task acknowledged.
			release := sync.OnceFunc(func() { <-slots })
			defer release()
			var finish func()
			f := sched.Submit(ctx, cl, func(cctx context.Context) (struct{}, error) {
				finish = w.handle(ctx, cctx, msg)
				return struct{}{}, nil
			}, sched.Name("task"), sched.Kind("task"))
			f.Get(context.Background())
			release()
			if finish != nil {
				finish()
			}
		}()
	}
}

func runtimeProcs() int { return runtimeGOMAXPROCS() }

// handle runs one task message: its computation, on cctx (the cluster
// job's context), and returns what is left, to run outside the cluster:
// storing the result and acknowledging the task, or refusing it (nil when
// nothing is left). ctx is the worker's.
func (w *Worker) handle(ctx, cctx context.Context, msg jetstream.Msg) func() {
	meta, _ := msg.Metadata()
	t, err := ParseTask(msg.Data())
	if err != nil {
		w.o.Log(fmt.Sprintf("refused task on %s: %v", msg.Subject(), err))
		w.fail(ctx, t.Job, err)
		msg.TermWithReason(err.Error())
		return nil
	}
	if msg.Subject() != taskSubject+t.Job {
		err := bad("task of job %s on subject %s", t.Job, msg.Subject())
		w.o.Log(err.Error())
		w.fail(ctx, t.Job, err)
		msg.TermWithReason(err.Error())
		return nil
	}
	delivery := uint64(0)
	if meta != nil {
		delivery = meta.NumDelivered
	}
	if w.o.Verbose {
		w.o.Log(fmt.Sprintf("task %s %s %d delivery %d", t.Job, t.Phase, t.Index, delivery))
	}
	// Heartbeats, until the task is acknowledged, keep it from being
	// delivered again.
	hctx, stop := context.WithCancel(ctx)
	var hb sync.WaitGroup
	hb.Add(1)
	go func() {
		defer hb.Done()
		tk := time.NewTicker(max(w.res.set.AckWait/3, 50*time.Millisecond))
		defer tk.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-tk.C:
				msg.InProgress()
			}
		}
	}()
	res, err := w.run(cctx, t)
	return func() {
		if err == nil {
			err = w.store(ctx, t, res)
		}
		stop()
		hb.Wait()
		if ctx.Err() != nil || (err != nil && cctx.Err() != nil) {
			return // abandoned: delivered again elsewhere
		}
		var bm *BadMessageError
		switch {
		case err == nil:
			if w.o.Verbose {
				// Before the acknowledgement: a task not said done here
				// was not acknowledged by this worker.
				w.o.Log(fmt.Sprintf("done %s %s %d", t.Job, t.Phase, t.Index))
			}
			if err := msg.DoubleAck(ctx); err == nil {
				w.Done.Add(1)
			}
		case errors.As(err, &bm) || errors.Is(err, ErrOutsideRoot) || errors.Is(err, errNoJob):
			w.o.Log(fmt.Sprintf("refused task %s %s %d: %v", t.Job, t.Phase, t.Index, err))
			if !errors.Is(err, errNoJob) {
				w.fail(ctx, t.Job, err)
			}
			msg.TermWithReason(err.Error())
		case meta != nil && int(meta.NumDelivered) >= w.res.set.MaxDeliver:
			w.o.Log(fmt.Sprintf("task %s %s %d failed for the last time: %v", t.Job, t.Phase, t.Index, err))
			w.fail(ctx, t.Job, fmt.Errorf("%s task %d failed %d times: %w", t.Phase, t.Index, meta.NumDelivered, err))
			msg.TermWithReason(err.Error())
		default:
			w.o.Log(fmt.Sprintf("task %s %s %d failed, to be retried: %v", t.Job, t.Phase, t.Index, err))
			msg.NakWithDelay(200 * time.Millisecond)
		}
	}
}

// fail records a job's fatal error for its coordinator.
func (w *Worker) fail(ctx context.Context, job string, err error) {
	if !jobIDPattern.MatchString(job) {
		return
	}
	w.res.kv.Put(ctx, failKey(job), []byte(err.Error()))
}

var errNoJob = errors.New("no such job")

// job returns the worker's state of job id, loading and checking its spec.
func (w *Worker) job(ctx context.Context, id string) (*workerJob, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if j, ok := w.jobs[id]; ok {
		j.refs++
		j.used = time.Now()
		return j, nil
	}
	e, err := w.res.kv.Get(ctx, specKey(id))
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("job %s: %w", id, errNoJob)
		}
		return nil, err
	}
	var spec Spec
	if err := decodeStrict(e.Value(), maxSpecBytes, &spec); err != nil {
		return nil, err
	}
	if spec.ID != id {
		return nil, bad("spec of job %s names job %s", id, spec.ID)
	}
	if err := spec.checkPaths(w.o.Root); err != nil {
		return nil, err
	}
	opt, err := spec.Options()
	if err != nil {
		return nil, err
	}
	j, err := openJob(&spec, opt, w.o.Device)
	if err != nil {
		return nil, err
	}
	w.evict()
	j.refs, j.used = 1, time.Now()
	w.jobs[id] = j
	return j, nil
}

// openJob opens a job's input and prepares its tasks.
func openJob(spec *Spec, opt segment.Options, device string) (*workerJob, error) {
	src, closeSrc, err := segment.OpenSource(opt.Input, opt.Channel)
	if err != nil {
		return nil, err
	}
	if src.Shape().Dims() != spec.Shape {
		closeSrc()
		return nil, fmt.Errorf("input %s is %v, the job says %v", opt.Input, src.Shape().Dims(), spec.Shape)
	}
	b, err := kernels.Select(device)
	if err != nil {
		closeSrc()
		return nil, err
	}
	tasks, err := segment.NewTasks(opt, src, b)
	if err != nil {
		b.Close()
		closeSrc()
		return nil, bad("%v", err)
	}
	j := &workerJob{spec: spec, tasks: tasks, closeFn: closeSrc, backend: b}
	if opt.Mode == segment.Mode3D {
		f, err := os.OpenFile(spec.smoothedPath(), os.O_RDWR, 0)
		if err != nil {
			j.close()
			return nil, fmt.Errorf("smoothed volume: %w", err)
		}
		j.smooth = f
		tasks.UseSmoothed(f)
	}
	return j, nil
}

func (w *Worker) closeJob(j *workerJob) {
	j.kept.drop(&w.cached)
	j.img.close()
	j.lab.close()
	j.close()
}

func (j *workerJob) close() {
	if j.smooth != nil {
		j.smooth.Close()
	}
	j.backend.Close()
	j.closeFn()
}

// keptJobs bounds the jobs a worker keeps open (input, buffers) between
// their tasks.
const keptJobs = 4

// evict closes the idle jobs least recently used past keptJobs - 1.
func (w *Worker) evict() {
	for len(w.jobs) >= keptJobs {
		var oldest string
		for id, j := range w.jobs {
			if j.refs == 0 && (oldest == "" || j.used.Before(w.jobs[oldest].used)) {
				oldest = id
			}
		}
		if oldest == "" {
			return
		}
		w.closeJob(w.jobs[oldest])
		delete(w.jobs, oldest)
	}
}

// done hands a job back after a task.
func (w *Worker) done(j *workerJob) {
	w.mu.Lock()
	j.refs--
	w.mu.Unlock()
}

func (w *Worker) closeJobs() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, j := range w.jobs {
		w.closeJob(j)
		delete(w.jobs, id)
	}
}

// run runs task t and returns its result.
func (w *Worker) run(ctx context.Context, t Task) (*Result, error) {
	start := time.Now()
	j, err := w.job(ctx, t.Job)
	if err != nil {
		return nil, err
	}
	defer w.done(j)
	if err := j.spec.checkTask(t); err != nil {
		return nil, err
	}
	res, err := w.runTask(ctx, j, t)
	if err != nil {
		return nil, err
	}
	if d := w.o.TaskDelay - time.Since(start); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return res, nil
}

// store puts task t's result in the bucket.
func (w *Worker) store(ctx context.Context, t Task, res *Result) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if _, err := w.res.kv.Put(ctx, resKey(t.Job, t.Phase, t.Index), b); err != nil {
		return fmt.Errorf("store the result of %s task %d (%d bytes): %w", t.Phase, t.Index, len(b), err)
	}
	return nil
}

func (w *Worker) runTask(ctx context.Context, j *workerJob, t Task) (*Result, error) {
	switch t.Phase {
	case phasePlane:
		return w.plane(ctx, j, t)
	case phaseWrite:
		return w.write(ctx, j, t)
	case phaseSmooth:
		return j.smoothRun(ctx, t.Index)
	case phaseHistogram:
		return j.histogram(ctx, t)
	case phaseLabel:
		return j.label(ctx, t)
	case phaseSplit:
		return j.split(ctx, t)
	case phaseRelabel:
		if j.spec.Split != nil {
			return j.writeSplit(ctx, t)
		}
		return j.relabel(ctx, t)
	}
	return nil, bad("unknown phase %q", t.Phase)
}

// image joins the job's image (or label image, with dt) for a task. Its
// chunks are synced as the coordinator created the arrays (Durable, in
// their pending metadata): each before the task is acknowledged, except
// in an embedded run.
func (j *workerJob) image(ctx context.Context, label bool, dt zarr.DType) (*zarr.ImageWriter, error) {
	img, lab, name, err := j.tasks.ImageOptions(dt)
	if err != nil {
		return nil, err
	}
	if label {
		return zarr.JoinImage(ctx, filepath.Join(j.spec.Stage, "labels", name), lab, zarr.Join{Label: true, Name: name})
	}
	return zarr.JoinImage(ctx, j.spec.Stage, img, zarr.Join{})
}

// copyPlanes copies input planes z0..z1-1 into the image and returns their
// range.
func (j *workerJob) copyPlanes(ctx context.Context, res *Result, z0, z1 int) error {
	iw, err := j.image(ctx, false, 0)
	if err != nil {
		return err
	}
	for z := z0; z < z1; z++ {
		if err := j.tasks.CopyPlane(ctx, iw, z); err != nil {
			iw.Release()
			return err
		}
	}
	if err := iw.Release(); err != nil {
		return err
	}
	res.Lo, res.Hi, _ = iw.Observed(0)
	if res.Lo > res.Hi || math.IsInf(res.Lo, 0) || math.IsInf(res.Hi, 0) {
		res.Lo, res.Hi = 1, 0
	}
	return nil
}

// plane is a 2-D plane task: the input plane to the image (from the read
// that the labelling makes, where the input allows), the plane's count,
// threshold and statistics to the result, and its labels kept for its
// write task when the worker's label cache has room.
func (w *Worker) plane(ctx context.Context, j *workerJob, t Task) (*Result, error) {
	z := t.Index
	iw, done, err := j.img.writer(ctx, t.Run, 0, z, func() (*zarr.ImageWriter, error) { return j.image(ctx, false, 0) })
	if err != nil {
		return nil, err
	}
	p, err := j.tasks.PlaneWith(ctx, z, segment.PlaneOptions{Stats: true, Narrow: true, Image: iw})
	if err == nil && !p.Copied {
		err = j.tasks.CopyPlane(ctx, iw, z)
	}
	if err = done(err); err != nil {
		j.tasks.Release(p)
		return nil, err
	}
	res := &Result{N: p.N, Threshold: p.Threshold, Objects: p.Objects}
	// A shared writer's range covers the planes of the job it wrote,
	// this one among them: the job's range is the same.
	res.Lo, res.Hi, _ = iw.Observed(0)
	if res.Lo > res.Hi || math.IsInf(res.Lo, 0) || math.IsInf(res.Hi, 0) {
		res.Lo, res.Hi = 1, 0
	}
	if w.o.LabelCache > 0 && w.cached.Load() < w.o.LabelCache {
		runs, _ := j.packRuns.Get().(*[]uint32)
		if runs == nil {
			runs = new([]uint32)
		}
		var kp *packedPlane
		if p.Labels16 != nil {
			kp = packLabels(p.Labels16, p.N, runs)
		} else {
			kp = packLabels(p.Labels, p.N, runs)
		}
		j.packRuns.Put(runs)
		j.kept.put(&w.cached, w.o.LabelCache, t.Run, z, kp)
	}
	j.tasks.Release(p)
	return res, nil
}

// write is a 2-D write task: the plane's labels, offset, to the labels.
// They are the ones its plane task kept in this worker, or, when it ran
// elsewhere (or before a restart, or found no room), made again: which
// costs less than writing every plane's labels to a scratch file and
// reading them back.
func (w *Worker) write(ctx context.Context, j *workerJob, t Task) (*Result, error) {
	if uint64(t.N)+t.Offset > t.MaxLabel {
		return nil, bad("plane %d: %d objects past offset %d exceed the job's largest label %d", t.Index, t.N, t.Offset, t.MaxLabel)
	}
	dt := dtypeOf(t.DType)
	p := &segment.PlaneLabels{}
	kp := j.kept.take(&w.cached, t.Run, t.Index)
	if kp != nil && (kp.n != t.N || kp.pixels != j.spec.Shape[1]*j.spec.Shape[2]) {
		kp = nil
	}
	offset := t.Offset
	if kp != nil {
		// Unpacked with the offset added, in the label image's type.
		w.kept.Add(1)
		p.N = kp.n
		if dt == zarr.Uint16 {
			buf := pooled[uint16](&j.unpack16, kp.pixels)
			defer j.unpack16.Put(buf)
			unpackLabels(*buf, kp, offset)
			p.Labels16 = *buf
		} else {
			buf := pooled[uint32](&j.unpack32, kp.pixels)
			defer j.unpack32.Put(buf)
			unpackLabels(*buf, kp, offset)
			p.Labels = *buf
		}
		offset = 0
	} else {
		var err error
		if p, err = j.tasks.PlaneWith(ctx, t.Index, segment.PlaneOptions{Narrow: true}); err != nil {
			return nil, err
		}
		defer j.tasks.Release(p)
		w.relabelled.Add(1)
		if p.N != t.N {
			return nil, fmt.Errorf("plane %d: %d objects, where its plane task found %d: the input changed during the job", t.Index, p.N, t.N)
		}
	}
	lw, done, err := j.lab.writer(ctx, t.Run, dt, t.Index, func() (*zarr.ImageWriter, error) { return j.image(ctx, true, dt) })
	if err != nil {
		return nil, err
	}
	if err := done(j.tasks.WriteLabels(ctx, lw, dt, t.Index, p, offset, t.MaxLabel)); err != nil {
		return nil, err
	}
	return &Result{Lo: 1}, nil
}

// smoothRun is a 3-D smoothing task: planes to the smoothed volume and the
// input planes to the image.
func (j *workerJob) smoothRun(ctx context.Context, k int) (*Result, error) {
	z0 := k * smoothRun
	z1 := min(j.spec.Shape[0], z0+smoothRun)
	lo, hi, err := j.tasks.SmoothPlanes(ctx, z0, z1)
	if err != nil {
		return nil, err
	}
	if err := j.smooth.Sync(); err != nil {
		return nil, fmt.Errorf("smoothed volume: %w", err)
	}
	res := &Result{SLo: lo, SHi: hi}
	if err := j.copyPlanes(ctx, res, z0, z1); err != nil {
		return nil, err
	}
	return res, nil
}

// histogram is a 3-D histogram task: the slab's part of the smoothed
// volume's Otsu histogram to the result.
func (j *workerJob) histogram(ctx context.Context, t Task) (*Result, error) {
	h, err := j.tasks.HistogramSlab(ctx, t.Index, t.Range[0], t.Range[1])
	if err != nil {
		return nil, err
	}
	return &Result{Counts: h.Counts(), Lo: 1}, nil
}

// label is a 3-D label task: the slab's chunk labels to a scratch file.
func (j *workerJob) label(ctx context.Context, t Task) (*Result, error) {
	ch, err := j.tasks.LabelSlab(ctx, t.Index, t.Threshold)
	if err != nil {
		return nil, err
	}
	if err := writeGob(j.spec.chunkPath(t.Index), ch); err != nil {
		return nil, err
	}
	return &Result{N: ch.N, Lo: 1}, nil
}

// split is a 3-D split task: the whole volume labelled and its touching
// objects split, the labels to a scratch file and, with statistics, the
// objects' rows to another.
func (j *workerJob) split(ctx context.Context, t Task) (*Result, error) {
	lab, n, objs, err := j.tasks.SplitVolume(ctx, t.Threshold)
	if err != nil {
		return nil, err
	}
	f, err := outfile.Create(j.spec.splitLabelsPath())
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(lab.Data))), 4*len(lab.Data))); err != nil {
		f.Abort()
		return nil, fmt.Errorf("write %s: %w", j.spec.splitLabelsPath(), err)
	}
	if err := f.Sync(); err != nil {
		f.Abort()
		return nil, err
	}
	if err := f.Commit(); err != nil {
		return nil, err
	}
	if j.spec.Stats != "" {
		if err := writeGob(j.spec.splitObjectsPath(), objs); err != nil {
			return nil, err
		}
	}
	return &Result{N: n, Lo: 1}, nil
}

// writeSplit is the relabel task of a 3-D job that splits touching
// objects: the slab's planes of the split's labels to the label image.
func (j *workerJob) writeSplit(ctx context.Context, t Task) (*Result, error) {
	f, err := os.Open(j.spec.splitLabelsPath())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dt := dtypeOf(t.DType)
	lw, err := j.image(ctx, true, dt)
	if err != nil {
		return nil, err
	}
	box := j.tasks.Slabs().Box(t.Index)
	plane := make([]uint32, j.spec.Shape[1]*j.spec.Shape[2])
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(plane))), 4*len(plane))
	for z := box.Lo[0]; z < box.Hi[0]; z++ {
		if _, err := f.ReadAt(b, int64(z)*int64(len(b))); err != nil {
			lw.Release()
			return nil, fmt.Errorf("read %s: plane %d: %w", j.spec.splitLabelsPath(), z, err)
		}
		if err := segment.WriteLabelPlane(ctx, lw, dt, z, plane, t.MaxLabel); err != nil {
			lw.Release()
			return nil, err
		}
	}
	return &Result{Lo: 1}, lw.Release()
}

// relabel is a 3-D relabel task: the slab's labels, renumbered, to the
// labels.
func (j *workerJob) relabel(ctx context.Context, t Task) (*Result, error) {
	j.rlOnce.Do(func() {
		var rl kernels.Relabeling
		j.rlErr = readGob(j.spec.relabelPath(), &rl)
		j.rl = &rl
	})
	if j.rlErr != nil {
		return nil, j.rlErr
	}
	lab, err := j.tasks.RelabelSlab(ctx, t.Index, t.Threshold, j.rl)
	if err != nil {
		return nil, err
	}
	defer j.tasks.PutSlab(lab)
	dt := dtypeOf(t.DType)
	lw, err := j.image(ctx, true, dt)
	if err != nil {
		return nil, err
	}
	z0 := j.tasks.Slabs().Box(t.Index).Lo[0]
	for i := range lab.Shape.Z {
		if err := segment.WriteLabelPlane(ctx, lw, dt, z0+i, lab.Plane(i), t.MaxLabel); err != nil {
			lw.Release()
			return nil, err
		}
	}
	return &Result{Lo: 1}, lw.Release()
}

func dtypeOf(s string) zarr.DType {
	if s == "uint32" {
		return zarr.Uint32
	}
	return zarr.Uint16
}

func writeGob(path string, v any) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(v); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func readGob(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := gob.NewDecoder(f).Decode(v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// pooled takes a buffer of n elements from pool (all of one job's planes
// are n elements), or makes one.
func pooled[T any](pool *sync.Pool, n int) *[]T {
	if buf, _ := pool.Get().(*[]T); buf != nil {
		return buf
	}
	b := make([]T, n)
	return &b
}
