package engine

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerOptions configure a NATS server with JetStream started from
// segstack (ServeNATS).
type ServerOptions struct {
	// Listen is HOST:PORT for clients; port 0 picks a free one.
	Listen string
	// Store is the directory of JetStream's files; streams and buckets
	// survive a restart on the same Store.
	Store string
	// ConfigFile, when set, is a NATS server configuration file (accounts,
	// TLS, clustering, ...) read first; the other fields override it.
	ConfigFile string
	// User and Password, or NKeys (public user keys), require clients to
	// authenticate.
	User, Password string
	NKeys          []string
	// TLS, when not nil, is the clients' TLS configuration.
	TLS *tls.Config
	// ClusterName, ClusterListen and Routes join a NATS cluster.
	ClusterName, ClusterListen string
	Routes                     []string
	// MaxPayload is the largest message; 0 means 8 MiB.
	MaxPayload int32
}

// Server is a running NATS server.
type Server struct {
	s *server.Server
}

// ErrOpenListen is wrapped by the error for a server that would listen on
// an address other than loopback without authentication.
var ErrOpenListen = errors.New("listening beyond loopback without authentication")

// ServeNATS starts a NATS server with file-backed JetStream and waits until
// it accepts clients. A listen address that is not loopback needs
// authentication (users, NKeys, or accounts in the configuration file).
func ServeNATS(o ServerOptions) (*Server, error) {
	opts := &server.Options{}
	if o.ConfigFile != "" {
		fo, err := server.ProcessConfigFile(o.ConfigFile)
		if err != nil {
			return nil, fmt.Errorf("server configuration %s: %w", o.ConfigFile, err)
		}
		opts = fo
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen address %q: %w", o.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("listen address %q: bad port", o.Listen)
		}
		opts.Host, opts.Port = host, p
		if p == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if o.Store == "" && opts.StoreDir == "" {
		return nil, errors.New("no JetStream store directory given")
	}
	if o.Store != "" {
		opts.StoreDir = o.Store
	}
	opts.JetStream = true
	if o.User != "" {
		opts.Users = append(opts.Users, &server.User{Username: o.User, Password: o.Password})
	}
	for _, k := range o.NKeys {
		opts.Nkeys = append(opts.Nkeys, &server.NkeyUser{Nkey: k})
	}
	if o.TLS != nil {
		opts.TLSConfig = o.TLS
		opts.TLS, opts.TLSVerify = true, o.TLS.ClientAuth == tls.RequireAndVerifyClientCert
		opts.TLSTimeout = 2
	}
	if o.ClusterListen != "" {
		host, port, err := net.SplitHostPort(o.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster address %q: %w", o.ClusterListen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("cluster address %q: bad port", o.ClusterListen)
		}
		opts.Cluster.Host, opts.Cluster.Port, opts.Cluster.Name = host, p, o.ClusterName
		if opts.ServerName == "" {
			h, _ := os.Hostname()
			opts.ServerName = h + "-" + port
		}
	}
	for _, r := range o.Routes {
		u, err := url.Parse(r)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", r, err)
		}
		opts.Routes = append(opts.Routes, u)
	}
	opts.MaxPayload = o.MaxPayload
	if opts.MaxPayload == 0 {
		opts.MaxPayload = 8 << 20
	}
	opts.NoSigs = true
	if !isLoopback(opts.Host) && len(opts.Users) == 0 && len(opts.Nkeys) == 0 && opts.TrustedOperators == nil && len(opts.Accounts) == 0 && opts.CustomClientAuthentication == nil {
		return nil, fmt.Errorf("%s: %w: set a user and password, NKeys, or accounts in a configuration file", net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)), ErrOpenListen)
	}
	return startServer(opts)
}

// startServer starts a NATS server with opts and waits until it takes
// connections.
func startServer(opts *server.Options) (*Server, error) {
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start the NATS server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		s.Shutdown()
		return nil, errors.New("the NATS server did not start within 20s")
	}
	return &Server{s: s}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL is the address clients connect to.
func (s *Server) URL() string { return s.s.ClientURL() }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.s.Addr() }

// Close shuts the server down and waits until it has.
func (s *Server) Close() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
}
