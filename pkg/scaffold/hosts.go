package scaffold

import (
	"fmt"
	"slices"
	"strings"
)

// Host is one HTTPS host of the stack and the Traefik router that serves it.
type Host struct {
	// Name is the first DNS label and the router name (api, dev, ...).
	Name string
	// FQDN is Name under the project domain.
	FQDN string
	// Title describes the host for people.
	Title string
	// Service is the compose service the host needs.
	Service string
	// PublicURL is the address users open, with the published HTTPS port.
	PublicURL string

	rule        string
	backend     string // Traefik service name
	url         string // upstream URL; empty for Traefik's internal services
	middlewares []string
}

// Rule returns the Traefik router rule: one Host() matcher with one host.
func (h Host) Rule() string { return h.rule }

// Backend returns the Traefik service the router forwards to.
func (h Host) Backend() string { return h.backend }

// URL returns the upstream URL Traefik forwards to, or "" for api@internal.
func (h Host) URL() string { return h.url }

// Middlewares returns the middlewares of the router, in order.
func (h Host) Middlewares() []string { return h.middlewares }

type hostSpec struct {
	name, title, service, backend, url string
	middlewares                        []string
	// excludePath keeps a path prefix from being served publicly.
	excludePath string
}

var hostSpecs = []hostSpec{
	{"api", "Model API", "api", "api", "http://api:8080", []string{"headers-api"}, "/metrics"},
	{"dev", "code-server", "code-server", "code-server", "http://code-server:8080", []string{"headers-ui"}, ""},
	{"grafana", "Grafana", "grafana", "grafana", "http://grafana:3000", []string{"headers-ui"}, ""},
	{"metrics", "Prometheus", "prometheus", "prometheus", "http://prometheus:9090", []string{"admin-auth", "headers-ui"}, ""},
	{"dashboard", "Traefik dashboard", "traefik", "api@internal", "", []string{"admin-auth", "dashboard-root", "headers-ui"}, ""},
}

// CertHosts returns the DNS names the server certificate covers for domain:
// localhost and every host name, whether or not its service is selected, so
// that changing the selection does not need a new certificate.
func CertHosts(domain string) []string {
	names := []string{"localhost"}
	for _, spec := range hostSpecs {
		names = append(names, spec.name+"."+domain)
	}
	return slices.Compact(names)
}

// Hosts returns the hosts whose service is in services, with their public
// URLs on httpsPort.
func Hosts(domain string, httpsPort int, services []string) []Host {
	var hosts []Host
	for _, spec := range hostSpecs {
		if !slices.Contains(services, spec.service) {
			continue
		}
		fqdn := spec.name + "." + domain
		rule := fmt.Sprintf("Host(`%s`)", fqdn)
		if spec.excludePath != "" {
			rule += fmt.Sprintf(" && !PathPrefix(`%s`)", spec.excludePath)
		}
		hosts = append(hosts, Host{
			Name:        spec.name,
			FQDN:        fqdn,
			Title:       spec.title,
			Service:     spec.service,
			PublicURL:   publicURL(fqdn, httpsPort),
			rule:        rule,
			backend:     spec.backend,
			url:         spec.url,
			middlewares: spec.middlewares,
		})
	}
	return hosts
}

func publicURL(fqdn string, port int) string {
	if port == 443 {
		return "https://" + fqdn + "/"
	}
	return fmt.Sprintf("https://%s:%d/", fqdn, port)
}

// HostsLine returns the /etc/hosts line that maps every host to loopback.
func HostsLine(hosts []Host) string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.FQDN
	}
	return "127.0.0.1 " + strings.Join(names, " ")
}
