package main

import (
	"bufio"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were taken.
type Machine struct {
	CPU string `json:"cpu"`
	// CPUID is "family F model M stepping S" and Cache the cache size
	// /proc/cpuinfo gives, for a CPU whose name says little.
	CPUID string `json:"cpu_id,omitempty"`
	Cache string `json:"cpu_cache,omitempty"`
	// Virtual is true when the CPU reports running under a hypervisor.
	Virtual    bool     `json:"virtual_machine"`
	Cores      int      `json:"logical_cores"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	CPUFlags   []string `json:"cpu_simd_flags"`
	// Backend is the kernels backend segstack chose here, with its SIMD
	// path ("cpu/avx512", …).
	Backend   string            `json:"segstack_backend"`
	MemoryGiB float64           `json:"memory_gib"`
	Kernel    string            `json:"os_kernel"`
	Go        string            `json:"go"`
	Python    map[string]string `json:"python,omitempty"`
	// LoadStart and LoadEnd are the 1-minute load averages when the run
	// began and ended: other work on a shared machine shows here.
	LoadStart float64 `json:"load_avg_start"`
	LoadEnd   float64 `json:"load_avg_end"`
	Note      string  `json:"note"`
	// RSSFloorMiB is the peak RSS every measured process inherits from
	// bench/cmd/peakrss, which starts it: figures below it mean nothing.
	RSSFloorMiB float64 `json:"rss_floor_mib"`
}

func describeMachine() Machine {
	m := Machine{
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go:         runtime.Version(),
		LoadStart:  loadAvg(),
	}
	var id [3]string
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch {
			case k == "model name" && m.CPU == "":
				m.CPU = v
			case k == "cpu family" && id[0] == "":
				id[0] = v
			case k == "model" && id[1] == "":
				id[1] = v
			case k == "stepping" && id[2] == "":
				id[2] = v
			case k == "cache size" && m.Cache == "":
				m.Cache = v
			}
			if k == "flags" && m.CPUFlags == nil {
				for _, fl := range strings.Fields(v) {
					if fl == "hypervisor" {
						m.Virtual = true
					}
					if fl == "sse4_2" || fl == "avx" || fl == "avx2" || fl == "fma" || strings.HasPrefix(fl, "avx512") {
						m.CPUFlags = append(m.CPUFlags, fl)
					}
				}
			}
		}
		f.Close()
	}
	if m.CPU == "" {
		m.CPU = runtime.GOARCH
	}
	if id[0] != "" {
		m.CPUID = "family " + id[0] + " model " + id[1] + " stepping " + id[2]
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = runtime.GOOS + " " + strings.TrimSpace(string(b))
	} else {
		m.Kernel = runtime.GOOS
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if r := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(b); r != nil {
			kb, _ := strconv.ParseFloat(string(r[1]), 64)
			m.MemoryGiB = float64(int(kb/(1<<20)*10)) / 10
		}
	}
	return m
}

func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// slug names the machine in file names: "intel-xeon-processor-2c".
func (m Machine) slug() string {
	s := strings.ToLower(m.CPU)
	s = regexp.MustCompile(`\(r\)|\(tm\)|cpu|@.*$`).ReplaceAllString(s, "")
	s = strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(s, "-"), "-")
	if s == "" {
		s = runtime.GOARCH
	}
	return s + "-" + strconv.Itoa(m.Cores) + "c"
}
