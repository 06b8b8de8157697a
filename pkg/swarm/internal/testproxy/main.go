// Command testproxy is the swarm tests' load balancer. It replaces the
// routing mesh, which needs IPVS in the kernel: every request is forwarded
// to one of the addresses that DNS returns for TARGET, which for a service
// in dnsrr endpoint mode are the IPs of its running tasks.
//
// Each request opens a new connection and resolves TARGET again, and the
// proxy rotates through the addresses, so consecutive requests go to
// different tasks. A refused or timed-out connection moves on to the next
// address, because such a request never reached a server. Two response
// headers report what happened: X-Proxy-Backends (how many addresses DNS
// returned) and X-Proxy-Dial-Failures (how many were tried in vain).
//
// Environment: TARGET (host:port, required) and LISTEN (default :8080).
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// Response headers set by the proxy.
const (
	headerBackends     = "X-Proxy-Backends"
	headerDialFailures = "X-Proxy-Dial-Failures"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "testproxy:", err)
		os.Exit(1)
	}
}

func run() error {
	target := os.Getenv("TARGET")
	if _, _, err := net.SplitHostPort(target); err != nil {
		return fmt.Errorf("TARGET %q: expected host:port: %w", target, err)
	}
	listen := os.Getenv("LISTEN")
	if listen == "" {
		listen = ":8080"
	}
	b := &balancer{dialer: &net.Dialer{Timeout: time.Second}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme = "http"
			r.Out.URL.Host = target
			r.Out.Host = r.In.Host
			r.Out = r.Out.WithContext(context.WithValue(r.Out.Context(), statsKey{}, &dialStats{}))
		},
		Transport: &http.Transport{
			DialContext:           b.dial,
			DisableKeepAlives:     true,
			ResponseHeaderTimeout: 10 * time.Second,
		},
		// The test prints the body of a failed request, so it carries the
		// cause, such as a connection reset by a task that is stopping.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if s, ok := r.Context().Value(statsKey{}).(*dialStats); ok {
				w.Header().Set(headerBackends, strconv.Itoa(s.backends))
				w.Header().Set(headerDialFailures, strconv.Itoa(s.failures))
			}
			http.Error(w, "testproxy: "+err.Error(), http.StatusBadGateway)
		},
		ModifyResponse: func(resp *http.Response) error {
			if s, ok := resp.Request.Context().Value(statsKey{}).(*dialStats); ok {
				resp.Header.Set(headerBackends, strconv.Itoa(s.backends))
				resp.Header.Set(headerDialFailures, strconv.Itoa(s.failures))
			}
			return nil
		},
	}
	srv := &http.Server{Addr: listen, Handler: proxy, ReadHeaderTimeout: 5 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Println("testproxy forwarding", listen, "to", target)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type statsKey struct{}

// dialStats records the dials of one request.
type dialStats struct {
	backends, failures int
}

// balancer resolves the target on every dial and rotates through its
// addresses.
type balancer struct {
	dialer *net.Dialer
	next   atomic.Uint64
}

func (b *balancer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	stats, _ := ctx.Value(statsKey{}).(*dialStats)
	if stats == nil {
		stats = &dialStats{}
	}
	stats.backends = len(ips)
	start := int(b.next.Add(1) % uint64(len(ips)))
	var errs []error
	for i := range ips {
		ip := ips[(start+i)%len(ips)]
		conn, err := b.dialer.DialContext(ctx, network, net.JoinHostPort(ip, port))
		if err == nil {
			return conn, nil
		}
		stats.failures++
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("dial %s (%d addresses): %w", addr, len(ips), errors.Join(errs...))
}
