package engine_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/segstack/segstack/engine"
	"github.com/stretchr/testify/require"
)

// A job runs on `engine serve` requiring a user name and password: worker
// and coordinator processes with the right password (by flag or by
// $SEGSTACK_NATS_PASSWORD) produce the local run's output; a client, a
// worker or a coordinator with a wrong password, or with none, is refused
// at once with the server's authorization error.
func TestUserPassword(t *testing.T) {
	dir := t.TempDir()
	const pwEnv = "SEGSTACK_NATS_PASSWORD"
	t.Setenv(pwEnv, "")
	p := start(t, "engine", "serve", "--listen", "127.0.0.1:0", "--store", t.TempDir(), "--user", "seg")
	require.Error(t, p.wait(t, 10*time.Second))
	require.Contains(t, p.out.String(), "--user needs --password")

	addr := freePort(t)
	url := "nats://" + addr
	srv := start(t, "engine", "serve", "--listen", addr, "--store", t.TempDir(), "--user", "seg", "--password", "s3cret")
	waitFor(t, 20*time.Second, "the server", func() bool { return strings.Contains(srv.out.String(), "serving") })

	for _, o := range []engine.ConnOptions{{User: "seg", Password: "wrong"}, {User: "other", Password: "s3cret"}, {}} {
		t0 := time.Now()
		_, err := engine.Connect(url, o)
		require.ErrorIs(t, err, nats.ErrAuthorization, "user %q password %q", o.User, o.Password)
		require.Contains(t, strings.ToLower(err.Error()), "authorization violation")
		require.Less(t, time.Since(t0), 5*time.Second, "a refused client returns at once")
	}
	in := genStack(t, dir, "4,48,48", 3)
	// Refused processes: workers and a coordinator with a wrong
	// password, by flag and by the environment, end with the error.
	t.Setenv(pwEnv, "wrong")
	refused := []*proc{
		start(t, "worker", "--engine", url, "--root", dir, "--workers", "1", "--device", "cpu", "--nats-user", "seg", "--nats-password", "nope"),
		start(t, "worker", "--engine", url, "--root", dir, "--workers", "1", "--device", "cpu", "--nats-user", "seg"),
		start(t, "segment", in, "-o", filepath.Join(dir, "refused.ome.zarr"), "--engine", url, "--nats-user", "seg"),
	}
	for _, p := range refused {
		err := p.wait(t, 10*time.Second)
		require.Error(t, err, "%v must fail; output:\n%s", p.cmd.Args, p.out)
		require.Contains(t, strings.ToLower(p.out.String()), "authorization violation", "%v output:\n%s", p.cmd.Args, p.out)
	}
	require.NoDirExists(t, filepath.Join(dir, "refused.ome.zarr"))

	t.Setenv(pwEnv, "s3cret")
	local(t, options(t, in, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "local.csv"), "2d", 0))
	workers(t, url, dir, 2, "--nats-user", "seg")
	co := start(t, "segment", in, "-o", filepath.Join(dir, "eng.ome.zarr"), "--stats", filepath.Join(dir, "eng.csv"),
		"--engine", url, "--nats-user", "seg", "--nats-password", "s3cret", "--ack-wait", "1s", "--max-deliver", "5")
	require.NoError(t, co.wait(t, 60*time.Second), "%s", co.out)
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "eng.ome.zarr"), filepath.Join(dir, "local.csv"), filepath.Join(dir, "eng.csv"))
}

// A job runs on `engine serve --config` in operator mode: the server trusts
// an operator,
// whose account (with JetStream) is preloaded in a memory resolver, and the
// worker processes and the coordinator connect with a .creds file of a user
// of that account. A user signed by another account's key is refused.
func TestCreds(t *testing.T) {
	dir := t.TempDir()
	op, err := nkeys.CreateOperator()
	require.NoError(t, err)
	opPub, err := op.PublicKey()
	require.NoError(t, err)
	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = "segstack-test"
	// account makes an account signed by the operator; js gives it
	// JetStream without limits.
	account := func(name string, js bool) (nkeys.KeyPair, string, string) {
		kp, err := nkeys.CreateAccount()
		require.NoError(t, err)
		pub, err := kp.PublicKey()
		require.NoError(t, err)
		ac := jwt.NewAccountClaims(pub)
		ac.Name = name
		if js {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		tok, err := ac.Encode(op)
		require.NoError(t, err)
		return kp, pub, tok
	}
	_, sysPub, sysJWT := account("SYS", false)
	accKP, accPub, accJWT := account("SEGSTACK", true)
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(op)
	require.NoError(t, err)
	opFile := filepath.Join(dir, "operator.jwt")
	require.NoError(t, os.WriteFile(opFile, []byte(opJWT), 0o644))
	conf := filepath.Join(dir, "server.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `operator: %q
system_account: %s
resolver: MEMORY
resolver_preload: {
  %s: %q
  %s: %q
}
`, opFile, sysPub, sysPub, sysJWT, accPub, accJWT), 0o644))

	// creds writes the .creds file of a new user whose JWT the account
	// key signer signs.
	creds := func(name string, signer nkeys.KeyPair) string {
		u, err := nkeys.CreateUser()
		require.NoError(t, err)
		upub, err := u.PublicKey()
		require.NoError(t, err)
		uc := jwt.NewUserClaims(upub)
		uc.Name = name
		tok, err := uc.Encode(signer)
		require.NoError(t, err)
		seed, err := u.Seed()
		require.NoError(t, err)
		b, err := jwt.FormatUserConfig(tok, seed)
		require.NoError(t, err)
		f := filepath.Join(dir, name+".creds")
		require.NoError(t, os.WriteFile(f, b, 0o600))
		return f
	}
	good := creds("worker", accKP)
	stranger, err := nkeys.CreateAccount() // an account the operator never signed
	require.NoError(t, err)
	bad := creds("stranger", stranger)

	addr := freePort(t)
	url := "nats://" + addr
	srv := start(t, "engine", "serve", "--config", conf, "--listen", addr, "--store", t.TempDir())
	waitFor(t, 20*time.Second, "the server", func() bool { return strings.Contains(srv.out.String(), "serving") })

	_, err = engine.Connect(url, engine.ConnOptions{})
	require.ErrorIs(t, err, nats.ErrAuthorization, "no credentials")
	_, err = engine.Connect(url, engine.ConnOptions{Creds: bad})
	require.ErrorIs(t, err, nats.ErrAuthorization, "a user of an account the operator did not sign")

	in := genStack(t, dir, "4,48,48", 4)
	opt := options(t, in, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "local.csv"), "2d", 0)
	local(t, opt)
	workers(t, url, dir, 2, "--nats-creds", good)
	nc, err := engine.Connect(url, engine.ConnOptions{Creds: good})
	require.NoError(t, err)
	defer nc.Close()
	opt.Output, opt.Stats = filepath.Join(dir, "eng.ome.zarr"), filepath.Join(dir, "eng.csv")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = engine.Submit(ctx, nc, opt, engine.SubmitOptions{Settings: settings})
	require.NoError(t, err)
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), opt.Output, filepath.Join(dir, "local.csv"), opt.Stats)

	// The job's stream lives in the account of the .creds user.
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.Stream(ctx, engine.Stream)
	require.NoError(t, err)
}

// A job runs on a JetStream cluster of three servers joined by routes, one
// in this process (ServerOptions) and two `engine serve --cluster-listen
// --routes` processes: the job is submitted to the first while the worker
// processes are connected to the two others, and the output is the local
// run's.
func TestCluster(t *testing.T) {
	dir := t.TempDir()
	const n = 3
	var clusterAddrs, clientAddrs, routes []string
	for range n {
		a := freePort(t)
		clusterAddrs = append(clusterAddrs, a)
		clientAddrs = append(clientAddrs, freePort(t))
		routes = append(routes, "nats-route://"+a)
	}
	// The servers start at once: each one's JetStream waits for the
	// others' routes.
	var srvs []*proc
	for i := 1; i < n; i++ {
		srvs = append(srvs, start(t, "engine", "serve", "--listen", clientAddrs[i], "--store", t.TempDir(),
			"--cluster-name", "segstack-test", "--cluster-listen", clusterAddrs[i], "--routes", strings.Join(routes, ",")))
	}
	s, err := engine.ServeNATS(engine.ServerOptions{Listen: clientAddrs[0], Store: t.TempDir(),
		ClusterName: "segstack-test", ClusterListen: clusterAddrs[0], Routes: routes})
	require.NoError(t, err)
	defer s.Close()
	for _, p := range srvs {
		waitFor(t, 20*time.Second, "the server processes", func() bool { return strings.Contains(p.out.String(), "serving") })
	}
	// JetStream is ready when every server answers for the account:
	// the cluster has elected its meta leader.
	conns := make([]*nats.Conn, n)
	for i, a := range clientAddrs {
		conns[i] = connect(t, "nats://"+a)
	}
	t0 := time.Now()
	waitFor(t, 30*time.Second, "the JetStream cluster to elect its meta leader", func() bool {
		for _, nc := range conns {
			js, err := jetstream.New(nc)
			if err != nil {
				return false
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			if err != nil {
				return false
			}
		}
		return true
	})
	t.Logf("JetStream cluster ready in %v", time.Since(t0).Round(time.Millisecond))
	// Each server tells its clients of the two others.
	for _, nc := range conns {
		waitFor(t, 10*time.Second, "the cluster's servers to be known", func() bool { return len(nc.Servers()) >= n })
	}

	in := genStack(t, dir, "4,48,48", 5)
	opt := options(t, in, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "local.csv"), "2d", 0)
	local(t, opt)
	workers(t, "nats://"+clientAddrs[1], dir, 1)
	workers(t, "nats://"+clientAddrs[2], dir, 1)
	opt.Output, opt.Stats = filepath.Join(dir, "eng.ome.zarr"), filepath.Join(dir, "eng.csv")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err = engine.Submit(ctx, conns[0], opt, engine.SubmitOptions{Settings: settings})
	require.NoError(t, err)
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), opt.Output, filepath.Join(dir, "local.csv"), opt.Stats)
}

// A job runs on `engine serve` with TLS that verifies clients: worker and
// coordinator processes present certificates signed by the server's client
// CA and produce the local run's output; clients without a certificate,
// with one from another CA, or with a certificate and no key are refused.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, caFile := testCA(t, dir, "ca")
	srvCert, srvKey := leaf(t, dir, "server", ca, caKey, x509.ExtKeyUsageServerAuth)
	cliCert, cliKey := leaf(t, dir, "client", ca, caKey, x509.ExtKeyUsageClientAuth)
	other, otherKey, _ := testCA(t, dir, "other")
	strCert, strKey := leaf(t, dir, "stranger", other, otherKey, x509.ExtKeyUsageClientAuth)

	addr := freePort(t)
	url := "tls://" + addr
	srv := start(t, "engine", "serve", "--listen", addr, "--store", t.TempDir(),
		"--tls-cert", srvCert, "--tls-key", srvKey, "--tls-ca", caFile)
	waitFor(t, 20*time.Second, "the server", func() bool { return strings.Contains(srv.out.String(), "serving") })

	for _, o := range []engine.ConnOptions{{TLSCA: caFile}, {TLSCA: caFile, TLSCert: strCert, TLSKey: strKey}} {
		t0 := time.Now()
		_, err := engine.Connect(url, o)
		// Under TLS 1.3 the server's refusal comes after the client's
		// handshake: the client reads it ("certificate required") or
		// finds the connection closed, as the race goes; both are TLS
		// errors.
		require.ErrorContains(t, err, "tls", "client certificate %q", o.TLSCert)
		require.Less(t, time.Since(t0), 5*time.Second, "a refused client returns at once")
	}
	_, err := engine.Connect(url, engine.ConnOptions{TLSCA: caFile, TLSCert: cliCert})
	require.ErrorContains(t, err, "needs both its certificate and its key")
	nc, err := engine.Connect(url, engine.ConnOptions{TLSCA: caFile, TLSCert: cliCert, TLSKey: cliKey})
	require.NoError(t, err)
	nc.Close()

	in := genStack(t, dir, "4,48,48", 6)
	p := start(t, "worker", "--engine", url, "--root", dir, "--workers", "1", "--device", "cpu", "--tls-ca", caFile)
	require.Error(t, p.wait(t, 10*time.Second), "a worker without a certificate must fail; output:\n%s", p.out)
	require.Contains(t, p.out.String(), "tls")

	local(t, options(t, in, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "local.csv"), "2d", 0))
	tlsArgs := []string{"--tls-ca", caFile, "--tls-cert", cliCert, "--tls-key", cliKey}
	workers(t, url, dir, 2, tlsArgs...)
	co := start(t, append([]string{"segment", in, "-o", filepath.Join(dir, "eng.ome.zarr"), "--stats", filepath.Join(dir, "eng.csv"),
		"--engine", url, "--ack-wait", "1s", "--max-deliver", "5"}, tlsArgs...)...)
	require.NoError(t, co.wait(t, 60*time.Second), "%s", co.out)
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), filepath.Join(dir, "eng.ome.zarr"), filepath.Join(dir, "local.csv"), filepath.Join(dir, "eng.csv"))
}

// testCA makes a certificate authority and writes its certificate.
func testCA(t *testing.T, dir, name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "segstack test " + name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	c, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	f := filepath.Join(dir, name+".pem")
	require.NoError(t, os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return c, k, f
}

// leaf writes a certificate for 127.0.0.1 signed by ca, and its key.
func leaf(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, use x509.ExtKeyUsage) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "segstack test " + name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{use}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	cert, key = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return cert, key
}
