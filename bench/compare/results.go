package main

// Results is everything one harness run measured; it is written as
// <date>-<machine>.json beside the Markdown table and the plots.
type Results struct {
	// Date is the UTC start of the run (RFC 3339).
	Date    string    `json:"date"`
	Machine Machine   `json:"machine"`
	Config  ConfigDoc `json:"config"`
	// Notes are things a reader must know: skipped anchors, failures.
	Notes []string `json:"notes"`
	// Kernels has one row per kernel, stack size and implementation.
	Kernels []KernelRow `json:"kernels"`
	// KernelProcesses has the peak memory of each kernel process.
	KernelProcesses []ProcRow `json:"kernel_processes"`
	// Pipeline has one row per stack size and implementation.
	Pipeline []PipelineRow `json:"pipeline"`
	// Split has one row per stack size and implementation of the split
	// of touching nuclei (--split watershed against its reference script).
	Split []PipelineRow `json:"split,omitempty"`
	// Python is the python group (the Python package against its anchors).
	Python *PythonResults `json:"python,omitempty"`
	// Targets are the CLI issue's goals on the 64×1024×1024 stack.
	Targets []Target `json:"targets"`
	// Commands are the command lines of the checked runs, one per
	// implementation and phase, so that any figure can be rerun by hand.
	Commands []string `json:"commands"`
	// Seconds is how long the whole harness ran.
	Seconds float64 `json:"seconds"`

	// Files are the paths written.
	Files []string `json:"-"`
}

// ConfigDoc records the settings of the run.
type ConfigDoc struct {
	Command       string   `json:"command"`
	Quick         bool     `json:"quick"`
	KernelSizes   []string `json:"kernel_sizes"`
	PipelineSizes []string `json:"pipeline_sizes"`
	Repeat        int      `json:"repeat"`
	MinTime       float64  `json:"min_time_s"`
	Seed          uint64   `json:"seed"`
	Workers       int      `json:"workers"`
	Anchors       bool     `json:"anchors"`
	SplitSizes    []string `json:"split_sizes,omitempty"`
	SplitDensity  float64  `json:"split_density,omitempty"`
}

// KernelRow is one kernel on one stack through one implementation.
type KernelRow struct {
	Kernel string `json:"kernel"`
	Size   string `json:"size"`
	Voxels int    `json:"voxels"`
	Impl   string `json:"impl"`
	// Check is "reference" for segstack, "ok…" when the output matched
	// segstack's, else why it was not timed.
	Check string `json:"check"`
	Timed bool   `json:"timed"`
	// Seconds per call, one per round (0 where a round failed).
	Seconds []float64 `json:"seconds,omitempty"`
	Median  float64   `json:"median_s,omitempty"`
	// MvoxPerS is voxels / median.
	MvoxPerS float64 `json:"mvox_per_s,omitempty"`
	// Ratio is the paired median of this time / segstack's (how many times
	// faster segstack was); 0 for segstack or when not timed.
	Ratio float64 `json:"ratio_vs_segstack,omitempty"`
	Error string  `json:"error,omitempty"`

	ok bool
}

// ProcRow is the memory of one implementation's kernel processes on one
// stack size (every kernel of that size runs in the one process).
type ProcRow struct {
	Impl    string  `json:"impl"`
	Size    string  `json:"size"`
	Threads string  `json:"threads"`
	PeakRSS float64 `json:"peak_rss_mib"`
	// WorkerPeakRSS are the peaks of dask's worker processes, which the
	// process's own rusage does not add up.
	WorkerPeakRSS []float64 `json:"worker_peak_rss_mib,omitempty"`
	SetupS        float64   `json:"setup_s,omitempty"`
}

// PipelineRow is the end-to-end pipeline (TIFF in, TIFF out) on one stack
// size through one implementation.
type PipelineRow struct {
	Size    string `json:"size"`
	Voxels  int    `json:"voxels"`
	Impl    string `json:"impl"`
	Threads string `json:"threads"`
	Command string `json:"command"`
	Check   string `json:"check"`
	Timed   bool   `json:"timed"`
	// Wall is each process's wall time from start to exit, interpreter
	// start-up and imports included.
	Wall       []float64 `json:"wall_s,omitempty"`
	MedianWall float64   `json:"median_wall_s,omitempty"`
	// InProcess is the time the program itself reports: for Python from
	// after the imports to the output's close; for segstack its report's
	// total.
	InProcess       []float64 `json:"in_process_s,omitempty"`
	MedianInProcess float64   `json:"median_in_process_s,omitempty"`
	Ratio           float64   `json:"ratio_vs_segstack,omitempty"`
	// PeakRSS is the largest peak over the rounds of the process (and the
	// children it waited for), from its rusage.
	PeakRSS       float64   `json:"peak_rss_mib,omitempty"`
	WorkerPeakRSS []float64 `json:"worker_peak_rss_mib,omitempty"`
	// SelfPeakRSS is the largest peak the program reported for itself
	// (VmHWM): segstack's --report, the anchors' reply.
	SelfPeakRSS float64 `json:"self_reported_peak_rss_mib,omitempty"`
	// Stages are segstack's per-stage medians from its --report.
	Stages map[string]float64 `json:"stages_s,omitempty"`
	// CPU is each round's user + system seconds of the process (the split
	// phase records it: on a shared machine it is the fairer one-core
	// measure); CPURatio is the paired median of this / segstack's.
	CPU       []float64 `json:"cpu_s,omitempty"`
	MedianCPU float64   `json:"median_cpu_s,omitempty"`
	CPURatio  float64   `json:"cpu_ratio_vs_segstack,omitempty"`
	Error     string    `json:"error,omitempty"`

	ok bool
}

// Target is one of the performance goals and whether this run met it.
type Target struct {
	Name string  `json:"name"`
	Want string  `json:"want"`
	Got  float64 `json:"got,omitempty"`
	// Status is "met", "not met" or "not measured".
	Status string `json:"status"`
}
