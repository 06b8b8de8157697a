package certs

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testHosts = []string{
	"localhost", "api.localhost", "dev.localhost", "grafana.localhost",
	"metrics.localhost", "dashboard.localhost",
}

// serveTLS starts an HTTPS server on loopback that presents leaf and returns
// its address.
func serveTLS(t *testing.T, leaf *Leaf) string {
	t.Helper()
	pair, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatalf("tls.X509KeyPair: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS13,
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// dial connects to addr with only the CA in RootCAs, asking for serverName.
func dial(addr, serverName string, ca *x509.Certificate) (*tls.Conn, error) {
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: serverName})
}

func newBundle(t *testing.T, hosts []string) *Bundle {
	t.Helper()
	b, err := Prepare(t.TempDir(), Options{Project: "demo", Hosts: hosts})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	return b
}

func TestLeaf_TLSHandshakePerHost(t *testing.T) {
	b := newBundle(t, testHosts)
	addr := serveTLS(t, b.Leaf)
	for _, name := range append(append([]string(nil), testHosts...), "127.0.0.1", "::1") {
		t.Run(name, func(t *testing.T) {
			conn, err := dial(addr, name, b.CA.Cert)
			if err != nil {
				t.Fatalf("dial with ServerName %q: %v", name, err)
			}
			defer conn.Close()
			if v := conn.ConnectionState().Version; v != tls.VersionTLS13 {
				t.Errorf("negotiated %s, want TLS 1.3", tls.VersionName(v))
			}
		})
	}
}

func TestLeaf_UnknownHostRejected(t *testing.T) {
	b := newBundle(t, []string{"localhost", "api.localhost"})
	addr := serveTLS(t, b.Leaf)
	conn, err := dial(addr, "grafana.localhost", b.CA.Cert)
	if err == nil {
		conn.Close()
		t.Fatal("dial grafana.localhost succeeded with a leaf that lacks it")
	}
	chain := &Chain{CA: b.CA.Cert, Leaf: b.Leaf.Cert, LeafKey: b.Leaf.Key}
	err = chain.VerifyHost("grafana.localhost", time.Now())
	if err == nil || !strings.Contains(err.Error(), `"grafana.localhost"`) {
		t.Fatalf("VerifyHost error = %v, want one naming grafana.localhost", err)
	}
	if !strings.Contains(err.Error(), "mlops certs") {
		t.Errorf("VerifyHost error %q does not say how to fix it", err)
	}
}

func TestLeaf_CommonNameOnlyRejected(t *testing.T) {
	b := newBundle(t, testHosts)
	// A leaf signed by the same CA that carries the host only in its CN.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "api.localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, b.CA.Cert, &b.Leaf.Key.PublicKey, b.CA.Key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	cnOnly, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	chain := &Chain{CA: b.CA.Cert, Leaf: cnOnly}
	err = chain.VerifyHost("api.localhost", time.Now())
	if err == nil {
		t.Fatal("VerifyHost accepted a certificate without SANs")
	}
	if !strings.Contains(err.Error(), "no subject alternative names") {
		t.Errorf("VerifyHost error = %q, want the missing SANs named", err)
	}
}

func TestCA_Properties(t *testing.T) {
	b := newBundle(t, testHosts)
	ca := b.CA.Cert
	if !ca.IsCA || !ca.BasicConstraintsValid {
		t.Errorf("CA basic constraints: IsCA=%v valid=%v", ca.IsCA, ca.BasicConstraintsValid)
	}
	if ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Error("CA lacks key usage cert sign")
	}
	if years := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24 / 365; years < 9.9 {
		t.Errorf("CA valid for %.1f years, want about 10", years)
	}
	if ca.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("CA key algorithm %v, want ECDSA", ca.PublicKeyAlgorithm)
	}
	leaf := b.Leaf.Cert
	if leaf.IsCA {
		t.Error("leaf is a CA")
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("leaf ExtKeyUsage = %v, want server auth only", leaf.ExtKeyUsage)
	}
	if days := leaf.NotAfter.Sub(leaf.NotBefore).Hours() / 24; days > 398 || days < 396 {
		t.Errorf("leaf valid for %.1f days, want 397", days)
	}
	if got := Names(leaf); len(got) != len(testHosts)+2 {
		t.Errorf("leaf names = %v, want the hosts plus 127.0.0.1 and ::1", got)
	}
}

func TestWrite_Modes(t *testing.T) {
	dir := t.TempDir()
	if _, err := Renew(dir, Options{Project: "demo", Hosts: testHosts}); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	want := map[string]os.FileMode{CACertFile: 0o644, CAKeyFile: 0o600, CertFile: 0o644, KeyFile: 0o600}
	for name, mode := range want {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("stat %s: %v", name, err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s mode = %v, want %v", name, st.Mode().Perm(), mode)
		}
	}
}

func TestRenew_KeepsCAReissuesLeaf(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Project: "demo", Hosts: testHosts}
	first, err := Renew(dir, opts)
	if err != nil {
		t.Fatalf("first Renew: %v", err)
	}
	second, err := Renew(dir, opts)
	if err != nil {
		t.Fatalf("second Renew: %v", err)
	}
	if second.NewCA {
		t.Error("second Renew replaced a CA with years left")
	}
	if !second.CA.Cert.Equal(first.CA.Cert) {
		t.Error("CA certificate changed")
	}
	if second.Leaf.Cert.SerialNumber.Cmp(first.Leaf.Cert.SerialNumber) == 0 {
		t.Error("leaf was not re-issued")
	}
	// The old CA still verifies the new leaf, so trusted clients keep working.
	chain := &Chain{CA: first.CA.Cert, Leaf: second.Leaf.Cert, LeafKey: second.Leaf.Key}
	if err := chain.VerifyHost("api.localhost", time.Now()); err != nil {
		t.Errorf("new leaf against old CA: %v", err)
	}
}

func TestRenew_ExpiringCAReplaced(t *testing.T) {
	dir := t.TempDir()
	longAgo := time.Now().Add(-CAValidity + CARenewBefore/2)
	old, err := Renew(dir, Options{Project: "demo", Hosts: testHosts, Now: longAgo})
	if err != nil {
		t.Fatalf("Renew in the past: %v", err)
	}
	renewed, err := Renew(dir, Options{Project: "demo", Hosts: testHosts})
	if err != nil {
		t.Fatalf("Renew now: %v", err)
	}
	if !renewed.NewCA || renewed.CA.Cert.Equal(old.CA.Cert) {
		t.Error("CA within its renewal window was kept")
	}
}

func TestPrepare_ReusesValidLeaf(t *testing.T) {
	dir := t.TempDir()
	first, err := Renew(dir, Options{Project: "demo", Hosts: testHosts})
	if err != nil {
		t.Fatalf("Renew: %v", err)
	}
	tests := []struct {
		name    string
		hosts   []string
		newLeaf bool
	}{
		{"same hosts", testHosts, false},
		{"added host", append(append([]string(nil), testHosts...), "extra.localhost"), true},
		{"fewer hosts", testHosts[:2], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Prepare(dir, Options{Project: "demo", Hosts: tt.hosts})
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if b.NewCA {
				t.Error("Prepare replaced the CA")
			}
			if b.NewLeaf != tt.newLeaf {
				t.Errorf("NewLeaf = %v, want %v", b.NewLeaf, tt.newLeaf)
			}
			if !tt.newLeaf && string(b.Leaf.CertPEM) != string(first.Leaf.CertPEM) {
				t.Error("reused leaf bytes differ from the file")
			}
		})
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	if _, err := Renew(dir, Options{Project: "demo", Hosts: testHosts[:3]}); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	r, err := Inspect(dir, testHosts, time.Now())
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	if r.OK() {
		t.Fatal("Inspect reports OK for a leaf missing three hosts")
	}
	want := testHosts[3:]
	if strings.Join(r.Missing, ",") != strings.Join(want, ",") {
		t.Errorf("Missing = %v, want %v", r.Missing, want)
	}
	if r.Leaf.DaysLeft < 395 {
		t.Errorf("Leaf.DaysLeft = %d, want about 397", r.Leaf.DaysLeft)
	}

	_, err = Inspect(t.TempDir(), testHosts, time.Now())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Inspect on an empty folder: %v, want a not-exist error", err)
	}
}

func TestVerifyHost_Expired(t *testing.T) {
	b := newBundle(t, testHosts)
	chain := &Chain{CA: b.CA.Cert, Leaf: b.Leaf.Cert}
	err := chain.VerifyHost("api.localhost", time.Now().Add(LeafValidity+24*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "outside its validity period") {
		t.Errorf("VerifyHost after expiry = %v, want an expiry message", err)
	}
}

func TestVerifyHost_ForeignCA(t *testing.T) {
	b := newBundle(t, testHosts)
	other := newBundle(t, testHosts)
	chain := &Chain{CA: other.CA.Cert, Leaf: b.Leaf.Cert}
	err := chain.VerifyHost("api.localhost", time.Now())
	if err == nil || !strings.Contains(err.Error(), "not signed by the project CA") {
		t.Errorf("VerifyHost with another CA = %v, want an unknown-authority message", err)
	}
}

func TestTrustInstructions(t *testing.T) {
	text := TrustInstructions("certs/ca.crt")
	for _, want := range []string{"update-ca-certificates", "trust anchor", "security add-trusted-cert", "certs/ca.crt"} {
		if !strings.Contains(text, want) {
			t.Errorf("instructions lack %q", want)
		}
	}
}
