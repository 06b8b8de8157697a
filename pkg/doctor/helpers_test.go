package doctor

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mlops-dev/mlops/pkg/client/clienttest"
)

// noDNS is a resolver that reads /etc/hosts and sends DNS queries to a
// closed loopback port, so tests never query a real name server.
func noDNS(t *testing.T) *net.Resolver {
	t.Helper()
	closed := closedAddr(t)
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", closed)
	}}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func apiEnv(t *testing.T, o clienttest.Options) (*Env, *clienttest.API) {
	t.Helper()
	a := clienttest.Start(t, o)
	a.Config.File = a.Config.Dir + "/mlops.yaml"
	return &Env{Config: a.Config, Resolver: noDNS(t)}, a
}

// runCheck runs the check called name alone and returns its result.
func runCheck(t *testing.T, env *Env, name string) Result {
	t.Helper()
	for _, c := range Checks() {
		if c.Name == name {
			return Run(context.Background(), env, []Check{c}, 10*time.Second)[0]
		}
	}
	t.Fatalf("no check named %q", name)
	return Result{}
}

// want asserts the status of r and that its detail and fix contain the
// given texts.
func want(t *testing.T, r Result, status Status, detail, fix string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status = %s, want %s (detail: %s; fix: %s)", r.Name, r.Status, status, r.Detail, r.Fix)
	}
	if !strings.Contains(r.Detail, detail) {
		t.Errorf("%s: detail = %q, want it to contain %q", r.Name, r.Detail, detail)
	}
	if !strings.Contains(r.Fix, fix) {
		t.Errorf("%s: fix = %q, want it to contain %q", r.Name, r.Fix, fix)
	}
	if (status == StatusWarn || status == StatusFail) && r.Fix == "" {
		t.Errorf("%s: a %s has no fix", r.Name, status)
	}
}
