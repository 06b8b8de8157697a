package server

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientIP returns the caller's address: the connection's peer, or, when the peer is
// a trusted proxy, the rightmost address in X-Forwarded-For that is not a trusted
// proxy itself. Addresses left of that one were written by the caller and are ignored.
func (s *Server) clientIP(r *http.Request) string {
	peer := remoteIP(r)
	if len(s.opts.TrustedProxies) == 0 || !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		addr, err := netip.ParseAddr(hop)
		if err != nil {
			return peer // a malformed hop: fall back to the proxy's own address
		}
		if !s.trusted(hop) {
			return addr.Unmap().String()
		}
	}
	return peer
}

func (s *Server) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
