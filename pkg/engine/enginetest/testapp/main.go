// Command testapp is a small static HTTP server that integration tests put
// into a FROM scratch image in place of mlops.
//
//	testapp serve    listens on :8080 (or $LISTEN) and serves GET /healthz,
//	                 and POST /log?line=TEXT, which prints TEXT to stdout
//	testapp health   exits 0 when GET /healthz returns 200, 1 otherwise
//
// With HEALTH_FAIL=1 in its environment, /healthz returns 503. The health
// command also verifies the container's wiring through these variables:
// REDIS_ADDR (a TCP address to dial), REQUIRE_FILE (a file that must exist),
// EXPECT_HOSTNAME, and WRITE_DIR (a directory that must be writable).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testapp serve|health")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve()
	case "health":
		os.Exit(health())
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func listenAddr() string {
	if addr := os.Getenv("LISTEN"); addr != "" {
		return addr
	}
	return ":8080"
}

func serve() {
	http.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if os.Getenv("HEALTH_FAIL") == "1" {
			http.Error(w, "failing on purpose: HEALTH_FAIL=1", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("POST /log", func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.URL.Query().Get("line"))
	})
	fmt.Printf("testapp listening on %s\n", listenAddr())
	fmt.Fprintln(os.Stderr, "testapp stderr line")
	if err := http.ListenAndServe(listenAddr(), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func health() int {
	if err := checkEnvironment(); err != nil {
		fmt.Println("health:", err)
		return 1
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1" + listenAddr() + "/healthz")
	if err != nil {
		fmt.Println("health:", err)
		return 1
	}
	defer resp.Body.Close()
	fmt.Println("health: status", resp.StatusCode)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func checkEnvironment() error {
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return err
		}
		conn.Close()
	}
	if path := os.Getenv("REQUIRE_FILE"); path != "" {
		if _, err := os.Stat(path); err != nil {
			return err
		}
	}
	if want := os.Getenv("EXPECT_HOSTNAME"); want != "" {
		if got, _ := os.Hostname(); got != want {
			return fmt.Errorf("hostname %q, want %q", got, want)
		}
	}
	if dir := os.Getenv("WRITE_DIR"); dir != "" {
		f, err := os.CreateTemp(dir, "probe")
		if err != nil {
			return err
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}
