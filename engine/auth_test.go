package engine_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/segstack/segstack/engine"
	"github.com/stretchr/testify/require"
)

// A job runs over TLS with NKey authentication: the server verifies the
// worker process's and the coordinator's NKeys, both verify the server's
// certificate, and clients without a key or without the CA are refused.
func TestNKeyTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := selfSigned(t, dir)
	kp, err := nkeys.CreateUser()
	require.NoError(t, err)
	pub, err := kp.PublicKey()
	require.NoError(t, err)
	seed, err := kp.Seed()
	require.NoError(t, err)
	seedFile := filepath.Join(dir, "user.nk")
	require.NoError(t, os.WriteFile(seedFile, seed, 0o600))
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	s, err := engine.ServeNATS(engine.ServerOptions{Listen: "127.0.0.1:0", Store: t.TempDir(), NKeys: []string{pub},
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	require.NoError(t, err)
	defer s.Close()
	url := "tls://" + s.Addr().String()

	_, err = engine.Connect(url, engine.ConnOptions{TLSCA: caFile})
	require.Error(t, err, "no NKey")
	_, err = engine.Connect(url, engine.ConnOptions{NKeySeed: seedFile})
	require.Error(t, err, "the server's certificate is not trusted without the CA")

	in := genStack(t, dir, "4,48,48", 2)
	opt := options(t, in, filepath.Join(dir, "local.ome.zarr"), "", "2d", 0)
	local(t, opt)
	workers(t, url, dir, 1, "--nats-nkey", seedFile, "--tls-ca", caFile)
	nc, err := engine.Connect(url, engine.ConnOptions{NKeySeed: seedFile, TLSCA: caFile})
	require.NoError(t, err)
	defer nc.Close()
	opt.Output = filepath.Join(dir, "eng.ome.zarr")
	_, err = engine.Submit(context.Background(), nc, opt, engine.SubmitOptions{Settings: settings})
	require.NoError(t, err)
	sameOutputs(t, filepath.Join(dir, "local.ome.zarr"), opt.Output, "", "")
}

// selfSigned writes a CA-signed-by-itself certificate for 127.0.0.1.
func selfSigned(t *testing.T, dir string) (cert, key, ca string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "segstack test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(k)
	require.NoError(t, err)
	cert, key = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	require.NoError(t, os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return cert, key, cert
}
