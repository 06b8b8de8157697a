package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientIP_TrustedProxies(t *testing.T) {
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}}}
	tests := []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"direct caller", "192.0.2.7:5000", nil, "192.0.2.7"},
		{"untrusted peer sets the header", "192.0.2.7:5000", []string{"198.51.100.1"}, "192.0.2.7"},
		{"trusted proxy", "10.0.0.5:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"caller prepends a fake hop", "10.0.0.5:5000", []string{"203.0.113.9, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.0.0.5:5000", []string{"198.51.100.1, 10.0.0.6"}, "198.51.100.1"},
		{"header split over lines", "10.0.0.5:5000", []string{"203.0.113.9", "198.51.100.1"}, "198.51.100.1"},
		{"malformed hop", "10.0.0.5:5000", []string{"not-an-ip"}, "10.0.0.5"},
		{"trusted proxy without header", "10.0.0.5:5000", nil, "10.0.0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.peer, Header: http.Header{}}
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientIP_NoTrustedProxiesIgnoresHeader(t *testing.T) {
	s := &Server{}
	r := &http.Request{RemoteAddr: "10.0.0.5:5000", Header: http.Header{"X-Forwarded-For": {"198.51.100.1"}}}
	if got := s.clientIP(r); got != "10.0.0.5" {
		t.Errorf("clientIP = %q, want the peer 10.0.0.5", got)
	}
}

func TestParseProxy(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.5": "10.0.0.5/32", "10.0.0.0/8": "10.0.0.0/8", "10.1.2.3/16": "10.1.0.0/16", "::1": "::1/128"} {
		got, err := parseProxy(in)
		if err != nil || got.String() != want {
			t.Errorf("parseProxy(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseProxy("traefik"); err == nil || err.Error() != `serve.trusted_proxies: "traefik" is neither an IP address nor a CIDR range` {
		t.Errorf("parseProxy(traefik) error = %v", err)
	}
}
