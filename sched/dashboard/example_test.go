package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/segstack/segstack/sched"
	"github.com/segstack/segstack/sched/dashboard"
)

// Serve is the one call a program needs to show its cluster's work live;
// the page is at http://ADDR/ and the numbers it draws at /api/status.
func ExampleServe() {
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	d, err := dashboard.Serve(cluster, ":0") // a host-less address means loopback
	if err != nil {
		panic(err)
	}
	defer d.Close()
	d.RegisterGauge("pool_bytes", "bytes held by the plane pool", func() float64 { return 1 << 20 })
	addr := d.Addrs()[0]
	fmt.Println("loopback:", strings.HasPrefix(addr, "127.0.0.1:"))

	ctx := context.Background()
	var fs []*sched.Future[int]
	for plane := range 3 {
		fs = append(fs, sched.Submit(ctx, cluster, func(context.Context) (int, error) { return plane, nil }, sched.Kind("read")))
	}
	if _, err := sched.Gather(ctx, fs); err != nil {
		panic(err)
	}

	resp, err := http.Get("http://" + addr + "/api/status")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var st dashboard.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		panic(err)
	}
	fmt.Println("workers:", len(st.Workers))
	fmt.Println(st.Kinds[0].Kind, "done:", st.Kinds[0].Done)
	fmt.Println(st.Gauges[0].Name, "=", st.Gauges[0].Value)
	// Output:
	// loopback: true
	// workers: 2
	// read done: 3
	// pool_bytes = 1.048576e+06
}

// WriteMetrics writes what /metrics serves, in Prometheus' text format.
func ExampleDashboard_WriteMetrics() {
	cluster, err := sched.NewLocalCluster(sched.Options{Workers: 1})
	if err != nil {
		panic(err)
	}
	defer cluster.Close()
	d := dashboard.New(cluster, dashboard.Options{})
	defer d.Close()
	ctx := context.Background()
	_, _ = sched.Submit(ctx, cluster, func(context.Context) (int, error) { return 0, nil }, sched.Kind("label")).Get(ctx)

	var b strings.Builder
	if err := d.WriteMetrics(&b); err != nil {
		panic(err)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, "segstack_tasks_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// segstack_tasks_total{kind="label",state="submitted"} 1
	// segstack_tasks_total{kind="label",state="finished"} 1
	// segstack_tasks_total{kind="label",state="failed"} 0
	// segstack_tasks_total{kind="label",state="retried"} 0
}
