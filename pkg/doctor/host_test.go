package doctor

import (
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/mlops-dev/mlops/pkg/client/clienttest"
	"github.com/mlops-dev/mlops/pkg/engine"
)

func TestCheckHostNames(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	want(t, runCheck(t, env, "host names"), StatusPass, "localhost resolve to loopback", "")

	env.Stack = true
	env.Config.Domain = "doctor.test"
	env.Config.Stack.Services = []string{"traefik", "api", "grafana"}
	want(t, runCheck(t, env, "host names"), StatusFail, "api.doctor.test, grafana.doctor.test, dashboard.doctor.test do not resolve",
		"add this line to /etc/hosts: 127.0.0.1 api.doctor.test grafana.doctor.test dashboard.doctor.test")

	ipOnly, _ := apiEnv(t, clienttest.Options{Plain: true})
	want(t, runCheck(t, ipOnly, "host names"), StatusSkip, "api.url uses an IP address", "")
}

func freePort(t *testing.T) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(closedAddr(t))
	n, _ := strconv.Atoi(port)
	return n
}

func TestCheckPorts(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	want(t, runCheck(t, env, "ports"), StatusSkip, "no Docker stack", "")

	env.Stack = true
	env.Config.Project = "doctor-test-no-such-project"
	env.Config.HTTPSPort, env.Config.HTTPPort = freePort(t), freePort(t)
	want(t, runCheck(t, env, "ports"), StatusPass, "free: ", "")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, held, _ := net.SplitHostPort(ln.Addr().String())
	env.Config.HTTPSPort, _ = strconv.Atoi(held)
	want(t, runCheck(t, env, "ports"), StatusFail, "port "+held+" in use by a program outside the stack",
		"`ss -ltnp 'sport = :"+held+"'` names it")
}

func TestCheckDocker(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{Plain: true})
	env.Stack = true
	t.Run("unreachable", func(t *testing.T) {
		t.Setenv("DOCKER_HOST", "unix://"+t.TempDir()+"/no-docker.sock")
		want(t, runCheck(t, env, "docker"), StatusFail, "docker engine not reachable", "start Docker")
		env.Stack = false
		want(t, runCheck(t, env, "docker"), StatusWarn, "only `mlops up` needs Docker", "start Docker")
		env.Stack = true
	})
	t.Run("reachable", func(t *testing.T) {
		eng, err := engine.New(t.Context())
		if err != nil {
			if os.Getenv("MLOPS_REQUIRE_SERVICES") == "1" {
				t.Fatalf("docker engine required by MLOPS_REQUIRE_SERVICES=1: %v", err)
			}
			t.Skipf("no Docker engine to check against: %v", err)
		}
		v := eng.Versions()
		eng.Close()
		want(t, runCheck(t, env, "docker"), StatusPass, "Docker Engine "+v.Engine, "")
		want(t, runCheck(t, env, "docker"), StatusPass, "mlops negotiated "+v.Negotiated, "")
	})
}

func TestCheckTLS_ServerDown(t *testing.T) {
	env, _ := apiEnv(t, clienttest.Options{})
	env.Config.API.URL = "https://" + closedAddr(t)
	want(t, runCheck(t, env, "tls chain"), StatusFail, "TLS handshake with", "start the server")
}
