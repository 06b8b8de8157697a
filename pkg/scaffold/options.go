// Package scaffold writes a new mlops project: configuration, the compose
// file, Traefik, monitoring, certificates, secrets and a Python workspace,
// rendered from the embedded templates.
//
// It never starts containers and never prints secrets; the caller decides
// where the summary goes.
package scaffold

import (
	"errors"
	"fmt"
	"net/mail"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Services lists every service init supports, in the order they are written.
var Services = []string{"traefik", "api", "redis", "prometheus", "grafana", "code-server"}

// DefaultImages returns the pinned image of every service; the api image is
// the locally built mlops image tagged with version.
func DefaultImages(version string) map[string]string {
	return map[string]string{
		"api":         "mlops:" + version,
		"traefik":     "traefik:v3.1.2",
		"redis":       "redis:7.2.5-alpine",
		"prometheus":  "prom/prometheus:v2.53.0",
		"grafana":     "grafana/grafana:11.1.0",
		"code-server": "codercom/code-server:4.91.1",
	}
}

// Defaults for Options fields left zero.
const (
	DefaultDomain    = "localhost"
	DefaultHTTPSPort = 9443
	DefaultHTTPPort  = 9080
	// ACME challenges and public clients expect the standard ports.
	DefaultACMEHTTPSPort = 443
	DefaultACMEHTTPPort  = 80
	DefaultVersion       = "dev"
)

// Let's Encrypt directory URLs.
const (
	ACMEStaging    = "https://acme-staging-v02.api.letsencrypt.org/directory"
	ACMEProduction = "https://acme-v02.api.letsencrypt.org/directory"
)

// Options are the settings of `mlops init`. Zero values take the defaults.
type Options struct {
	// Dir is the project folder; it is created when missing.
	Dir string
	// Project is the compose project name; empty means the base name of Dir,
	// lowercased, with characters other than a-z, 0-9, '-' and '_' removed.
	Project string
	// Domain is the parent of the api, dev, grafana, metrics and dashboard hosts.
	Domain string
	// HTTPSPort and HTTPPort are the host ports Traefik publishes.
	HTTPSPort int
	HTTPPort  int
	// Services selects services from Services; nil means all. api is required.
	Services []string
	// Images overrides the image of a service by name.
	Images map[string]string
	// Version tags the api image mlops:VERSION.
	Version string
	// ACMEEmail switches from the local CA to Let's Encrypt for a public Domain.
	ACMEEmail string
	// ACMEProductionServer uses the Let's Encrypt production directory
	// instead of staging.
	ACMEProductionServer bool
	// Force overwrites existing files whose content would change.
	Force bool
	// DryRun computes the result without writing anything.
	DryRun bool
	// UID and GID are the host user Traefik runs as, so that it can read the
	// server key. Zero means the current user, or 1000 when that is root.
	UID, GID int
	// Now is the certificate issuing time; zero means time.Now.
	Now time.Time
}

var (
	projectPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	tagPattern     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	labelPattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

// normalize returns opts with defaults filled in, or an error naming the
// first invalid setting.
func normalize(opts Options) (Options, error) {
	if opts.Dir == "" {
		opts.Dir = "."
	}
	abs, err := filepath.Abs(opts.Dir)
	if err != nil {
		return opts, fmt.Errorf("project folder %q: %w", opts.Dir, err)
	}
	opts.Dir = abs
	if err := normalizeNames(&opts); err != nil {
		return opts, err
	}
	if err := normalizeACME(&opts); err != nil {
		return opts, err
	}
	if err := normalizePorts(&opts); err != nil {
		return opts, err
	}
	if err := normalizeServices(&opts); err != nil {
		return opts, err
	}
	return opts, normalizeImages(&opts)
}

func normalizeNames(opts *Options) error {
	if opts.Project == "" {
		opts.Project = SanitizeProject(filepath.Base(opts.Dir))
	} else if !projectPattern.MatchString(opts.Project) {
		return fmt.Errorf("invalid project name %q: use lowercase letters, digits, '-' and '_', starting with a letter or digit", opts.Project)
	}
	if opts.Domain == "" {
		opts.Domain = DefaultDomain
	}
	opts.Domain = strings.ToLower(opts.Domain)
	if err := ValidateDomain(opts.Domain); err != nil {
		return err
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	if !tagPattern.MatchString(opts.Version) {
		return fmt.Errorf("invalid version %q: an image tag has up to 128 letters, digits, '_', '.' and '-'", opts.Version)
	}
	return nil
}

func normalizeACME(opts *Options) error {
	if opts.ACMEEmail == "" {
		if opts.ACMEProductionServer {
			return errors.New("the Let's Encrypt production server needs --acme-email")
		}
		return nil
	}
	if isLocalDomain(opts.Domain) {
		return fmt.Errorf("domain %q cannot get Let's Encrypt certificates: give a public domain with --domain, or drop --acme-email", opts.Domain)
	}
	addr, err := mail.ParseAddress(opts.ACMEEmail)
	if err != nil || addr.Address != opts.ACMEEmail || !strings.Contains(addr.Address[strings.LastIndex(addr.Address, "@"):], ".") {
		return fmt.Errorf("invalid ACME email %q: expected an address such as ops@example.com", opts.ACMEEmail)
	}
	return nil
}

func normalizePorts(opts *Options) error {
	if opts.HTTPSPort == 0 {
		opts.HTTPSPort = DefaultHTTPSPort
		if opts.ACMEEmail != "" {
			opts.HTTPSPort = DefaultACMEHTTPSPort
		}
	}
	if opts.HTTPPort == 0 {
		opts.HTTPPort = DefaultHTTPPort
		if opts.ACMEEmail != "" {
			opts.HTTPPort = DefaultACMEHTTPPort
		}
	}
	for _, p := range []struct {
		name string
		port int
	}{{"HTTPS port", opts.HTTPSPort}, {"HTTP port", opts.HTTPPort}} {
		if p.port < 1 || p.port > 65535 {
			return fmt.Errorf("%s %d out of range: use 1 to 65535", p.name, p.port)
		}
	}
	if opts.HTTPSPort == opts.HTTPPort {
		return fmt.Errorf("HTTPS port and HTTP port are both %d: use two different ports", opts.HTTPPort)
	}
	return nil
}

func normalizeServices(opts *Options) error {
	if opts.Services == nil {
		opts.Services = slices.Clone(Services)
		return nil
	}
	seen := map[string]bool{}
	for _, s := range opts.Services {
		if !slices.Contains(Services, s) {
			return fmt.Errorf("unknown service %q: choose from %s", s, strings.Join(Services, ", "))
		}
		if seen[s] {
			return fmt.Errorf("service %q listed twice", s)
		}
		seen[s] = true
	}
	if !seen["api"] {
		return errors.New("services must include api, the model service the stack exists for")
	}
	// Keep the canonical order so the output does not depend on flag order.
	opts.Services = slices.DeleteFunc(slices.Clone(Services), func(s string) bool { return !seen[s] })
	return nil
}

func normalizeImages(opts *Options) error {
	images := DefaultImages(opts.Version)
	for name, image := range opts.Images {
		if _, ok := images[name]; !ok {
			return fmt.Errorf("image for unknown service %q: choose from %s", name, strings.Join(Services, ", "))
		}
		if strings.TrimSpace(image) == "" || strings.ContainsAny(image, " \t\n\"'") {
			return fmt.Errorf("invalid image %q for service %s", image, name)
		}
		images[name] = image
	}
	opts.Images = images
	return nil
}

// ValidateDomain returns an error unless domain is a DNS name of letters,
// digits and hyphens, each label 1 to 63 characters and 253 in all.
func ValidateDomain(domain string) error {
	if domain == "" || len(domain) > 253 {
		return fmt.Errorf("invalid domain %q: expected a DNS name of 1 to 253 characters", domain)
	}
	for _, label := range strings.Split(domain, ".") {
		if len(label) > 63 || !labelPattern.MatchString(label) {
			return fmt.Errorf("invalid domain %q: label %q must be 1 to 63 letters, digits or inner hyphens", domain, label)
		}
	}
	return nil
}

// SanitizeProject turns a folder name into a compose project name, or
// "mlops" when nothing usable is left.
func SanitizeProject(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	s := strings.TrimLeft(b.String(), "-_")
	if s == "" {
		return "mlops"
	}
	return s
}

func isLocalDomain(domain string) bool {
	return domain == "localhost" || strings.HasSuffix(domain, ".localhost")
}
