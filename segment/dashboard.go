package segment

import "sync/atomic"

// The span kinds of a 2-D run. A plane task runs read, gaussian, threshold
// and label in one go; each is recorded as a span (sched.StartSpan) on the
// worker's row of the dashboard's task stream, and the ordered writer's
// work as write spans on a row of its own, writerRow.
const (
	spanRead      = "read"
	spanGaussian  = "gaussian"
	spanThreshold = "threshold"
	spanLabel     = "label"
	spanWrite     = "write"
	writerRow     = "writer"
)

// planSpans announces n planes' worth of each 2-D span kind, so the
// dashboard shows an ETA per stage.
func (r *run) planSpans(n int) {
	for _, k := range []string{spanRead, spanGaussian, spanThreshold, spanLabel} {
		r.cluster.PlanSpans(k, n)
	}
	if r.sink != nil || r.stats != nil {
		r.cluster.PlanSpans(spanWrite, n)
	}
}

// stageGauges are the stages shown on the dashboard as gauges, in
// pipeline order: the seconds summed over all workers so far, which say
// where the time goes while the run lasts (the task stream shows when).
var stageGauges = []struct {
	name string
	get  func(*StageSeconds) float64
}{
	{"read", func(s *StageSeconds) float64 { return s.Read }},
	{"gaussian", func(s *StageSeconds) float64 { return s.Gaussian }},
	{"threshold", func(s *StageSeconds) float64 { return s.Threshold }},
	{"label", func(s *StageSeconds) float64 { return s.Label }},
	{"merge", func(s *StageSeconds) float64 { return s.Merge }},
	{"write", func(s *StageSeconds) float64 { return s.Write }},
}

// stageSnapshot holds the stage seconds as last published by the goroutine
// that owns Report.Stages, for the dashboard's sampler to read.
type stageSnapshot struct {
	on bool
	p  atomic.Pointer[StageSeconds]
}

// watchStages registers one gauge per stage (segstack_stage_<stage>_seconds
// in /metrics); merge only in Mode3D, where it happens.
func (r *run) watchStages() {
	r.stageSnap.on = true
	for _, g := range stageGauges {
		if g.name == "merge" && r.opt.Mode != Mode3D {
			continue
		}
		get := g.get
		r.dash.RegisterGauge("stage_"+g.name+"_seconds", g.name+" seconds, all workers", func() float64 {
			if s := r.stageSnap.p.Load(); s != nil {
				return get(s)
			}
			return 0
		})
	}
}

// publishStages makes the current stage seconds visible to the gauges. It
// is called by the goroutine that updates Report.Stages, after each plane
// or step.
func (r *run) publishStages() {
	if !r.stageSnap.on {
		return
	}
	s := r.rep.Stages
	r.stageSnap.p.Store(&s)
}
