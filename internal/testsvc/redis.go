// Package testsvc starts real services for tests: a redis-server process on
// a free loopback port, stopped by PID when the test ends.
//
// When the service binary is missing the test is skipped with the reason,
// unless MLOPS_REQUIRE_SERVICES=1, which turns the skip into a failure so
// CI cannot pass without running these tests.
package testsvc

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing service into
// a test failure.
const RequireEnv = "MLOPS_REQUIRE_SERVICES"

// RedisServerEnv overrides the redis-server binary path.
const RedisServerEnv = "MLOPS_REDIS_SERVER"

const (
	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
)

// RedisServer is a redis-server process owned by one test. Stop and Start
// let fault tests take it down and bring it back on the same port.
type RedisServer struct {
	Addr     string
	Password string

	t      testing.TB
	bin    string
	dir    string
	port   int
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Redis starts a redis-server on a free loopback port and returns its
// address. The server is stopped when the test ends.
func Redis(t testing.TB) string {
	t.Helper()
	return StartRedis(t, "").Addr
}

// RedisWithPassword starts a redis-server that requires password and
// returns its address.
func RedisWithPassword(t testing.TB, password string) string {
	t.Helper()
	return StartRedis(t, password).Addr
}

// StartRedis starts a redis-server (with requirepass when password is not
// empty) and returns a handle to stop and restart it.
func StartRedis(t testing.TB, password string) *RedisServer {
	t.Helper()
	bin := redisBinary(t)
	s := &RedisServer{t: t, bin: bin, dir: t.TempDir(), Password: password}
	t.Cleanup(s.Stop)

	// Another process can take the free port between our probe and
	// redis-server's bind, so retry with a new port a few times.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.port, err = freePort()
		if err != nil {
			t.Fatalf("testsvc: find a free loopback port: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("testsvc: start redis-server: %v", err)
	return nil
}

// Start starts the server again on the same port after Stop. It fails the
// test when the server does not reply to PING in time.
func (s *RedisServer) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("testsvc: restart redis-server on %s: %v", s.Addr, err)
	}
}

// Stop terminates the server by PID and waits for it to exit. It is safe to
// call when the server is not running.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Pause stops the server process with SIGSTOP, so connections stay open but
// no command gets a reply until Resume. Fault tests use it to simulate a
// hung server.
func (s *RedisServer) Pause() {
	s.signal(syscall.SIGSTOP)
}

// Resume continues a server paused with Pause.
func (s *RedisServer) Resume() {
	s.signal(syscall.SIGCONT)
}

func (s *RedisServer) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"),
		"--daemonize", "no",
	}
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
	}
	cmd := exec.Command(s.bin, args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	if err := waitForPing(s.Addr, s.Password, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%w; log tail: %s", err, s.logTail())
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

func (s *RedisServer) logTail() string {
	data, err := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return "(no log)"
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-3):], " | ")
}

func redisBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(RedisServerEnv)
	if bin == "" {
		var err error
		bin, err = exec.LookPath("redis-server")
		if err != nil {
			bin = "/usr/bin/redis-server"
		}
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("testsvc: redis-server not found (%v); install the Debian package redis-server or set %s",
			err, RedisServerEnv)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s; %s=1 requires it", msg, RequireEnv)
		}
		t.Skip(msg)
	}
	return bin
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitForPing polls addr until redis replies PONG to PING, the process
// exits, or startTimeout passes. It speaks RESP directly so the helper does
// not depend on the client library under test.
func waitForPing(addr, password string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("redis-server exited during start-up")
		default:
		}
		if lastErr = ping(addr, password); lastErr == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no PONG from %s within %s: %w", addr, startTimeout, lastErr)
}

func ping(addr, password string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	if password != "" {
		if err := command(conn, r, "+OK", "AUTH", password); err != nil {
			return err
		}
	}
	return command(conn, r, "+PONG", "PING")
}

func command(conn net.Conn, r *bufio.Reader, want string, args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(line); got != want {
		return fmt.Errorf("%s: unexpected reply %q, want %q", args[0], got, want)
	}
	return nil
}
