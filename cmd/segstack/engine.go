package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/segstack/segstack/engine"
	"github.com/segstack/segstack/segment"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// connFlags are the NATS client flags of every engine command.
type connFlags struct {
	url string
	o   engine.ConnOptions
	set engine.Settings
}

func (c *connFlags) add(cmd *cobra.Command, urlHelp string) {
	fl := cmd.Flags()
	fl.StringVar(&c.url, "engine", "", urlHelp)
	fl.StringVar(&c.o.User, "nats-user", "", "NATS user name")
	fl.StringVar(&c.o.Password, "nats-password", "", "NATS password (or $SEGSTACK_NATS_PASSWORD)")
	fl.StringVar(&c.o.NKeySeed, "nats-nkey", "", "file holding a NATS user NKey seed")
	fl.StringVar(&c.o.Creds, "nats-creds", "", "NATS .creds file (user JWT and seed)")
	fl.StringVar(&c.o.TLSCA, "tls-ca", "", "CA certificate that signed the NATS server's certificate")
	fl.StringVar(&c.o.TLSCert, "tls-cert", "", "client certificate, for servers that verify clients")
	fl.StringVar(&c.o.TLSKey, "tls-key", "", "client certificate's key")
	fl.DurationVar(&c.set.AckWait, "ack-wait", 30*time.Second, "time a task may go without a heartbeat before it is delivered again (the same on every worker)")
	fl.IntVar(&c.set.MaxDeliver, "max-deliver", 5, "deliveries of a task before its job fails (the same on every worker)")
}

func (c *connFlags) connect(name string) (*natsConn, error) {
	if c.url == "" {
		return nil, errors.New("no engine given: use --engine nats://HOST:PORT")
	}
	if c.o.Password == "" {
		c.o.Password = os.Getenv("SEGSTACK_NATS_PASSWORD")
	}
	c.o.Name = name
	nc, err := engine.Connect(c.url, c.o)
	if err != nil {
		return nil, err
	}
	return &natsConn{nc}, nil
}

func init() {
	eng := &cobra.Command{Use: "engine", Short: "The distributed engine: a NATS JetStream server for segstack workers"}
	var so engine.ServerOptions
	var nkeys, routes string
	var tlsCA string
	var quiet bool
	serve := &cobra.Command{
		Use:   "serve --listen HOST:PORT --store DIR",
		Short: "Run a NATS server with file-backed JetStream for segstack jobs",
		Long: `serve runs a NATS server with JetStream, its streams and key-value buckets
kept in --store, so that jobs survive a restart. Workers and coordinators
connect with --engine nats://HOST:PORT. Any NATS 2.10+ server with JetStream
serves as well.

A listen address other than loopback needs authentication: --user and
--password (or $SEGSTACK_NATS_PASSWORD), --nkey-user, or accounts in a
--config file. --tls-cert and --tls-key serve TLS; --tls-ca makes the server
verify client certificates.`,
		Example: `  segstack engine serve --listen 127.0.0.1:4222 --store /var/lib/segstack/nats
  segstack engine serve --listen 0.0.0.0:4222 --store /scratch/nats --user seg --password "$PW"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if so.Password == "" {
				so.Password = os.Getenv("SEGSTACK_NATS_PASSWORD")
			}
			if so.User != "" && so.Password == "" {
				return errors.New("--user needs --password (or $SEGSTACK_NATS_PASSWORD)")
			}
			for _, k := range strings.Split(nkeys, ",") {
				if k = strings.TrimSpace(k); k != "" {
					so.NKeys = append(so.NKeys, k)
				}
			}
			for _, r := range strings.Split(routes, ",") {
				if r = strings.TrimSpace(r); r != "" {
					so.Routes = append(so.Routes, r)
				}
			}
			if cert, key := cmd.Flag("tls-cert").Value.String(), cmd.Flag("tls-key").Value.String(); cert != "" || key != "" {
				tc, err := serverTLS(cert, key, tlsCA)
				if err != nil {
					return err
				}
				so.TLS = tc
			}
			s, err := engine.ServeNATS(so)
			if err != nil {
				return err
			}
			defer s.Close()
			if !quiet {
				fmt.Fprintf(cmd.OutOrStdout(), "segstack engine: NATS JetStream serving on %s (store %s)\n", s.URL(), so.Store)
			}
			<-cmd.Context().Done()
			return nil
		},
	}
	fl := serve.Flags()
	fl.StringVar(&so.Listen, "listen", "127.0.0.1:4222", "HOST:PORT for clients (port 0 picks one)")
	fl.StringVar(&so.Store, "store", "", "JetStream store directory (required unless --config sets one)")
	fl.StringVar(&so.ConfigFile, "config", "", "NATS server configuration file (accounts, TLS, cluster); flags override it")
	fl.StringVar(&so.User, "user", "", "require this user name")
	fl.StringVar(&so.Password, "password", "", "the user's password (or $SEGSTACK_NATS_PASSWORD)")
	fl.StringVar(&nkeys, "nkey-user", "", "comma-separated public user NKeys allowed in")
	fl.String("tls-cert", "", "server certificate (serves TLS)")
	fl.String("tls-key", "", "server certificate's key")
	fl.StringVar(&tlsCA, "tls-ca", "", "CA that signs client certificates (then required)")
	fl.StringVar(&so.ClusterName, "cluster-name", "segstack", "NATS cluster name")
	fl.StringVar(&so.ClusterListen, "cluster-listen", "", "HOST:PORT for routes from other servers of a cluster")
	fl.StringVar(&routes, "routes", "", "comma-separated nats-route://HOST:PORT of other servers")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print nothing")
	eng.AddCommand(serve)
	root.AddCommand(eng)

	var wf connFlags
	var wo engine.WorkerOptions
	var labelCacheMiB int64
	worker := &cobra.Command{
		Use:   "worker --engine nats://HOST:PORT --root DIR",
		Short: "Run segstack tasks from a NATS JetStream engine",
		Long: `worker pulls plane and slab tasks of segmentation jobs from the engine and
runs --workers of them at once on this machine's cores (and GPUs in cuda
builds), writing their chunks into the jobs' OME-Zarr outputs. It reads and
writes only under --root (a file system every worker and the coordinator
share) and refuses a job that names a path outside it. Start as many as you
like, on any number of machines; stop one with Ctrl-C or SIGTERM (or lose
it): its unfinished tasks are delivered again to the others.`,
		Example: `  segstack worker --engine nats://head:4222 --root /shared
  segstack worker --engine nats://head:4222 --root /shared --workers 16 --nats-creds worker.creds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := wf.connect("segstack worker")
			if err != nil {
				return err
			}
			defer c.nc.Close()
			wo.Settings = wf.set
			if labelCacheMiB < 0 {
				return fmt.Errorf("--label-cache %d: want MiB, 0 or more", labelCacheMiB)
			}
			wo.LabelCache = labelCacheMiB << 20
			if labelCacheMiB == 0 {
				wo.LabelCache = -1 // none kept
			}
			errw := cmd.ErrOrStderr()
			var mu sync.Mutex
			wo.Log = func(s string) {
				mu.Lock()
				fmt.Fprintln(errw, "segstack worker:", s)
				mu.Unlock()
			}
			w, err := engine.NewWorker(cmd.Context(), c.nc, wo)
			if err != nil {
				return err
			}
			fmt.Fprintf(errw, "segstack worker: pulling tasks from %s, root %s, %d at once\n", wf.url, wo.Root, max(wo.Workers, 0))
			err = w.Run(cmd.Context())
			if err == nil && cmd.Context().Err() != nil {
				fmt.Fprintf(errw, "segstack worker: stopped after %d tasks\n", w.Done.Load())
				os.Exit(0)
			}
			return err
		},
	}
	wf.add(worker, "NATS server URL, nats://HOST:PORT (required)")
	worker.Flags().StringVar(&wo.Root, "root", "", "directory every job's files must lie under (required)")
	worker.Flags().IntVar(&wo.Workers, "workers", 0, "tasks run at once (default GOMAXPROCS)")
	worker.Flags().StringVar(&wo.Device, "device", "auto", "auto, cpu or cuda[:N]")
	worker.Flags().BoolVarP(&wo.Verbose, "verbose", "v", false, "print a line per task started and done")
	worker.Flags().Int64Var(&labelCacheMiB, "label-cache", engine.DefaultLabelCache>>20, "MiB of memory keeping 2d plane tasks' labels (packed) for their write tasks, which then need not label the plane again; 0 keeps none")
	worker.Flags().DurationVar(&wo.TaskDelay, "task-delay", 0, "make every task last at least this long (for tests)")
	worker.Flags().MarkHidden("task-delay")
	root.AddCommand(worker)

	var jf connFlags
	jobs := &cobra.Command{
		Use:   "jobs --engine nats://HOST:PORT",
		Short: "List the engine's segmentation jobs and their state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := jf.connect("segstack jobs")
			if err != nil {
				return err
			}
			defer c.nc.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 20*time.Second)
			defer cancel()
			list, err := engine.Jobs(ctx, c.nc)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JOB\tSTATUS\tPHASE\tTASKS\tMODE\tOBJECTS\tOUTPUT\tERROR")
			for _, j := range list {
				tasks := "-"
				if j.State.Status == "running" {
					tasks = fmt.Sprintf("%d/%d", j.Done, j.Total)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", j.ID, j.State.Status, dash(j.State.Phase), tasks, j.Mode, j.State.Objects, j.Output, j.State.Error)
			}
			return tw.Flush()
		},
	}
	jf.add(jobs, "NATS server URL, nats://HOST:PORT (required)")
	root.AddCommand(jobs)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// serverTLS loads a server certificate and, with ca, requires client
// certificates signed by it.
func serverTLS(cert, key, ca string) (*tls.Config, error) {
	if cert == "" || key == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	kp, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}
	if ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("--tls-ca %s: no certificate in it", ca)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// runEngineSegment runs `segment --engine`: on the engine at the URL, or
// with "embedded" on a server and workers in this process.
func runEngineSegment(cmd *cobra.Command, opt segment.Options, cf *connFlags, quiet bool) error {
	errw := cmd.ErrOrStderr()
	pr := newEngineProgress(errw, quiet)
	so := engine.SubmitOptions{Settings: cf.set, Progress: pr.update}
	var out engine.Outcome
	var err error
	start := time.Now()
	if cf.url == "embedded" {
		out, err = engine.RunEmbedded(cmd.Context(), opt, opt.Workers, opt.Device, so)
	} else {
		var c *natsConn
		c, err = cf.connect("segstack segment")
		if err != nil {
			return err
		}
		defer c.nc.Close()
		out, err = engine.Submit(cmd.Context(), c.nc, opt, so)
	}
	pr.finish()
	if err != nil {
		return err
	}
	if !quiet {
		w := cmd.OutOrStdout()
		how := "ran"
		if out.Resumed {
			how = "resumed and finished"
		}
		fmt.Fprintf(w, "%s: job %s %s: %d objects (labels %s), %d tasks in %.2fs\n", opt.Input, out.Job, how, out.Objects, out.LabelDType, out.Tasks, time.Since(start).Seconds())
		fmt.Fprintf(w, "  labels:  %s\n", opt.Output)
		if opt.Stats != "" {
			fmt.Fprintf(w, "  stats:   %s\n", opt.Stats)
		}
	}
	return nil
}

// engineProgress shows a job's progress: a redrawn line on a terminal,
// a line a second otherwise.
type engineProgress struct {
	w     io.Writer
	quiet bool
	tty   bool
	start time.Time
	last  time.Time
	mu    sync.Mutex
	drawn bool
}

func newEngineProgress(w io.Writer, quiet bool) *engineProgress {
	return &engineProgress{w: w, quiet: quiet, tty: term.IsTerminal(int(os.Stderr.Fd())) && w == os.Stderr, start: time.Now()}
}

func (p *engineProgress) update(pr engine.Progress) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	every := time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && pr.Done < pr.Total {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(pr.Planes) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = fmt.Sprintf("%.0fs", float64(pr.PlanesTotal-pr.Planes)/rate)
	}
	line := fmt.Sprintf("job %s: %s %d/%d tasks, %d/%d plane steps, %.1f planes/s, ETA %s, %d workers alive", pr.Job, pr.Phase, pr.Done, pr.Total, pr.Planes, pr.PlanesTotal, rate, eta, pr.Workers)
	if p.tty {
		fmt.Fprint(p.w, "\r"+line+"\x1b[K")
		p.drawn = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *engineProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
