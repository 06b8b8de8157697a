package server

import "net/http"

// HeaderServedBy names the replica that handled a request. Behind a load
// balancer or a swarm virtual IP it shows which task handled it.
const HeaderServedBy = "X-Served-By"

// ServedBy sets the X-Served-By response header to name, usually the
// container's hostname, on every response of h.
func ServedBy(h http.Handler, name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderServedBy, name)
		h.ServeHTTP(w, r)
	})
}
