package dashboard

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteMetrics writes the cluster's counters and the dashboard's gauges in
// the Prometheus text exposition format (served at /metrics).
func (d *Dashboard) WriteMetrics(w io.Writer) error {
	snap := d.c.Snapshot(0)
	st := snap.Stats
	rss, heap := memory()
	b := &strings.Builder{}
	family := func(name, typ, help string) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	family("segstack_tasks_total", "counter", "Tasks by kind and outcome: submitted, finished, failed, and attempts retried.")
	for _, k := range st.Kinds {
		kl := escapeLabel(k.Kind)
		fmt.Fprintf(b, "segstack_tasks_total{kind=\"%s\",state=\"submitted\"} %d\n", kl, k.Submitted)
		fmt.Fprintf(b, "segstack_tasks_total{kind=\"%s\",state=\"finished\"} %d\n", kl, k.Done)
		fmt.Fprintf(b, "segstack_tasks_total{kind=\"%s\",state=\"failed\"} %d\n", kl, k.Failed)
		fmt.Fprintf(b, "segstack_tasks_total{kind=\"%s\",state=\"retried\"} %d\n", kl, k.Retried)
	}
	family("segstack_tasks", "gauge", "Tasks by kind now planned (not yet submitted), waiting in the queue, or running.")
	for _, k := range st.Kinds {
		kl := escapeLabel(k.Kind)
		fmt.Fprintf(b, "segstack_tasks{kind=\"%s\",state=\"planned\"} %d\n", kl, k.Planned)
		fmt.Fprintf(b, "segstack_tasks{kind=\"%s\",state=\"waiting\"} %d\n", kl, k.Waiting)
		fmt.Fprintf(b, "segstack_tasks{kind=\"%s\",state=\"running\"} %d\n", kl, k.Running)
	}
	family("segstack_task_busy_seconds_total", "counter", "Run time of finished attempts by task kind.")
	for _, k := range st.Kinds {
		fmt.Fprintf(b, "segstack_task_busy_seconds_total{kind=\"%s\"} %s\n", escapeLabel(k.Kind), ftoa(k.Busy.Seconds()))
	}
	family("segstack_worker_busy_seconds_total", "counter", "Time each worker spent running tasks.")
	for _, wk := range st.Workers {
		fmt.Fprintf(b, "segstack_worker_busy_seconds_total{worker=\"%d\",kind=\"%s\"} %s\n", wk.ID, escapeLabel(wk.Kind), ftoa(wk.Busy.Seconds()))
	}
	family("segstack_worker_tasks_total", "counter", "Attempts each worker ran.")
	for _, wk := range st.Workers {
		fmt.Fprintf(b, "segstack_worker_tasks_total{worker=\"%d\",kind=\"%s\"} %d\n", wk.ID, escapeLabel(wk.Kind), wk.Tasks)
	}
	spans := snap.Spans
	family("segstack_span_seconds_total", "counter", "Time spent in ended spans (stages recorded inside tasks) by span kind.")
	for _, k := range spans {
		fmt.Fprintf(b, "segstack_span_seconds_total{kind=\"%s\"} %s\n", escapeLabel(k.Kind), ftoa(k.Busy.Seconds()))
	}
	family("segstack_spans_total", "counter", "Ended spans by span kind.")
	for _, k := range spans {
		fmt.Fprintf(b, "segstack_spans_total{kind=\"%s\"} %d\n", escapeLabel(k.Kind), k.Done)
	}
	family("segstack_pending_tasks", "gauge", "Tasks holding a MaxPending slot.")
	fmt.Fprintf(b, "segstack_pending_tasks %d\n", st.Pending)
	family("segstack_pending_tasks_peak", "gauge", "The most tasks that held a MaxPending slot at once.")
	fmt.Fprintf(b, "segstack_pending_tasks_peak %d\n", st.PeakPending)
	family("segstack_process_resident_bytes", "gauge", "Resident set size of the process.")
	fmt.Fprintf(b, "segstack_process_resident_bytes %d\n", rss)
	family("segstack_go_heap_inuse_bytes", "gauge", "Go heap in use.")
	fmt.Fprintf(b, "segstack_go_heap_inuse_bytes %d\n", heap)
	family("segstack_uptime_seconds", "gauge", "Time since the cluster started.")
	fmt.Fprintf(b, "segstack_uptime_seconds %s\n", ftoa(st.Uptime.Seconds()))
	_, gauges := d.hist.history()
	for _, g := range gauges {
		name := "segstack_" + sanitizeName(g.name)
		help := g.help
		if help == "" {
			help = g.name
		}
		family(name, "gauge", escapeHelp(help))
		fmt.Fprintf(b, "%s %s\n", name, ftoa(g.fn()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// sanitizeName maps a gauge name onto [a-zA-Z0-9_].
func sanitizeName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		ok := ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
