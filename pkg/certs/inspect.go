package certs

import (
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Chain is a server certificate with the CA that should have signed it.
// LeafKey may be nil when only the certificates are known.
type Chain struct {
	CA      *x509.Certificate
	Leaf    *x509.Certificate
	LeafKey *ecdsa.PrivateKey
}

// Load reads the CA certificate, server certificate and server key from dir.
// The CA private key is not needed and not read.
func Load(dir string) (*Chain, error) {
	ca, _, err := readCert(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, err
	}
	leaf, err := LoadLeaf(dir)
	if err != nil {
		return nil, err
	}
	return &Chain{CA: ca, Leaf: leaf.Cert, LeafKey: leaf.Key}, nil
}

// VerifyHost checks that the server certificate is valid at now for host (a
// DNS name or an IP address), chains to the CA and allows server
// authentication, and that the server key matches it. The error states the
// cause and the fix in plain words.
func (c *Chain) VerifyHost(host string, now time.Time) error {
	if c.LeafKey != nil && !c.LeafKey.PublicKey.Equal(c.Leaf.PublicKey) {
		return errors.New("server key does not match the server certificate; run `mlops certs` to issue a new pair")
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.CA)
	_, err := c.Leaf.Verify(x509.VerifyOptions{
		DNSName:     host,
		Roots:       roots,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return explain(err, host, c.Leaf)
	}
	return nil
}

// explain turns a crypto/x509 verification error into one sentence that names
// the host, the cause and the fix.
func explain(err error, host string, leaf *x509.Certificate) error {
	const fix = "run `mlops certs` to re-issue it"
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &hostErr):
		if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 {
			return fmt.Errorf("certificate for %q has no subject alternative names (only the common name %q, which clients ignore); %s: %w",
				host, leaf.Subject.CommonName, fix, err)
		}
		return fmt.Errorf("certificate does not cover host %q (it lists %s); %s: %w",
			host, strings.Join(Names(leaf), ", "), fix, err)
	case errors.As(err, &authErr):
		return fmt.Errorf("certificate for %q is not signed by the project CA (issuer %q); %s: %w",
			host, leaf.Issuer.CommonName, fix, err)
	case errors.As(err, &invalidErr):
		return explainInvalid(invalidErr, host, leaf, fix)
	}
	return fmt.Errorf("certificate for %q does not verify: %w", host, err)
}

func explainInvalid(err x509.CertificateInvalidError, host string, leaf *x509.Certificate, fix string) error {
	switch err.Reason {
	case x509.Expired:
		return fmt.Errorf("certificate for %q is outside its validity period (%s to %s); %s: %w",
			host, leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly), fix, err)
	case x509.IncompatibleUsage:
		return fmt.Errorf("certificate for %q is not allowed for TLS server authentication (extended key usage); %s: %w",
			host, fix, err)
	case x509.NotAuthorizedToSign:
		return fmt.Errorf("CA certificate may not sign certificates (key usage or basic constraints); %s: %w", fix, err)
	}
	return fmt.Errorf("certificate for %q is invalid: %w", host, err)
}

// Names returns the DNS names and IP addresses a certificate covers.
func Names(cert *x509.Certificate) []string {
	names := append([]string(nil), cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// DaysLeft returns the whole days from now until cert expires; negative once
// it has expired.
func DaysLeft(cert *x509.Certificate, now time.Time) int {
	return int(math.Floor(cert.NotAfter.Sub(now).Hours() / 24))
}

// Info summarises one certificate for display.
type Info struct {
	Subject  string
	Names    []string
	NotAfter time.Time
	DaysLeft int
}

// Report is the state of a certs folder as `mlops doctor` shows it.
type Report struct {
	CA       Info
	Leaf     Info
	Missing  []string // hosts the leaf does not cover
	Problems []error  // one entry per failed check, each naming its cause
}

// OK reports whether no check failed.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Inspect loads the certificates in dir and verifies the leaf for every host
// at now. A folder that cannot be read returns an error; failed checks are
// listed in the report.
func Inspect(dir string, hosts []string, now time.Time) (*Report, error) {
	chain, err := Load(dir)
	if err != nil {
		return nil, err
	}
	r := &Report{CA: info(chain.CA, now), Leaf: info(chain.Leaf, now)}
	for _, host := range hosts {
		err := chain.VerifyHost(host, now)
		if err == nil {
			continue
		}
		r.Problems = append(r.Problems, err)
		if !slices.Contains(r.Leaf.Names, host) && net.ParseIP(host) == nil {
			r.Missing = append(r.Missing, host)
		}
	}
	if d := r.Leaf.DaysLeft; d >= 0 && d < int(RenewBefore.Hours()/24) {
		r.Problems = append(r.Problems, fmt.Errorf("server certificate expires in %d days; run `mlops certs` to renew it", d))
	}
	return r, nil
}

func info(cert *x509.Certificate, now time.Time) Info {
	return Info{
		Subject:  cert.Subject.CommonName,
		Names:    Names(cert),
		NotAfter: cert.NotAfter,
		DaysLeft: DaysLeft(cert, now),
	}
}
