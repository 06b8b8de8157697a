package certs

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Options describes the certificates a project needs.
type Options struct {
	// Project names the CA in its common name.
	Project string
	// Hosts are the DNS names the server certificate must cover.
	Hosts []string
	// IPs are the IP SANs; nil means DefaultIPs.
	IPs []net.IP
	// Now is the issuing time; zero means time.Now.
	Now time.Time
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o Options) ips() []net.IP {
	if o.IPs == nil {
		return DefaultIPs()
	}
	return o.IPs
}

// Bundle is a CA and a server certificate signed by it, with flags telling
// which of the two were created rather than loaded.
type Bundle struct {
	CA      *Authority
	Leaf    *Leaf
	NewCA   bool
	NewLeaf bool
}

// Prepare loads the CA and server certificate from dir and keeps each one that
// is still usable. A usable CA has more than CARenewBefore left. A usable leaf
// verifies against the CA for every host and IP and has more than RenewBefore
// left. Anything missing or unusable is created in memory; nothing is written.
func Prepare(dir string, opts Options) (*Bundle, error) {
	return prepare(dir, opts, false)
}

// Renew re-issues the server certificate in dir, keeping the CA unless it is
// missing, unreadable or within CARenewBefore of expiring, and writes the
// result. Clients that trust the old CA keep working when only the leaf changes.
func Renew(dir string, opts Options) (*Bundle, error) {
	b, err := prepare(dir, opts, true)
	if err != nil {
		return nil, err
	}
	if err := Write(dir, b); err != nil {
		return nil, err
	}
	return b, nil
}

func prepare(dir string, opts Options, forceLeaf bool) (*Bundle, error) {
	now := opts.now()
	b := &Bundle{}
	ca, err := LoadAuthority(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case ca.Cert.NotAfter.Sub(now) > CARenewBefore:
		b.CA = ca
	}
	if b.CA == nil {
		if b.CA, err = NewAuthority(opts.Project, now, CAValidity); err != nil {
			return nil, err
		}
		b.NewCA = true
	}
	if !b.NewCA && !forceLeaf {
		b.Leaf = reusableLeaf(dir, b.CA, opts, now)
	}
	if b.Leaf == nil {
		if b.Leaf, err = b.CA.Issue(opts.Hosts, opts.ips(), now, LeafValidity); err != nil {
			return nil, err
		}
		b.NewLeaf = true
	}
	return b, nil
}

// reusableLeaf returns the leaf in dir when it still serves every host and IP
// for longer than RenewBefore, or nil.
func reusableLeaf(dir string, ca *Authority, opts Options, now time.Time) *Leaf {
	leaf, err := LoadLeaf(dir)
	if err != nil || leaf.Cert.NotAfter.Sub(now) <= RenewBefore {
		return nil
	}
	chain := &Chain{CA: ca.Cert, Leaf: leaf.Cert, LeafKey: leaf.Key}
	for _, name := range append(append([]string(nil), opts.Hosts...), ipStrings(opts.ips())...) {
		if chain.VerifyHost(name, now) != nil {
			return nil
		}
	}
	if len(leaf.Cert.DNSNames) != len(opts.Hosts) {
		return nil
	}
	return leaf
}

// Write stores the bundle in dir: certificates with mode 0644, private keys
// with mode 0600, each through a temporary file and a rename.
func Write(dir string, b *Bundle) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create certs folder %q: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CAKeyFile, b.CA.KeyPEM, 0o600},
		{CACertFile, b.CA.CertPEM, 0o644},
		{KeyFile, b.Leaf.KeyPEM, 0o600},
		{CertFile, b.Leaf.CertPEM, 0o644},
	}
	for _, f := range files {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic writes data to a temporary file next to path, sets mode,
// syncs it and renames it over path, so readers see the old or the new file
// and never a partial one.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// LoadAuthority reads ca.crt and ca.key from dir.
func LoadAuthority(dir string) (*Authority, error) {
	cert, certPEM, err := readCert(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, err
	}
	key, keyPEM, err := readKey(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("read %q: certificate is not a CA (basic constraints lack CA:TRUE)", filepath.Join(dir, CACertFile))
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("read %q: key does not belong to the CA certificate %q", filepath.Join(dir, CAKeyFile), filepath.Join(dir, CACertFile))
	}
	return &Authority{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// LoadLeaf reads server.crt and server.key from dir.
func LoadLeaf(dir string) (*Leaf, error) {
	cert, certPEM, err := readCert(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, err
	}
	key, keyPEM, err := readKey(filepath.Join(dir, KeyFile))
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

func readCert(path string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("read certificate %q: no PEM CERTIFICATE block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate %q: %w", path, err)
	}
	return cert, data, nil
}

func readKey(path string) (*ecdsa.PrivateKey, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read private key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, nil, fmt.Errorf("read private key %q: no PEM PRIVATE KEY block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse private key %q: %w", path, err)
	}
	key, ok := parsed.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("parse private key %q: %T is not an ECDSA key", path, parsed)
	}
	return key, data, nil
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}
