package scaffold

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/certs"
)

var hostMatcher = regexp.MustCompile(`Host\(([^)]*)\)`)

// checkRule returns an error when a Host() matcher of rule does not contain
// exactly one backquoted host. Traefik v3 reads Host(`a`, `b`) as invalid,
// and joining hosts needs Host(`a`) || Host(`b`).
func checkRule(rule string) error {
	matches := hostMatcher.FindAllStringSubmatch(rule, -1)
	if len(matches) == 0 {
		return fmt.Errorf("rule %q has no Host() matcher", rule)
	}
	for _, m := range matches {
		args := strings.Split(m[1], ",")
		if len(args) != 1 {
			return fmt.Errorf("rule %q: Host() has %d arguments, want one", rule, len(args))
		}
		arg := strings.TrimSpace(args[0])
		if len(arg) < 3 || arg[0] != '`' || arg[len(arg)-1] != '`' {
			return fmt.Errorf("rule %q: Host() argument %s is not one backquoted host", rule, arg)
		}
	}
	return nil
}

func TestCheckRule(t *testing.T) {
	tests := []struct {
		rule string
		ok   bool
	}{
		{"Host(`api.localhost`)", true},
		{"Host(`api.localhost`) && !PathPrefix(`/metrics`)", true},
		{"Host(`a.localhost`) || Host(`b.localhost`)", true},
		{"Host(`a.localhost`, `b.localhost`)", false},
		{"Host(`a.localhost`,`b.localhost`)", false},
		{"PathPrefix(`/`)", false},
	}
	for _, tt := range tests {
		if err := checkRule(tt.rule); (err == nil) != tt.ok {
			t.Errorf("checkRule(%q) = %v, want ok=%v", tt.rule, err, tt.ok)
		}
	}
}

func TestTraefik_RoutersResolve(t *testing.T) {
	dir, res := initProject(t, Options{})
	static := readYAML(t, dir, "traefik/traefik.yml")
	routers := readYAML(t, dir, "traefik/dynamic/routers.yml")
	middlewares := readYAML(t, dir, "traefik/dynamic/middlewares.yml")
	tlsFile := readYAML(t, dir, "traefik/dynamic/tls.yml")

	entryPoints := mapKeys(static["entryPoints"])
	services := mapKeys(dig(routers, "http", "services"))
	middlewareNames := mapKeys(dig(middlewares, "http", "middlewares"))
	tlsOptions := mapKeys(dig(tlsFile, "tls", "options"))
	routerMap, _ := dig(routers, "http", "routers").(map[string]any)

	var ruleHosts []string
	for name, r := range routerMap {
		rule, _ := dig(r, "rule").(string)
		if err := checkRule(rule); err != nil {
			t.Errorf("router %s: %v", name, err)
		}
		ruleHosts = append(ruleHosts, hostMatcher.FindStringSubmatch(rule)[1])
		for _, ep := range dig(r, "entryPoints").([]any) {
			if !slices.Contains(entryPoints, ep.(string)) {
				t.Errorf("router %s: entrypoint %v is not defined", name, ep)
			}
		}
		service, _ := dig(r, "service").(string)
		if !slices.Contains(services, service) && !strings.HasSuffix(service, "@internal") {
			t.Errorf("router %s: service %q is not defined", name, service)
		}
		for _, mw := range dig(r, "middlewares").([]any) {
			if !slices.Contains(middlewareNames, mw.(string)) {
				t.Errorf("router %s: middleware %v is not defined", name, mw)
			}
		}
		if opt, _ := dig(r, "tls", "options").(string); !slices.Contains(tlsOptions, opt) {
			t.Errorf("router %s: TLS option %q is not defined", name, opt)
		}
	}
	for _, h := range res.Hosts {
		if !slices.Contains(ruleHosts, "`"+h.FQDN+"`") {
			t.Errorf("host %s has no router", h.FQDN)
		}
	}
	if len(routerMap) != len(res.Hosts) {
		t.Errorf("%d routers for %d hosts", len(routerMap), len(res.Hosts))
	}
}

func TestTraefik_AdminHostsNeedAuth(t *testing.T) {
	dir, _ := initProject(t, Options{})
	routers := readYAML(t, dir, "traefik/dynamic/routers.yml")
	for name, wantAuth := range map[string]bool{"dashboard": true, "metrics": true, "api": false, "grafana": false} {
		mws := dig(routers, "http", "routers", name, "middlewares").([]any)
		if got := slices.Contains(mws, any("admin-auth")); got != wantAuth {
			t.Errorf("router %s has admin-auth = %v, want %v", name, got, wantAuth)
		}
	}
	middlewares := readYAML(t, dir, "traefik/dynamic/middlewares.yml")
	for _, name := range []string{"headers-api", "headers-ui"} {
		h := dig(middlewares, "http", "middlewares", name, "headers")
		checks := map[string]any{
			"stsSeconds": 31536000, "stsIncludeSubdomains": true, "stsPreload": true,
			"contentTypeNosniff": true, "frameDeny": true,
		}
		for key, want := range checks {
			if got := dig(h, key); got != want {
				t.Errorf("%s.%s = %v, want %v", name, key, got, want)
			}
		}
		for _, key := range []string{"contentSecurityPolicy", "referrerPolicy"} {
			if s, _ := dig(h, key).(string); s == "" {
				t.Errorf("%s.%s is empty", name, key)
			}
		}
	}
}

func TestTraefik_TLSInDynamicConfig(t *testing.T) {
	dir, _ := initProject(t, Options{})
	static := readYAML(t, dir, "traefik/traefik.yml")
	for _, key := range []string{"tls", "certificates", "stores"} {
		if _, ok := static[key]; ok {
			t.Errorf("static config has top-level %q, which Traefik ignores there", key)
		}
	}
	tlsFile := readYAML(t, dir, "traefik/dynamic/tls.yml")
	if got := dig(tlsFile, "tls", "options", "default", "minVersion"); got != "VersionTLS13" {
		t.Errorf("default minVersion = %v, want VersionTLS13", got)
	}
	certFile := dig(tlsFile, "tls", "stores", "default", "defaultCertificate", "certFile")
	if certFile != "/etc/traefik/certs/server.crt" {
		t.Errorf("default certificate = %v, want /etc/traefik/certs/server.crt", certFile)
	}
	list, _ := dig(tlsFile, "tls", "certificates").([]any)
	if len(list) != 1 || dig(list[0], "keyFile") != "/etc/traefik/certs/server.key" {
		t.Errorf("tls.certificates = %v, want the generated pair", list)
	}
}

func TestTraefik_RedirectKeepsPublishedPort(t *testing.T) {
	for _, port := range []int{9443, 443, 10443} {
		t.Run(fmt.Sprint(port), func(t *testing.T) {
			dir, _ := initProject(t, Options{HTTPSPort: port})
			static := readYAML(t, dir, "traefik/traefik.yml")
			redirect := dig(static, "entryPoints", "web", "http", "redirections", "entryPoint")
			if got, want := dig(redirect, "to"), fmt.Sprintf(":%d", port); got != want {
				t.Errorf("redirect to = %v, want %q", got, want)
			}
			if got := dig(redirect, "scheme"); got != "https" {
				t.Errorf("redirect scheme = %v, want https", got)
			}
		})
	}
}

func TestTraefik_ACME(t *testing.T) {
	tests := []struct {
		name       string
		production bool
		caServer   string
	}{
		{"staging by default", false, ACMEStaging},
		{"production on request", true, ACMEProduction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, res := initProject(t, Options{Domain: "example.com", ACMEEmail: "ops@example.com", ACMEProductionServer: tt.production})
			static := readYAML(t, dir, "traefik/traefik.yml")
			acme := dig(static, "certificatesResolvers", "letsencrypt", "acme")
			if got := dig(acme, "caServer"); got != tt.caServer {
				t.Errorf("caServer = %v, want %s", got, tt.caServer)
			}
			if got := dig(acme, "email"); got != "ops@example.com" {
				t.Errorf("email = %v", got)
			}
			routers := readYAML(t, dir, "traefik/dynamic/routers.yml")
			if got := dig(routers, "http", "routers", "api", "tls", "certResolver"); got != "letsencrypt" {
				t.Errorf("api router certResolver = %v, want letsencrypt", got)
			}
			tlsFile := readYAML(t, dir, "traefik/dynamic/tls.yml")
			if dig(tlsFile, "tls", "certificates") != nil {
				t.Error("ACME project still lists local certificates")
			}
			for _, f := range res.Files {
				if strings.HasPrefix(f.Path, "certs/") {
					t.Errorf("ACME project wrote %s", f.Path)
				}
			}
		})
	}
}

func TestCerts_VerifyForEveryHost(t *testing.T) {
	dir, _ := initProject(t, Options{})
	chain, err := certs.Load(dir + "/certs")
	if err != nil {
		t.Fatalf("certs.Load: %v", err)
	}
	for _, host := range append(CertHosts("localhost"), "127.0.0.1", "::1") {
		if err := chain.VerifyHost(host, time.Now()); err != nil {
			t.Errorf("VerifyHost(%s): %v", host, err)
		}
	}
}
