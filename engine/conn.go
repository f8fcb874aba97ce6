package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names of the engine's JetStream resources and subjects.
const (
	// Stream is the work-queue stream of tasks, on subjects
	// segstack.task.<job>.
	Stream = "SEGSTACK_TASKS"
	// Consumer is the durable pull consumer every worker shares.
	Consumer = "segstack-workers"
	// Bucket is the key-value bucket of jobs: <job>.spec, <job>.state,
	// <job>.res.<phase>.<index> and <job>.fail.
	Bucket = "segstack-jobs"

	taskSubject      = "segstack.task."
	heartbeatSubject = "segstack.worker."
)

// ConnOptions are the standard NATS client options every command takes.
type ConnOptions struct {
	// User and Password authenticate with a user name.
	User, Password string
	// NKeySeed is a file holding a user NKey seed.
	NKeySeed string
	// Creds is a .creds file (a user JWT and its NKey seed).
	Creds string
	// TLSCA verifies the server; TLSCert and TLSKey are the client's
	// certificate, for servers that verify clients.
	TLSCA, TLSCert, TLSKey string
	// Name names the connection in the server's monitoring.
	Name string
}

// Connect connects to the NATS server at url with o, retrying for as long
// as the server is away.
func Connect(url string, o ConnOptions) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if o.User != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.NKeySeed != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeySeed)
		if err != nil {
			return nil, fmt.Errorf("nkey seed %s: %w", o.NKeySeed, err)
		}
		opts = append(opts, opt)
	}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		if o.TLSCert == "" || o.TLSKey == "" {
			return nil, errors.New("a client certificate needs both its certificate and its key")
		}
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return nc, nil
}

// Settings are the work model's timing, shared by the stream's consumer.
type Settings struct {
	// AckWait is how long a task may go without an acknowledgement or a
	// heartbeat before it is delivered again; 0 means 30 s.
	AckWait time.Duration
	// MaxDeliver bounds the deliveries of a task; 0 means 5.
	MaxDeliver int

	// memory keeps the stream and the bucket in the server's memory: for
	// a server that lives and dies with its only coordinator and workers
	// (RunEmbedded), whose files nothing could find again.
	memory bool
}

func (s Settings) withDefaults() Settings {
	if s.AckWait <= 0 {
		s.AckWait = 30 * time.Second
	}
	if s.MaxDeliver <= 0 {
		s.MaxDeliver = 5
	}
	return s
}

// resources are the stream, consumer and bucket, created when missing.
type resources struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	set Settings
}

func open(ctx context.Context, nc *nats.Conn, set Settings) (*resources, error) {
	set = set.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	storage := jetstream.FileStorage
	if set.memory {
		storage = jetstream.MemoryStorage
	}
	// The stream and the bucket are made at once: two round trips to the
	// server's store in the time of one.
	var serr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, serr = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: Stream, Subjects: []string{taskSubject + ">"}, Retention: jetstream.WorkQueuePolicy,
			Storage: storage, Duplicates: 10 * time.Minute, MaxMsgSize: maxTaskBytes,
		})
	}()
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: Bucket, Storage: storage, History: 1})
	<-done
	if serr != nil {
		return nil, fmt.Errorf("create the task stream: %w", serr)
	}
	if err != nil {
		return nil, fmt.Errorf("create the job bucket: %w", err)
	}
	if err := readable(ctx, kv); err != nil {
		return nil, err
	}
	return &resources{js: js, kv: kv, set: set}, nil
}

// readable waits until the bucket answers reads. On a cluster the bucket's
// stream may live on another server than this client's, and the interest
// that carries reads to it reaches this server a moment after the stream
// was made: until then reads find no responders.
func readable(ctx context.Context, kv jetstream.KeyValue) error {
	const limit = 10 * time.Second
	end := time.Now().Add(limit)
	for {
		_, err := kv.Get(ctx, "ready")
		if err == nil || errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if !errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("read the job bucket: %w", err)
		}
		if time.Now().After(end) {
			return fmt.Errorf("read the job bucket: no server answered within %v: %w", limit, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("read the job bucket: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// consumer is the workers' durable consumer.
func (r *resources) consumer(ctx context.Context) (jetstream.Consumer, error) {
	c, err := r.js.CreateOrUpdateConsumer(ctx, Stream, jetstream.ConsumerConfig{
		Durable: Consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: r.set.AckWait,
		MaxDeliver: r.set.MaxDeliver, MaxAckPending: 100000, FilterSubject: taskSubject + ">",
	})
	if err != nil {
		return nil, fmt.Errorf("create the worker consumer: %w", err)
	}
	return c, nil
}
