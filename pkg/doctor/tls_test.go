package doctor

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/certs"
	"github.com/mlops-dev/mlops/pkg/client/clienttest"
)

func TestCheckTLS_Pass(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	results := Run(t.Context(), env, []Check{
		{"tls chain", checkTLSChain}, {"tls hosts", checkTLSHosts},
		{"tls expiry", checkTLSExpiry}, {"tls version", checkTLSVersion},
	}, 10*time.Second)
	want(t, results[0], StatusPass, "is signed by the project CA certs/ca.crt", "")
	want(t, results[1], StatusPass, "the certificate covers localhost", "")
	want(t, results[2], StatusPass, "more days", "")
	want(t, results[3], StatusPass, "negotiates TLS 1.3 and refuses TLS 1.2", "")
}

func TestCheckTLS_NotHTTPS(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	want(t, runCheck(t, env, "tls chain"), StatusSkip, "api.url is not https://", "")
}

func TestCheckTLSChain_OtherCA(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	other, err := certs.NewAuthority("other", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	env.Config.API.CACert = filepath.Join(t.TempDir(), "other.crt")
	os.WriteFile(env.Config.API.CACert, other.CertPEM, 0o644)
	want(t, runCheck(t, env, "tls chain"), StatusFail, `(issuer "mlops local CA test") that does not chain to`,
		"re-issue the server certificate with `mlops certs`")
}

func TestCheckTLSHosts_NotCovered(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Hosts: []string{"api.localhost"}})
	want(t, runCheck(t, env, "tls hosts"), StatusFail, "does not cover localhost (it lists api.localhost, 127.0.0.1, ::1)",
		"re-issue it with `mlops certs`")
}

func TestCheckTLSExpiry_Soon(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{CertValidity: 10 * 24 * time.Hour})
	want(t, runCheck(t, env, "tls expiry"), StatusFail, "the certificate expires in 9 days", "renew it with `mlops certs`")

	env2, _ := apiEnv(t, clienttest.Options{})
	env2.Now = func() time.Time { return time.Now().Add(2 * 365 * 24 * time.Hour) }
	want(t, runCheck(t, env2, "tls expiry"), StatusFail, "the certificate expired on", "renew it with `mlops certs`")
}

// serveTLS starts a TLS server with leaf, signed by ca, and points env's
// api.url at it.
func serveTLS(t *testing.T, env *Env, cert tls.Certificate, edit func(*tls.Config)) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if edit != nil {
		edit(srv.TLS)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	env.Config.API.URL = "https://localhost:" + port
}

func projectLeaf(t *testing.T, env *Env, ca *certs.Authority) tls.Certificate {
	t.Helper()
	leaf, err := ca.Issue([]string{"localhost"}, certs.DefaultIPs(), time.Now(), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func TestCheckTLSVersion_Old(t *testing.T) {
	env, a := apiEnv(t, clienttest.Options{})
	cert := projectLeaf(t, env, a.CA)
	serveTLS(t, env, cert, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
	want(t, runCheck(t, env, "tls version"), StatusFail, "negotiated TLS 1.2, not TLS 1.3", "minimum TLS version to 1.3")

	env2, _ := apiEnv(t, clienttest.Options{})
	serveTLS(t, env2, cert, func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 })
	want(t, runCheck(t, env2, "tls version"), StatusFail, "negotiates TLS 1.3 but also accepts TLS 1.2", "tls.options")
}

// TestCheckTLSHosts_CommonNameOnly covers a certificate that names its
// host only in the common name, which clients have ignored since Go 1.15
// and Chrome 58.
func TestCheckTLSHosts_CommonNameOnly(t *testing.T) {
	env, a := apiEnv(t, clienttest.Options{})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.CA.Cert, &key.PublicKey, a.CA.Key)
	if err != nil {
		t.Fatal(err)
	}
	serveTLS(t, env, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil)
	want(t, runCheck(t, env, "tls hosts"), StatusFail,
		`does not cover localhost (it lists no subject alternative names, only the common name "localhost")`,
		"so every host is a subject alternative name")
	want(t, runCheck(t, env, "tls chain"), StatusPass, "signed by the project CA", "")
}

// redirector serves plain HTTP like the stack's HTTP entrypoint, sending
// every request to location(r).
func redirector(t *testing.T, env *Env, location func(r *http.Request) string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, location(r), http.StatusPermanentRedirect)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	env.Config.HTTPPort, _ = strconv.Atoi(port)
	env.Stack = true
}

func TestCheckRedirect(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	redirector(t, env, func(r *http.Request) string {
		host, _, _ := net.SplitHostPort(r.Host)
		return "https://" + host + ":9443" + r.URL.RequestURI()
	})
	want(t, runCheck(t, env, "http redirect"), StatusPass, "redirects with 308 to https://api.localhost:9443/doctor/check?x=1", "")

	env2, _ := apiEnv(t, clienttest.Options{Plain: true})
	redirector(t, env2, func(r *http.Request) string {
		host, _, _ := net.SplitHostPort(r.Host)
		return "https://" + host + r.URL.Path // loses the port and the query
	})
	want(t, runCheck(t, env2, "http redirect"), StatusFail, `redirects to "https://api.localhost/doctor/check"`,
		"keep path and query and name the published HTTPS port")

	env3, _ := apiEnv(t, clienttest.Options{Plain: true})
	want(t, runCheck(t, env3, "http redirect"), StatusSkip, "no Docker stack", "")
}
