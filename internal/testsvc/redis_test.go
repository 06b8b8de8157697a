package testsvc

import (
	"net"
	"testing"
)

func TestStartRedis_StopAndStart(t *testing.T) {
	srv := StartRedis(t, "")
	if err := ping(srv.Addr, ""); err != nil {
		t.Fatalf("PING %s after start: %v", srv.Addr, err)
	}
	host, _, err := net.SplitHostPort(srv.Addr)
	if err != nil || host != "127.0.0.1" {
		t.Errorf("Addr = %q, want a 127.0.0.1 address", srv.Addr)
	}

	srv.Stop()
	if err := ping(srv.Addr, ""); err == nil {
		t.Fatalf("PING %s after Stop succeeded, want a connection error", srv.Addr)
	}
	srv.Stop() // a second Stop is a no-op

	srv.Start()
	if err := ping(srv.Addr, ""); err != nil {
		t.Fatalf("PING %s after restart: %v", srv.Addr, err)
	}
}

func TestRedisWithPassword_RequiresAuth(t *testing.T) {
	addr := RedisWithPassword(t, "pw-for-tests")
	if err := ping(addr, ""); err == nil {
		t.Errorf("PING without AUTH succeeded, want NOAUTH")
	}
	if err := ping(addr, "wrong"); err == nil {
		t.Errorf("PING with a wrong password succeeded, want an error")
	}
	if err := ping(addr, "pw-for-tests"); err != nil {
		t.Errorf("PING with the password: %v", err)
	}
}
