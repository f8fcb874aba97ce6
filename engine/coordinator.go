package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/segstack/segstack/internal/outfile"
	"github.com/segstack/segstack/kernels"
	"github.com/segstack/segstack/segment"
	"github.com/segstack/segstack/stack/zarr"
)

// Progress is what a coordinator reports while a job runs.
type Progress struct {
	Job   string
	Phase string
	// Done and Total count the phase's tasks; Planes and PlanesTotal the
	// job's planes over every pass.
	Done, Total         int
	Planes, PlanesTotal int
	// Workers is the number of workers heard from in the last 3 s.
	Workers int
	// Resumed is whether the coordinator took up a job already running.
	Resumed bool
}

// SubmitOptions configure a coordinator.
type SubmitOptions struct {
	Settings Settings
	// Progress, when not nil, is called from one goroutine as tasks finish.
	Progress func(Progress)

	// volatile leaves the output's chunks unsynced when their tasks are
	// acknowledged: for RunEmbedded, whose tasks and their state die with
	// the process that writes the chunks.
	volatile bool
}

// Outcome describes a finished job.
type Outcome struct {
	Job        string
	Resumed    bool
	Objects    int64
	LabelDType string
	Tasks      int
}

// Submit runs the job opt describes on the workers reachable through nc
// and returns when its output is complete and in place. Started again with
// the same options while the job runs (after the coordinator was killed,
// say), it resumes the job. The output must be a new OME-Zarr image
// (-o NAME.ome.zarr); Stats may name its CSV; previews, reports, TIFF and
// plain Zarr outputs belong to local runs.
func Submit(ctx context.Context, nc *nats.Conn, opt segment.Options, so SubmitOptions) (out Outcome, err error) {
	if err := checkSubmit(opt); err != nil {
		return out, err
	}
	src, closeSrc, err := segment.OpenSource(opt.Input, opt.Channel)
	if err != nil {
		return out, err
	}
	defer closeSrc()
	spec, err := specOf(opt, src.Shape())
	if err != nil {
		return out, err
	}
	sopt, err := spec.Options()
	if err != nil {
		return out, err
	}
	b, err := kernels.Select("cpu")
	if err != nil {
		return out, err
	}
	defer b.Close()
	tasks, err := segment.NewTasks(sopt, src, b)
	if err != nil {
		return out, err
	}
	res, err := open(ctx, nc, so.Settings)
	if err != nil {
		return out, err
	}
	c := &coordinator{nc: nc, res: res, spec: spec, tasks: tasks, so: so, force: opt.Force}
	return c.run(ctx)
}

// checkSubmit refuses what the engine does not write.
func checkSubmit(opt segment.Options) error {
	switch {
	case opt.Source != nil:
		return errors.New("the engine reads its input from a file that every worker can open")
	case opt.Output == "":
		return errors.New("no output given")
	case opt.Preview != "" || opt.Report != "" || opt.Dashboard != "":
		return errors.New("previews, reports and the dashboard belong to local runs; the engine writes labels and statistics")
	}
	f := opt.Format
	if f == segment.FormatAuto {
		f = segment.FormatOf(opt.Output)
	}
	if f != segment.FormatOMEZarr {
		return fmt.Errorf("output %s: the engine writes OME-Zarr images (NAME.ome.zarr), which many workers can write at once", opt.Output)
	}
	for _, p := range []string{opt.Output, opt.Stats} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil && !opt.Force {
			return fmt.Errorf("%s: %w", p, segment.ErrExists)
		}
		if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
			return fmt.Errorf("output %s: directory %s does not exist", p, filepath.Dir(p))
		}
	}
	return nil
}

type coordinator struct {
	nc      *nats.Conn
	res     *resources
	spec    *Spec
	tasks   *segment.Tasks
	so      SubmitOptions
	force   bool
	resumed bool
	mu      sync.Mutex
	seen    map[string]time.Time // worker heartbeats
	planes  int
}

func (c *coordinator) kv() jetstream.KeyValue { return c.res.kv }

func (c *coordinator) putState(ctx context.Context, st *State) error {
	st.Updated = time.Now().UTC()
	b, _ := json.Marshal(st)
	_, err := c.kv().Put(ctx, stateKey(c.spec.ID), b)
	return err
}

func (c *coordinator) state(ctx context.Context) (*State, error) {
	e, err := c.kv().Get(ctx, stateKey(c.spec.ID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return nil, fmt.Errorf("job %s: state: %w", c.spec.ID, err)
	}
	return &st, nil
}

func (c *coordinator) run(ctx context.Context) (out Outcome, err error) {
	id := c.spec.ID
	out.Job = id
	st, err := c.state(ctx)
	if err != nil {
		return out, err
	}
	if st != nil && st.Status == "running" {
		c.resumed = true
	} else {
		if err := c.start(ctx); err != nil {
			return out, err
		}
		st = &State{Status: "running", Phase: c.firstPhase(), Started: time.Now().UTC()}
		if err := c.putState(ctx, st); err != nil {
			return out, err
		}
	}
	out.Resumed = c.resumed
	c.seen = map[string]time.Time{}
	hb, err := c.nc.Subscribe(heartbeatSubject+"*", func(m *nats.Msg) {
		c.mu.Lock()
		c.seen[strings.TrimPrefix(m.Subject, heartbeatSubject)] = time.Now()
		c.mu.Unlock()
	})
	if err != nil {
		return out, err
	}
	defer hb.Unsubscribe()
	defer func() {
		if err != nil && ctx.Err() == nil {
			st.Status, st.Error = "failed", err.Error()
			c.putState(context.Background(), st)
			os.RemoveAll(c.spec.Stage)
			c.purge(context.Background())
		}
	}()
	obj, dt, ntasks, err := c.phases(ctx, st)
	if err != nil {
		return out, err
	}
	out.Objects, out.LabelDType, out.Tasks = obj, dt, ntasks
	st.Status, st.Phase, st.Objects, st.LabelDType = "done", "", obj, dt
	if err := c.putState(ctx, st); err != nil {
		return out, err
	}
	if !c.so.volatile { // an embedded server goes with its results
		c.purge(ctx)
	}
	return out, nil
}

func (c *coordinator) firstPhase() string {
	if c.spec.Mode == "3d" {
		return phaseSmooth
	}
	return phasePlane
}

// start clears what an earlier run of the job left and creates the stage:
// the image group and, in 3-D, the smoothed volume.
func (c *coordinator) start(ctx context.Context) error {
	if !c.so.volatile { // an embedded server starts empty
		c.purge(ctx)
		c.kv().Delete(ctx, failKey(c.spec.ID))
	}
	if err := os.RemoveAll(c.spec.Stage); err != nil {
		return err
	}
	b, _ := json.Marshal(c.spec)
	if _, err := c.kv().Put(ctx, specKey(c.spec.ID), b); err != nil {
		return err
	}
	img, _, _, err := c.tasks.ImageOptions(zarr.Uint16)
	if err != nil {
		return err
	}
	// The arrays' pending metadata tells every worker that joins them to
	// sync each chunk before its task is acknowledged.
	img.Durable = !c.so.volatile
	iw, err := zarr.JoinImage(ctx, c.spec.Stage, img, zarr.Join{Create: true})
	if err != nil {
		return err
	}
	if err := iw.Release(); err != nil {
		return err
	}
	// The scratch files live in the stage, beside the image's levels,
	// and go before the stage is moved into place.
	if err := os.MkdirAll(c.spec.scratch(), 0o755); err != nil {
		return err
	}
	if c.spec.Mode == "3d" {
		s := c.spec.Shape
		f, err := os.Create(c.spec.smoothedPath())
		if err != nil {
			return err
		}
		err = f.Truncate(4 * int64(s[0]) * int64(s[1]) * int64(s[2]))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("smoothed volume: %w", err)
		}
	}
	return nil
}

// purge drops the job's results and queued tasks.
func (c *coordinator) purge(ctx context.Context) {
	if s, err := c.res.js.Stream(ctx, Stream); err == nil {
		s.Purge(ctx, jetstream.WithPurgeSubject(taskSubject+c.spec.ID))
	}
	if keys, err := c.kv().ListKeys(ctx, jetstream.MetaOnly()); err == nil {
		prefix := c.spec.ID + ".res."
		for k := range keys.Keys() {
			if strings.HasPrefix(k, prefix) {
				c.kv().Purge(ctx, k)
			}
		}
	}
}

// phases runs the job's passes from st.Phase on.
func (c *coordinator) phases(ctx context.Context, st *State) (objects int64, dtype string, ntasks int, err error) {
	s := c.spec
	opt := c.tasks.Options()
	c.planes = 0
	var p []*Result
	if s.Mode != "3d" {
		if p, err = c.phase(ctx, st, phasePlane, func(i int) Task { return Task{} }); err != nil {
			return
		}
		offsets := make([]uint64, len(p))
		var total, maxLabel uint64
		for z, r := range p {
			offsets[z] = total
			if opt.Numbering == segment.NumberUnique {
				total += uint64(r.N)
				maxLabel = total
			} else {
				maxLabel = max(maxLabel, uint64(r.N))
			}
		}
		if opt.Numbering != segment.NumberUnique {
			clear(offsets)
		}
		dt, err := segment.LabelType(opt.LabelDType, maxLabel)
		if err != nil {
			return 0, "", 0, err
		}
		if err := c.enter(ctx, st, phaseWrite, dt); err != nil {
			return 0, "", 0, err
		}
		if _, err := c.phase(ctx, st, phaseWrite, func(z int) Task {
			return Task{Offset: offsets[z], MaxLabel: maxLabel, DType: dt.String(), N: p[z].N}
		}); err != nil {
			return 0, "", 0, err
		}
		var objs []segment.Object
		for z, r := range p {
			for _, o := range r.Objects {
				o.Label += uint32(offsets[z])
				objs = append(objs, o)
			}
			objects += int64(r.N)
		}
		ntasks = 2 * len(p)
		return objects, dt.String(), ntasks, c.commit(ctx, st, p, dt, maxLabel, objs)
	}
	sm, err := c.phase(ctx, st, phaseSmooth, func(int) Task { return Task{} })
	if err != nil {
		return
	}
	lo, hi := sm[0].SLo, sm[0].SHi
	for _, r := range sm {
		lo, hi = min(lo, r.SLo), max(hi, r.SHi)
	}
	thr := opt.Threshold.Resolve(nil, hi)
	if opt.Threshold.Kind == kernels.ThresholdOtsu {
		// Otsu's histogram over the whole smoothed volume: a part per
		// slab, counted by the workers, merged here.
		hs, err := c.phase(ctx, st, phaseHistogram, func(int) Task { return Task{Range: &[2]float32{lo, hi}} })
		if err != nil {
			return 0, "", 0, err
		}
		h := kernels.NewOtsuHistogram(lo, hi)
		for k, r := range hs {
			if err := h.AddCounts(r.Counts); err != nil {
				return 0, "", 0, fmt.Errorf("histogram of slab %d: %w", k, err)
			}
		}
		thr = h.Threshold()
	}
	if s.Split != nil {
		return c.split(ctx, st, sm, thr)
	}
	if _, err = c.phase(ctx, st, phaseLabel, func(int) Task { return Task{Threshold: thr} }); err != nil {
		return
	}
	rl, err := c.merge(ctx, st)
	if err != nil {
		return
	}
	dt, err := segment.LabelType(opt.LabelDType, uint64(rl.N))
	if err != nil {
		return
	}
	if err = c.enter(ctx, st, phaseRelabel, dt); err != nil {
		return
	}
	if _, err = c.phase(ctx, st, phaseRelabel, func(int) Task {
		return Task{Threshold: thr, MaxLabel: uint64(rl.N), DType: dt.String()}
	}); err != nil {
		return
	}
	var objs []segment.Object
	if s.Stats != "" {
		objs = segment.ObjectsOf(rl.Regions, -1, 0)
	}
	ntasks = len(sm) + 2*s.tasks(phaseLabel)
	if opt.Threshold.Kind == kernels.ThresholdOtsu {
		ntasks += s.tasks(phaseHistogram)
	}
	return int64(rl.N), dt.String(), ntasks, c.commit(ctx, st, sm, dt, uint64(rl.N), objs)
}

// split runs the rest of a 3-D job that splits touching objects: the
// split over the whole volume (one task, its labels to a scratch file),
// then the labels written slab by slab.
func (c *coordinator) split(ctx context.Context, st *State, sm []*Result, thr float32) (objects int64, dtype string, ntasks int, err error) {
	s, opt := c.spec, c.tasks.Options()
	sp, err := c.phase(ctx, st, phaseSplit, func(int) Task { return Task{Threshold: thr} })
	if err != nil {
		return
	}
	n := uint64(sp[0].N)
	dt, err := segment.LabelType(opt.LabelDType, n)
	if err != nil {
		return
	}
	if err = c.enter(ctx, st, phaseRelabel, dt); err != nil {
		return
	}
	if _, err = c.phase(ctx, st, phaseRelabel, func(int) Task {
		return Task{Threshold: thr, MaxLabel: n, DType: dt.String()}
	}); err != nil {
		return
	}
	var objs []segment.Object
	if s.Stats != "" {
		if err = readGob(s.splitObjectsPath(), &objs); err != nil {
			return
		}
	}
	ntasks = len(sm) + 1 + s.tasks(phaseRelabel)
	if opt.Threshold.Kind == kernels.ThresholdOtsu {
		ntasks += s.tasks(phaseHistogram)
	}
	return int64(n), dt.String(), ntasks, c.commit(ctx, st, sm, dt, n, objs)
}

// merge joins the labelled slabs into the volume's numbering (once; a
// resumed coordinator reads it back).
func (c *coordinator) merge(ctx context.Context, st *State) (*kernels.Relabeling, error) {
	s := c.spec
	if st.Phase == phaseRelabel || st.Phase == phaseCommit {
		var rl kernels.Relabeling
		if err := readGob(s.relabelPath(), &rl); err == nil {
			return &rl, nil
		}
	}
	opt := c.tasks.Options()
	m, err := kernels.NewChunkMerger(c.tasks.Slabs(), opt.Connectivity)
	if err != nil {
		return nil, err
	}
	for k := range s.tasks(phaseLabel) {
		var ch kernels.ChunkLabels
		if err := readGob(s.chunkPath(k), &ch); err != nil {
			return nil, err
		}
		if err := m.Add(ctx, &ch); err != nil {
			return nil, err
		}
	}
	rl, err := m.Relabeling(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeGob(s.relabelPath(), rl); err != nil {
		return nil, err
	}
	return rl, nil
}

// enter creates the label image of type dt and records the phase, once.
func (c *coordinator) enter(ctx context.Context, st *State, phase string, dt zarr.DType) error {
	if st.Phase == phase || st.Phase == phaseCommit {
		return nil
	}
	_, lab, name, err := c.tasks.ImageOptions(dt)
	if err != nil {
		return err
	}
	lab.Durable = !c.so.volatile
	// A coordinator killed while it created the label image left part of
	// it; no task of the phase was published before the phase was
	// recorded, so nothing else is there.
	if err := os.RemoveAll(filepath.Join(c.spec.Stage, "labels")); err != nil {
		return err
	}
	lw, err := zarr.JoinImage(ctx, filepath.Join(c.spec.Stage, "labels", name), lab, zarr.Join{Create: true, Label: true, Name: name})
	if err != nil {
		return err
	}
	if err := lw.Release(); err != nil {
		return err
	}
	st.Phase = phase
	return c.putState(ctx, st)
}

// phase publishes the tasks of a phase that have no result yet and waits
// for every result. A phase already passed returns its stored results.
func (c *coordinator) phase(ctx context.Context, st *State, phase string, task func(int) Task) ([]*Result, error) {
	s := c.spec
	n := s.tasks(phase)
	results := make([]*Result, n)
	done := 0
	w, err := c.kv().Watch(ctx, s.ID+".>")
	if err != nil {
		return nil, err
	}
	defer func() { stopWatch(w) }()
	reconnects := c.nc.Stats().Reconnects
	prefix := s.ID + ".res." + phase + "."
	handle := func(e jetstream.KeyValueEntry) error {
		k := e.Key()
		if k == failKey(s.ID) && e.Operation() == jetstream.KeyValuePut {
			return fmt.Errorf("job %s failed: %s", s.ID, e.Value())
		}
		if !strings.HasPrefix(k, prefix) || e.Operation() != jetstream.KeyValuePut {
			return nil
		}
		var i int
		if _, err := fmt.Sscanf(k[len(prefix):], "%d", &i); err != nil || i < 0 || i >= n {
			return nil
		}
		var r Result
		if err := json.Unmarshal(e.Value(), &r); err != nil {
			return fmt.Errorf("result of %s task %d: %w", phase, i, err)
		}
		if results[i] == nil {
			done++
		}
		results[i] = &r
		return nil
	}
	// The stored results first (a resumed job), up to the watcher's
	// marker.
	for e := range w.Updates() {
		if e == nil {
			break
		}
		if err := handle(e); err != nil {
			return nil, err
		}
	}
	if done < n {
		if err := c.publish(ctx, st, phase, results, task); err != nil {
			return nil, err
		}
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	c.report(phase, done, n)
	for done < n {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
			c.report(phase, done, n)
			if r := c.nc.Stats().Reconnects; r != reconnects && c.nc.IsConnected() {
				// The server came back: a new watch replays the stored
				// results rather than waiting for the old one to notice.
				nw, err := c.kv().Watch(ctx, s.ID+".>")
				if err == nil {
					stopWatch(w)
					w, reconnects = nw, r
				}
			}
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("the job bucket's watch ended")
			}
			if e == nil {
				continue
			}
			if err := handle(e); err != nil {
				return nil, err
			}
			c.report(phase, done, n)
		}
	}
	c.planes += s.Shape[0]
	return results, nil
}

// publish publishes the tasks of a phase that have no result, a window
// of them at a time, each with a message ID that the stream's duplicate
// window uses to drop a task a resumed coordinator publishes again.
func (c *coordinator) publish(ctx context.Context, st *State, phase string, results []*Result, task func(int) Task) error {
	const window = 2048
	s := c.spec
	var acks []jetstream.PubAckFuture
	// wait waits for the acknowledgements of all but the last keep tasks.
	wait := func(keep int) error {
		for len(acks) > keep {
			select {
			case <-acks[0].Ok():
			case err := <-acks[0].Err():
				return fmt.Errorf("publish a %s task: %w", phase, err)
			case <-ctx.Done():
				return ctx.Err()
			}
			acks = acks[1:]
		}
		return nil
	}
	for i := range results {
		if results[i] != nil {
			continue
		}
		t := task(i)
		t.Job, t.Phase, t.Index, t.Run = s.ID, phase, i, st.Started.UnixNano()
		b, _ := json.Marshal(t)
		m := &nats.Msg{Subject: taskSubject + s.ID, Data: b, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("%s.%s.%d.%d", s.ID, phase, i, st.Started.UnixNano()))
		a, err := c.res.js.PublishMsgAsync(m)
		if err != nil {
			return fmt.Errorf("publish %s task %d: %w", phase, i, err)
		}
		acks = append(acks, a)
		if err := wait(window); err != nil {
			return err
		}
	}
	return wait(0)
}

// stopWatch stops a watch and takes what its subscription still hands
// it, so that no goroutine of the client stays blocked on the watch.
func stopWatch(w jetstream.KeyWatcher) {
	w.Stop()
	go func() {
		for {
			select {
			case _, ok := <-w.Updates():
				if !ok {
					return
				}
			case <-time.After(250 * time.Millisecond):
				return
			}
		}
	}()
}

func (c *coordinator) report(phase string, done, n int) {
	if c.so.Progress == nil {
		return
	}
	passes := 2
	if c.spec.Mode == "3d" {
		passes = 3
		if c.spec.Threshold == "otsu" {
			passes = 4
		}
	}
	alive := 0
	c.mu.Lock()
	for id, t := range c.seen {
		if time.Since(t) < 3*time.Second {
			alive++
		} else {
			delete(c.seen, id)
		}
	}
	c.mu.Unlock()
	z := c.spec.Shape[0]
	c.so.Progress(Progress{Job: c.spec.ID, Phase: phase, Done: done, Total: n,
		Planes: c.planes + done*z/max(n, 1), PlanesTotal: passes * z, Workers: alive, Resumed: c.resumed})
}

// commit writes the metadata of the image and the labels, last, the
// statistics, and moves the store into place.
func (c *coordinator) commit(ctx context.Context, st *State, copied []*Result, dt zarr.DType, maxLabel uint64, objs []segment.Object) error {
	s := c.spec
	st.Phase = phaseCommit
	if err := c.putState(ctx, st); err != nil {
		return err
	}
	img, lab, name, err := c.tasks.ImageOptions(dt)
	if err != nil {
		return err
	}
	iw, err := zarr.JoinImage(ctx, s.Stage, img, zarr.Join{})
	if err != nil {
		return err
	}
	for _, r := range copied {
		if r.Lo <= r.Hi {
			iw.Observe(0, r.Lo, r.Hi, 0)
		}
	}
	lw, err := zarr.JoinImage(ctx, filepath.Join(s.Stage, "labels", name), lab, zarr.Join{Label: true, Name: name})
	if err != nil {
		iw.Release()
		return err
	}
	lw.Observe(0, 1, 0, maxLabel)
	if err := lw.Close(); err != nil {
		iw.Release()
		return err
	}
	if err := iw.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(s.scratch()); err != nil {
		return err
	}
	// A worker killed while it wrote a chunk left the chunk's temporary
	// file beside it (the task's next delivery wrote the chunk whole).
	if _, err := zarr.RemoveTemporaries(s.Stage); err != nil {
		return err
	}
	if s.Stats != "" {
		if err := c.tasks.WriteStats(s.Stats, objs); err != nil {
			return err
		}
	}
	if err := outfile.ReplaceDir(s.Stage, s.Output); err != nil {
		return fmt.Errorf("move %s into place: %w", s.Output, err)
	}
	return nil
}

// JobInfo is a job as Jobs lists it.
type JobInfo struct {
	ID     string
	Input  string
	Output string
	Mode   string
	State  State
	// Done counts the stored results of the current phase's tasks.
	Done, Total int
}

// Jobs lists the jobs the bucket holds, newest first.
func Jobs(ctx context.Context, nc *nats.Conn) ([]JobInfo, error) {
	res, err := open(ctx, nc, Settings{})
	if err != nil {
		return nil, err
	}
	keys, err := res.kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	var ids []string
	for k := range keys.Keys() {
		parts := strings.SplitN(k, ".", 4)
		switch {
		case len(parts) == 2 && parts[1] == "spec":
			ids = append(ids, parts[0])
		case len(parts) == 4 && parts[1] == "res":
			counts[parts[0]+"."+parts[2]]++
		}
	}
	var out []JobInfo
	for _, id := range ids {
		var spec Spec
		e, err := res.kv.Get(ctx, specKey(id))
		if err != nil || json.Unmarshal(e.Value(), &spec) != nil {
			continue
		}
		ji := JobInfo{ID: id, Input: spec.Input, Output: spec.Output, Mode: spec.Mode}
		if e, err := res.kv.Get(ctx, stateKey(id)); err == nil {
			json.Unmarshal(e.Value(), &ji.State)
		}
		ji.Done, ji.Total = counts[id+"."+ji.State.Phase], spec.tasks(ji.State.Phase)
		out = append(out, ji)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].State.Started.After(out[j].State.Started) })
	return out, nil
}
